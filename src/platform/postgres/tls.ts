import { chown, copyFile, mkdir, chmod, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

/** The PEM files a node presents and trusts: the CA's certificate, its own certificate and private key. */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** The CA's revocation list, when the installation has revoked a certificate. */
  readonly crl?: string;
}

/**
 * Copies the node's TLS files beside the data directory (not in it: a base backup would carry
 * the key to every standby and repository), owned by the Postgres user with mode 0600 as
 * PostgreSQL demands of a key, and returns the server settings that turn TLS on. Only TLS 1.3:
 * both ends are ours.
 */
export async function installServerTls(
  dataDir: string,
  files: TlsFiles,
  owner?: { uid: number; gid: number },
): Promise<Record<string, string>> {
  const placed = placedTlsFiles(dataDir, true);
  const dir = path.dirname(placed.ca);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of ['ca', 'cert', 'key', 'crl'] as const) {
    if (!files[name]) {
      await rm(placed[name]!, { force: true });
      continue;
    }
    await copyFile(files[name], placed[name]!);
    await chmod(placed[name]!, 0o600);
    if (owner) await chown(placed[name]!, owner.uid, owner.gid);
  }
  if (owner) await chown(dir, owner.uid, owner.gid);
  // ssl_crl_file empty: no list (the setting is reloaded with the rest).
  return {
    ssl: 'on',
    ssl_ca_file: placed.ca,
    ssl_cert_file: placed.cert,
    ssl_key_file: placed.key,
    ssl_crl_file: files.crl ? placed.crl! : '',
    ssl_min_protocol_version: 'TLSv1.3',
  };
}

/** Where installServerTls puts the files: what the server (and its walreceiver) reads. The list is there only when the node has one. */
export function placedTlsFiles(dataDir: string, withCrl = false): TlsFiles & { crl?: string } {
  const dir = path.join(path.dirname(dataDir), 'tls');
  return {
    ca: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'node.crt'),
    key: path.join(dir, 'node.key'),
    ...(withCrl ? { crl: path.join(dir, 'ca.crl') } : {}),
  };
}

/** The TLS files' contents, for Node's TLS options (the revocation list only where there is one). */
export async function readTlsFiles(tls: TlsFiles): Promise<{ ca: string; cert: string; key: string; crl?: string }> {
  const [ca, cert, key] = await Promise.all([tls.ca, tls.cert, tls.key].map((file) => readFile(file, 'utf8')));
  return { ca: ca!, cert: cert!, key: key!, ...(tls.crl ? { crl: await readFile(tls.crl, 'utf8') } : {}) };
}
