import path from 'node:path';
import {
  createCertificateAuthority,
  createRevocationList,
  describeCertificate,
  isSignedBy,
  issueNodeCertificate,
  normalSerial,
  revokedSerials,
  wasIssuedBy,
  type CertificateSummary,
  type Revocation,
} from '../../platform/crypto/certs.js';
import { appError } from '../../platform/errors.js';
import { writeFileAtomic } from '../../platform/postgres/data-dir.js';
import { makeDirectory, pathExists, readText } from '../../platform/storage/local-files.js';
import { stateFile } from '../../platform/storage/state-file.js';
import { replicationRole, tlsPaths } from './replication.state.js';

/**
 * `steadfast certs create-ca`: the installation's CA in `<home>/tls` (ca.crt, and ca.key,
 * mode 0600: whoever holds it can make certificates every node trusts). Never overwritten:
 * a new CA would leave every node certificate untrusted.
 */
export async function createCa(
  home: string,
  name = 'Steadfast replication CA',
): Promise<{ certificate: string; key: string; summary: CertificateSummary }> {
  const paths = tlsPaths(home);
  for (const file of [paths.ca, paths.caKey]) {
    if (await pathExists(file))
      throw appError(
        'CERTIFICATE_FAILED',
        `${file} exists: this home already has a CA, and a new one would make every node certificate it signed untrusted. Use it with "steadfast certs create-node", or remove ${paths.dir} deliberately first.`,
      );
  }
  const ca = await createCertificateAuthority(name);
  await makeDirectory(paths.dir, { recursive: true, mode: 0o700 });
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
export async function createNodeCertificate(
  home: string,
  addresses: readonly string[],
  outDir?: string,
): Promise<{ dir: string; summary: CertificateSummary }> {
  const paths = tlsPaths(home);
  if (!(await pathExists(paths.caKey)) || !(await pathExists(paths.ca))) {
    throw appError(
      'CERTIFICATE_FAILED',
      `No CA in ${paths.dir}: run "steadfast certs create-ca" first, on one machine, and make every node's certificate there.`,
    );
  }
  const ca = { certificate: await readText(paths.ca), privateKey: await readText(paths.caKey) };
  let pair;
  try {
    pair = await issueNodeCertificate(ca, { commonName: replicationRole, addresses });
  } catch (error) {
    throw appError('CERTIFICATE_FAILED', `${(error as Error).message}.`, { cause: error });
  }
  const dir = path.resolve(outDir ?? paths.dir);
  await makeDirectory(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(path.join(dir, 'node.key'), pair.privateKey);
  await writeFileAtomic(path.join(dir, 'node.crt'), pair.certificate);
  if (path.resolve(dir) !== path.resolve(paths.dir)) await writeFileAtomic(path.join(dir, 'ca.crt'), ca.certificate);
  return { dir, summary: describeCertificate(pair.certificate) };
}

/** A certificate the CA took back, as the CA's home keeps the list (`<home>/tls/revoked.json`). */
interface RevokedEntry {
  readonly serialNumber: string;
  readonly revokedAt: string;
  readonly subject?: string;
  readonly addresses?: readonly string[];
  readonly reason: string;
}

/**
 * `steadfast certs revoke <node.crt | serial>`, where the CA is: adds the certificate to the
 * CA's revocation list and writes the list anew (`<home>/tls/ca.crl`). Every node that has the
 * list in its `<home>/tls` refuses that certificate on the replication channel and the control
 * API from its next start. Revoking twice changes nothing.
 */
export async function revokeCertificate(
  home: string,
  which: string,
  reason: string,
): Promise<{ crl: string; revoked: RevokedEntry; already: boolean; total: number }> {
  const paths = tlsPaths(home);
  if (!(await pathExists(paths.caKey)) || !(await pathExists(paths.ca))) {
    throw appError(
      'CERTIFICATE_FAILED',
      `No CA in ${paths.dir}: revoke on the machine that holds the CA (where "steadfast certs create-ca" ran).`,
    );
  }
  const ca = { certificate: await readText(paths.ca), privateKey: await readText(paths.caKey) };
  const entry = await revocationOf(which, ca.certificate, reason);
  const record = stateFile<RevokedEntry[]>(paths.revoked, {
    damaged: (file) =>
      appError(
        'CERTIFICATE_FAILED',
        `${file} (the certificates this CA revoked) cannot be read: restore it from a copy of this home, or the new list would take back only this certificate.`,
      ),
  });
  const list = (await record.read()) ?? [];
  const known = list.find((revoked) => revoked.serialNumber === entry.serialNumber);
  const updated = known ? list : [...list, entry];
  const revocations: Revocation[] = updated.map((revoked) => ({
    serialNumber: revoked.serialNumber,
    revokedAt: new Date(revoked.revokedAt),
  }));
  const crl = await createRevocationList(ca, revocations);
  // The list first, then the record: a crash between leaves the record to be written again by the next revoke.
  await writeFileAtomic(paths.revocationList, crl);
  if (!known) await record.write(updated);
  return { crl: paths.revocationList, revoked: known ?? entry, already: Boolean(known), total: updated.length };
}

/** The entry for a certificate file (it must be this CA's) or a serial number in hex. */
async function revocationOf(which: string, caPem: string, reason: string): Promise<RevokedEntry> {
  const revokedAt = new Date().toISOString();
  if (/^(0x)?[0-9a-fA-F:]{2,64}$/.test(which) && !(await pathExists(which)))
    return { serialNumber: normalSerial(which.replace(/^0x|:/g, '')), revokedAt, reason };
  let pem: string;
  try {
    pem = await readText(which);
  } catch (error) {
    throw appError(
      'CERTIFICATE_FAILED',
      `Cannot read ${which} (${(error as Error).message}): name a node.crt file, or give the certificate's serial number ("steadfast certs show" on that node prints it).`,
    );
  }
  let summary: CertificateSummary;
  try {
    summary = describeCertificate(pem);
  } catch {
    throw appError(
      'CERTIFICATE_FAILED',
      `${which} is not a PEM certificate: name a node.crt file, or give the certificate's serial number.`,
    );
  }
  if (!wasIssuedBy(pem, caPem)) {
    throw appError(
      'CERTIFICATE_FAILED',
      `${which} was not issued by this CA (${describeCertificate(caPem).subject}): there is nothing to revoke here.`,
    );
  }
  return {
    serialNumber: summary.serialNumber,
    revokedAt,
    subject: summary.subject,
    addresses: summary.addresses,
    reason,
  };
}

/** `steadfast certs show`: what this node holds, whether its certificate is the CA's, and what its revocation list takes back. */
export async function showCertificates(home: string): Promise<{
  ca?: CertificateSummary;
  node?: CertificateSummary & { trusted: boolean; revoked: boolean };
  caKeyHere: boolean;
  revokedSerials?: string[];
}> {
  const paths = tlsPaths(home);
  const read = async (file: string): Promise<string | undefined> =>
    (await pathExists(file)) ? readText(file) : undefined;
  const [ca, node, crl] = await Promise.all([read(paths.ca), read(paths.cert), read(paths.revocationList)]);
  const revoked = crl ? revokedSerials(crl) : undefined;
  const summary = node ? describeCertificate(node) : undefined;
  return {
    ca: ca ? describeCertificate(ca) : undefined,
    node:
      summary && node
        ? {
            ...summary,
            trusted: Boolean(ca && isSignedBy(node, ca)),
            revoked: Boolean(revoked?.includes(summary.serialNumber)),
          }
        : undefined,
    caKeyHere: await pathExists(paths.caKey),
    ...(revoked ? { revokedSerials: revoked } : {}),
  };
}
