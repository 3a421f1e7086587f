import { createHash } from 'node:crypto';
import type { Config } from '../../platform/config/config.js';
import type { ObjectStore } from '../../platform/storage/store.js';
import { FsStore } from '../../platform/storage/fs-store.js';
import { objectStoreOf } from '../../platform/storage/stores.js';
import { renderStatusSite, type SiteFile, type StatusPageModel } from './status.page.js';

/** A place the status page is published to, away from the platform (a directory, a bucket, an SFTP host). */
export interface StatusTarget {
  readonly name: string;
  readonly store: ObjectStore;
}

export interface PublishResult {
  readonly target: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** The page is published again at least this often, so its "updated" time says the platform is alive. */
export const republishEveryMs = 5 * 60_000;

/** Writes the site's files to every target, the page last (its feeds are never older than it); one target failing does not stop the others. */
export async function publishSite(
  files: readonly SiteFile[],
  targets: readonly StatusTarget[],
): Promise<PublishResult[]> {
  const ordered = [
    ...files.filter((file) => file.path !== 'index.html'),
    ...files.filter((file) => file.path === 'index.html'),
  ];
  return Promise.all(
    targets.map(async ({ name, store }): Promise<PublishResult> => {
      try {
        for (const file of ordered) await store.put(file.path, oneChunk(Buffer.from(file.body, 'utf8')));
        return { target: name, ok: true };
      } catch (error) {
        return { target: name, ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
}

async function* oneChunk(body: Buffer): AsyncIterable<Buffer> {
  yield body;
}

/**
 * Publishes when what the page says has changed (a component's state, an incident's update, a
 * window), and every `republishEveryMs` regardless, so its "updated" time stays fresh.
 */
export class StatusPublisher {
  private lastFingerprint: string | undefined;
  private lastPublishedAt = 0;

  constructor(
    private readonly model: () => Promise<StatusPageModel>,
    private readonly targets: readonly StatusTarget[],
    private readonly onResult: (results: PublishResult[]) => void = () => undefined,
  ) {}

  /** Publishes if due; the results, or undefined when nothing was due. */
  async tick(now = Date.now()): Promise<PublishResult[] | undefined> {
    if (this.targets.length === 0) return undefined;
    const model = await this.model();
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ ...model, generatedAt: undefined }))
      .digest('hex');
    if (fingerprint === this.lastFingerprint && now - this.lastPublishedAt < republishEveryMs) return undefined;
    const results = await publishSite(renderStatusSite(model), this.targets);
    if (results.every((result) => result.ok)) {
      this.lastFingerprint = fingerprint;
      this.lastPublishedAt = now;
    }
    this.onResult(results);
    return results;
  }
}

/** The configured places the page goes to, each a store of its own. */
export function statusTargetsOf(config: Pick<Config, 'statusTargets'>): StatusTarget[] {
  return config.statusTargets.map((target) => ({
    name: target.name,
    // A directory's files are read by the web server that serves them.
    store: target.type === 'fs' ? new FsStore(target.path, publicFileMode) : objectStoreOf(target),
  }));
}

/** Files of a published page: anyone on the machine may read them (a web server does). */
export const publicFileMode = 0o644;

/** The page's title: configured, or the platform's domain. */
export const statusTitleOf = (config: Pick<Config, 'statusTitle' | 'baseDomain'>): string =>
  config.statusTitle ?? `${config.baseDomain} status`;

/** How long the platform serves one rendering of its status page before rendering it again. */
export const servedFreshMs = 10_000;

/** A file of the served site, its body already UTF-8 bytes. */
export interface ServedFile {
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * The status page as the platform itself serves it at `status.<base domain>`: the same files it
 * publishes elsewhere, rendered at most every `servedFreshMs` (requests meanwhile share one
 * rendering, and wait for it only when there is none yet). Each body is encoded once per
 * rendering: sent as a string, the ~75 KB page (two-byte in V8: it holds "−") was measured and
 * UTF-8 encoded again on every request, most of what serving it cost.
 */
export function servedSite(model: () => Promise<StatusPageModel>): () => Promise<Map<string, ServedFile>> {
  let current: { at: number; files: Promise<Map<string, ServedFile>> } | undefined;
  return () => {
    if (!current || Date.now() - current.at > servedFreshMs) {
      const files = model().then(
        (m) =>
          new Map(
            renderStatusSite(m).map((file): [string, ServedFile] => [
              file.path,
              { path: file.path, contentType: file.contentType, body: Buffer.from(file.body, 'utf8') },
            ]),
          ),
      );
      // A failed rendering is not kept: the next request tries again.
      files.catch(() => (current = undefined));
      const previous = current;
      current = { at: Date.now(), files };
      if (previous) return previous.files.catch(() => files);
    }
    return current.files;
  };
}
