import { BlockList, isIP } from 'node:net';
import type { Clock } from '../../platform/clock/clock.js';

/** Entries a workspace's allow-list may hold. */
export const maxAllowListEntries = 5000;
/** How long a process trusts the list it read: a change reaches every process within this. */
export const allowListCacheMs = 5000;

/**
 * An entry as written: an IPv4 or IPv6 address, or a CIDR block (`203.0.113.0/24`,
 * `2001:db8::/32`), normalised to a block; undefined when it is neither.
 */
export function normalEntry(entry: string): string | undefined {
  const [address, prefixText, ...rest] = entry.trim().toLowerCase().split('/');
  const family = isIP(address ?? '');
  if (!family || rest.length > 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  return prefix <= bits ? `${address}/${prefix}` : undefined;
}

/** A client address as compared: an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address. */
function clientAddress(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  const family = isIP(address);
  return family ? { address, family: family === 4 ? 'ipv4' : 'ipv6' } : undefined;
}

/** Addresses whose answer a list remembers (see `AllowList.allows`). */
const rememberedAddresses = 10_000;

/**
 * A compiled list: Node's own BlockList matches an address against every block, one by one, so a
 * list of 1,000 blocks cost each request more than its route. The answer for each address is
 * therefore remembered for as long as the list is (`allowListCacheMs`): a client's requests after
 * its first cost one map lookup.
 */
export class AllowList {
  private readonly blocks = new BlockList();
  private readonly answers = new Map<string, boolean>();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const block = normalEntry(entry);
      if (!block) throw new Error(`not an IP address or CIDR block: ${entry}`);
      const [address, prefix] = block.split('/');
      this.blocks.addSubnet(address!, Number(prefix), isIP(address!) === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = entries.length;
  }

  /** An empty list allows everyone; otherwise the address must fall in one block. */
  allows(ip: string): boolean {
    if (this.size === 0) return true;
    const known = this.answers.get(ip);
    if (known !== undefined) return known;
    const client = clientAddress(ip);
    const allowed = client !== undefined && this.blocks.check(client.address, client.family);
    if (this.answers.size >= rememberedAddresses) this.answers.clear();
    this.answers.set(ip, allowed);
    return allowed;
  }
}

/**
 * Each workspace's compiled list, per process, read again after `allowListCacheMs`: checking an
 * address costs no query on almost every request. A change made in this process applies at once.
 */
export class AllowListCache {
  private readonly lists = new Map<string, { list: AllowList; readAt: number }>();

  constructor(
    private readonly load: (tenant: string) => Promise<readonly string[]>,
    private readonly clock: Clock,
  ) {}

  async get(tenant: string): Promise<AllowList> {
    const now = this.clock.now().getTime();
    const cached = this.lists.get(tenant);
    if (cached && now - cached.readAt < allowListCacheMs) return cached.list;
    const list = new AllowList(await this.load(tenant));
    this.lists.set(tenant, { list, readAt: now });
    return list;
  }

  forget(tenant: string): void {
    this.lists.delete(tenant);
  }
}
