import { chown, copyFile, mkdir, chmod } from 'node:fs/promises';
import path from 'node:path';

/** The PEM files a node presents and trusts: the CA's certificate, its own certificate and private key. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Copies the node's TLS files beside the data directory (not in it: a base backup would carry
 * the key to every standby and repository), owned by the Postgres user with mode 0600 as
 * PostgreSQL demands of a key, and returns the server settings that turn TLS on. Only TLS 1.3:
 * both ends are ours.
 */
export async function installServerTls(dataDir: string, files: TlsFiles, owner?: { uid: number; gid: number }): Promise<Record<string, string>> {
  const placed = placedTlsFiles(dataDir);
  const dir = path.dirname(placed.ca);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of ['ca', 'cert', 'key'] as const) {
    await copyFile(files[name], placed[name]);
    await chmod(placed[name], 0o600);
    if (owner) await chown(placed[name], owner.uid, owner.gid);
  }
  if (owner) await chown(dir, owner.uid, owner.gid);
  return { ssl: 'on', ssl_ca_file: placed.ca, ssl_cert_file: placed.cert, ssl_key_file: placed.key, ssl_min_protocol_version: 'TLSv1.3' };
}

/** Where installServerTls puts the files: what the server (and its walreceiver) reads. */
export function placedTlsFiles(dataDir: string): TlsFiles {
  const dir = path.join(path.dirname(dataDir), 'tls');
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'node.crt'), key: path.join(dir, 'node.key') };
}
