import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createCertificateAuthority, describeCertificate, isSignedBy, issueNodeCertificate, type CertificateSummary } from '../platform/crypto/certs.js';
import { appError } from '../platform/errors.js';
import { writeFileAtomic } from '../platform/postgres/data-dir.js';
import { exists, replicationRole, tlsPaths } from './replication.js';

/**
 * `steadfast certs create-ca`: the installation's CA in `<home>/tls` (ca.crt, and ca.key,
 * mode 0600: whoever holds it can make certificates every node trusts). Never overwritten:
 * a new CA would leave every node certificate untrusted.
 */
export async function createCa(home: string, name = 'Steadfast replication CA'): Promise<{ certificate: string; key: string; summary: CertificateSummary }> {
  const paths = tlsPaths(home);
  for (const file of [paths.ca, paths.caKey]) {
    if (await exists(file)) throw appError('CERTIFICATE_FAILED', `${file} exists: this home already has a CA, and a new one would make every node certificate it signed untrusted. Use it with "steadfast certs create-node", or remove ${paths.dir} deliberately first.`);
  }
  const ca = await createCertificateAuthority(name);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.caKey, ca.privateKey);
  await writeFileAtomic(paths.ca, ca.certificate);
  return { certificate: paths.ca, key: paths.caKey, summary: describeCertificate(ca.certificate) };
}

/**
 * `steadfast certs create-node <address>...`: a node certificate from this home's CA, written
 * with the CA's certificate into `outDir` (default `<home>/tls`, for this machine) as ca.crt,
 * node.crt and node.key: the three files a node needs. An existing node certificate there is
 * replaced (that is how one renews), the old files kept no longer.
 */
export async function createNodeCertificate(home: string, addresses: readonly string[], outDir?: string): Promise<{ dir: string; summary: CertificateSummary }> {
  const paths = tlsPaths(home);
  if (!(await exists(paths.caKey)) || !(await exists(paths.ca))) {
    throw appError('CERTIFICATE_FAILED', `No CA in ${paths.dir}: run "steadfast certs create-ca" first, on one machine, and make every node's certificate there.`);
  }
  const ca = { certificate: await readFile(paths.ca, 'utf8'), privateKey: await readFile(paths.caKey, 'utf8') };
  let pair;
  try {
    pair = await issueNodeCertificate(ca, { commonName: replicationRole, addresses });
  } catch (error) {
    throw appError('CERTIFICATE_FAILED', `${(error as Error).message}.`, { cause: error });
  }
  const dir = path.resolve(outDir ?? paths.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(dir, 'node.key'), pair.privateKey);
  await writeFileAtomic(path.join(dir, 'node.crt'), pair.certificate);
  if (path.resolve(dir) !== path.resolve(paths.dir)) await writeFileAtomic(path.join(dir, 'ca.crt'), ca.certificate);
  return { dir, summary: describeCertificate(pair.certificate) };
}

/** `steadfast certs show`: what this node holds, and whether its certificate is the CA's. */
export async function showCertificates(home: string): Promise<{ ca?: CertificateSummary; node?: CertificateSummary & { trusted: boolean }; caKeyHere: boolean }> {
  const paths = tlsPaths(home);
  const read = async (file: string): Promise<string | undefined> => ((await exists(file)) ? readFile(file, 'utf8') : undefined);
  const [ca, node] = await Promise.all([read(paths.ca), read(paths.cert)]);
  return {
    ca: ca ? describeCertificate(ca) : undefined,
    node: node ? { ...describeCertificate(node), trusted: Boolean(ca && isSignedBy(node, ca)) } : undefined,
    caKeyHere: await exists(paths.caKey),
  };
}
