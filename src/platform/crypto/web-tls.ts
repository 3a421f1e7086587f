import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appError } from '../errors.js';
import { createCertificateAuthority, issueNodeCertificate, type PemPair } from './certs.js';

/** What the HTTPS server presents. */
export interface WebTls {
  readonly certificate: string;
  readonly privateKey: string;
  /** Where the certificate came from: the configured files, or the one made for this home. */
  readonly source: string;
  /** For a generated certificate: the local CA to trust in a browser or a client. */
  readonly caFile?: string;
}

/** A generated certificate is renewed this long before it expires. */
const renewDaysBefore = 30;

/**
 * The HTTPS server's certificate: the configured files when given (both must be), otherwise one
 * made for this home under `<home>/tls`: a local CA and a certificate it signs for the base
 * domain and every workspace under it (`*.<base domain>`), plus this machine's loopback
 * addresses. Trust `<home>/tls/ca.crt` to open the workspaces without a warning.
 */
export async function loadWebTls(options: {
  home: string;
  baseDomain: string;
  /** Workspaces named in the certificate besides the wildcard (the demo): clients refuse `*.localhost`, a wildcard over one label. */
  workspaces?: readonly string[];
  certFile?: string | undefined;
  keyFile?: string | undefined;
  now?: Date;
}): Promise<WebTls> {
  if (options.certFile || options.keyFile) return configured(options.certFile, options.keyFile);
  const dir = path.join(options.home, 'tls');
  const files = { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
  const now = options.now ?? new Date();
  const existing = await readPair(files.cert, files.key);
  const named = (options.workspaces ?? []).map((slug) => `${slug}.${options.baseDomain}`);
  if (existing && covers(existing.certificate, [`any-workspace.${options.baseDomain}`, ...named], now))
    return { ...existing, source: files.cert, caFile: files.ca };
  const ca = await createCertificateAuthority(`Steadfast local CA (${options.baseDomain})`, now);
  const server = await issueNodeCertificate(ca, {
    commonName: options.baseDomain,
    addresses: [options.baseDomain, `*.${options.baseDomain}`, ...named, '127.0.0.1', '::1'],
    now,
  });
  // The server's certificate, then its CA's: the chain a client is sent.
  const chain = `${pemLines(server.certificate)}${pemLines(ca.certificate)}`;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(files.ca, pemLines(ca.certificate));
  await writeFile(files.cert, chain);
  await writeFile(files.key, server.privateKey, { mode: 0o600 });
  await chmod(files.key, 0o600);
  return { certificate: chain, privateKey: server.privateKey, source: files.cert, caFile: files.ca };
}

/** The first certificate of a PEM chain (Node's X509Certificate reads one). */
export function leafOf(chain: string): X509Certificate {
  const block = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(chain)?.[0];
  if (!block) throw new Error('no PEM certificate in it');
  return new X509Certificate(block);
}

const pemLines = (pem: string): string => (pem.endsWith('\n') ? pem : `${pem}\n`);

async function configured(certFile: string | undefined, keyFile: string | undefined): Promise<WebTls> {
  if (!certFile || !keyFile)
    throw appError(
      'CONFIG_INVALID',
      'TLS needs both tlsCertFile and tlsKeyFile (STEADFAST_TLS_CERT_FILE and STEADFAST_TLS_KEY_FILE), or neither for a certificate made for this machine.',
    );
  const pair = await readPair(certFile, keyFile).catch((error: NodeJS.ErrnoException) => {
    throw appError(
      'CONFIG_INVALID',
      `Cannot read the TLS certificate or key: ${error.message}. Check tlsCertFile and tlsKeyFile.`,
    );
  });
  if (!pair) throw appError('CONFIG_INVALID', `The TLS certificate ${certFile} or its key ${keyFile} does not exist.`);
  try {
    leafOf(pair.certificate);
  } catch (error) {
    throw appError('CONFIG_INVALID', `${certFile} is not a PEM certificate: ${(error as Error).message}.`);
  }
  return { ...pair, source: certFile };
}

async function readPair(certFile: string, keyFile: string): Promise<PemPair | undefined> {
  try {
    return { certificate: await readFile(certFile, 'utf8'), privateKey: await readFile(keyFile, 'utf8') };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Whether a generated certificate still names these hosts and is not about to expire. */
function covers(pem: string, hosts: readonly string[], now: Date): boolean {
  const certificate = leafOf(pem);
  const renewAt = new Date(certificate.validTo).getTime() - renewDaysBefore * 86_400_000;
  return hosts.every((host) => certificate.checkHost(host) !== undefined) && renewAt > now.getTime();
}
