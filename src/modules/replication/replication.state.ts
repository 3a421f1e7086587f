import path from 'node:path';
import { withClient, type ConnectionTarget } from '../../platform/db/connect.js';
import { appError } from '../../platform/errors.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { listDirectory, pathExists } from '../../platform/storage/local-files.js';
import { stateFile, type StateFile } from '../../platform/storage/state-file.js';

/** The role nodes replicate as; it has no password: its client certificate's common name is its proof. */
export const replicationRole = 'steadfast_replication';

/** Where `steadfast certs` keeps this node's TLS files (and, on the machine that made it, the CA's key). */
export function tlsPaths(
  home: string,
): TlsFiles & { caKey: string; dir: string; revocationList: string; revoked: string } {
  const dir = path.join(home, 'tls');
  // The revocation list's place, not a TlsFiles `crl`: it is one only where it exists (nodeTls).
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'node.crt'),
    key: path.join(dir, 'node.key'),
    caKey: path.join(dir, 'ca.key'),
    revocationList: path.join(dir, 'ca.crl'),
    revoked: path.join(dir, 'revoked.json'),
  };
}

/**
 * This node's TLS files, when it has them: all three, or none (undefined). Some but not all
 * is a mistake said plainly, not a node silently left without TLS.
 */
export async function nodeTls(home: string): Promise<TlsFiles | undefined> {
  const paths = tlsPaths(home);
  const present = await Promise.all([paths.ca, paths.cert, paths.key].map(pathExists));
  // The CA's revocation list, where an operator has placed one: peers' certificates are checked against it.
  if (present.every(Boolean))
    return {
      ca: paths.ca,
      cert: paths.cert,
      key: paths.key,
      ...((await pathExists(paths.revocationList)) ? { crl: paths.revocationList } : {}),
    };
  if (present.some(Boolean)) {
    const missing = [paths.ca, paths.cert, paths.key].filter((_, index) => !present[index]);
    throw appError(
      'TLS_INCOMPLETE',
      `This node's TLS files are incomplete: ${missing.join(', ')} missing. Copy ca.crt, node.crt and node.key made by "steadfast certs create-node" into ${paths.dir}.`,
    );
  }
  return undefined;
}

/** A standby's record of what it follows, written by `steadfast standby join`. */
export interface StandbyState {
  readonly primary: { readonly host: string; readonly port: number };
  readonly slot: string;
  readonly joinedAt: string;
}

/** standby.json: what this node follows, while it is a standby. */
export const standbyStateFile = (home: string): StateFile<StandbyState> =>
  stateFile(path.join(home, 'standby.json'), {
    damaged: (file) =>
      appError('CONFIG_INVALID', `${file} is not valid JSON; run "steadfast standby join" again to rewrite it.`),
  });

export const readStandbyState = (home: string): Promise<StandbyState | undefined> => standbyStateFile(home).read();

/**
 * A primary running asynchronously although replicationMode asks for more: set by an operator
 * with `steadfast replication mode async` (the synchronous standby is gone and writes must go
 * on), until they set it back with `steadfast replication mode configured`.
 */
export interface ModeOverride {
  readonly mode: 'async';
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

/** replication-mode.json: the operator's override, while there is one. */
export const modeOverrideFile = (home: string): StateFile<ModeOverride> =>
  stateFile(path.join(home, 'replication-mode.json'), {
    damaged: (file) =>
      appError(
        'CONFIG_INVALID',
        `${file} is damaged; remove it to run in the configured replicationMode, or run "steadfast replication mode async" to write it again.`,
      ),
  });

export const readModeOverride = (home: string): Promise<ModeOverride | undefined> => modeOverrideFile(home).read();

/** An entry in the platform audit log for something done to replication (failover, switchover, a change of mode). */
export async function auditReplication(
  admin: ConnectionTarget,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await withClient(admin, (client) =>
    client.query('INSERT INTO platform_audit (actor, action, tenant_slug, detail) VALUES ($1, $2, NULL, $3)', [
      actor,
      action,
      JSON.stringify(detail),
    ]),
  );
}

/** Whether the data directory holds a standby's slot (pg_replslot), read before the server starts. */
export async function hasStandbySlot(dataDir: string): Promise<boolean> {
  const slots = await listDirectory(path.join(dataDir, 'pg_replslot'));
  return slots.some((name) => name.startsWith(slotPrefix));
}

/** What every slot a standby holds on its primary starts with (a backup's temporary slot is not one). */
export const slotPrefix = 'steadfast_';

/** The slot a node's standby holds on its primary: named after the node. */
export const slotName = (nodeName: string): string => `${slotPrefix}${nodeName}`;

/** The node a standby's slot is named after (a slot of another name as it is). */
export const nodeOfSlot = (slot: string): string =>
  slot.startsWith(slotPrefix) ? slot.slice(slotPrefix.length) : slot;
