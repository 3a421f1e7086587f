/**
 * The small certificate authority of a Steadfast installation: it signs the certificate each
 * node presents on the replication channel, as server and as client (TLS both ways, no
 * password). Keys are ECDSA P-256, certificates X.509 v3 signed with SHA-256, files PEM.
 * Built on @peculiar/x509 over Node's WebCrypto.
 */
import 'reflect-metadata'; // @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API
import { createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;
/** A CA outlives several rounds of node certificates; node certificates are renewed by running the command again. */
export const caValidityDays = 3650;
export const nodeValidityDays = 825;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certificate: string;
  readonly privateKey: string;
}

export interface NodeCertificateRequest {
  /** The database role the node replicates as: its certificate's common name, which PostgreSQL's `cert` method matches. */
  readonly commonName: string;
  /** Addresses the node is reached at (IP addresses or DNS names): the certificate's subject alternative names. */
  readonly addresses: readonly string[];
  readonly now?: Date;
  readonly validityDays?: number;
}

/** A self-signed CA that can sign node certificates and nothing below them (path length 0). */
export async function createCertificateAuthority(name: string, now = new Date()): Promise<PemPair> {
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${escapeDn(name)}`,
    notBefore: backdated(now),
    notAfter: new Date(now.getTime() + caValidityDays * dayMs),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: certificate.toString('pem'), privateKey: await exportPrivateKey(keys.privateKey) };
}

/** A node certificate signed by `ca`, good for TLS as server and as client. */
export async function issueNodeCertificate(ca: PemPair, request: NodeCertificateRequest): Promise<PemPair> {
  if (request.addresses.length === 0)
    throw new Error('a node certificate needs at least one address (an IP address or DNS name)');
  for (const address of request.addresses) {
    if (
      !isIP(address) &&
      // A DNS name, or a wildcard for the names one level under one (`*.example.com`, for a web server's workspaces).
      !/^(?=.{1,253}$)(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(address)
    ) {
      throw new Error(`"${address}" is neither an IP address nor a DNS name`);
    }
  }
  const now = request.now ?? new Date();
  if (!new NodeX509(ca.certificate).checkPrivateKey(createPrivateKey(ca.privateKey)))
    throw new Error('the CA private key does not belong to the CA certificate');
  const authority = new x509.X509Certificate(ca.certificate);
  const signingKey = await importPrivateKey(ca.privateKey);
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${escapeDn(request.commonName)}`,
    issuer: authority.subject,
    notBefore: backdated(now),
    notAfter: new Date(
      Math.min(now.getTime() + (request.validityDays ?? nodeValidityDays) * dayMs, authority.notAfter.getTime()),
    ),
    signingKey,
    publicKey: keys.publicKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(
        request.addresses.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(authority),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: certificate.toString('pem'), privateKey: await exportPrivateKey(keys.privateKey) };
}

/** A certificate the CA has taken back: its serial number (hex) and since when. */
export interface Revocation {
  readonly serialNumber: string;
  readonly revokedAt: Date;
}

/**
 * The CA's certificate revocation list (PEM): every node checks its peers' certificates against
 * it. Valid until the CA itself expires: a CRL past its next-update date makes OpenSSL refuse
 * every certificate, and an outage for a forgotten renewal is not a risk worth taking here; a new
 * list replaces the old one whenever a certificate is revoked.
 */
export async function createRevocationList(
  ca: PemPair,
  revoked: readonly Revocation[],
  now = new Date(),
): Promise<string> {
  const authority = new x509.X509Certificate(ca.certificate);
  const crl = await x509.X509CrlGenerator.create({
    issuer: authority.subject,
    thisUpdate: backdated(now),
    nextUpdate: authority.notAfter,
    signingAlgorithm: algorithm,
    signingKey: await importPrivateKey(ca.privateKey),
    entries: revoked.map(({ serialNumber, revokedAt }) => ({
      serialNumber,
      revocationDate: revokedAt,
      reason: x509.X509CrlReason.keyCompromise,
    })),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(authority)],
  });
  // OpenSSL (PostgreSQL, Node) reads only the "X509 CRL" label.
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** The serial numbers (hex, lower case) a CRL lists. */
export function revokedSerials(crlPem: string): string[] {
  return new x509.X509Crl(crlPem).entries.map((entry) => normalSerial(entry.serialNumber));
}

/** A serial number as hex, lower case, without leading zeros: the form both libraries can be compared in. */
export const normalSerial = (hex: string): string => hex.toLowerCase().replace(/^0+(?=.)/, '');

/** What an operator wants to know of a certificate file: who, where, signed by whom, until when. */
export interface CertificateSummary {
  readonly serialNumber: string;
  readonly subject: string;
  readonly issuer: string;
  readonly addresses: readonly string[];
  readonly notAfter: Date;
  readonly fingerprint256: string;
  readonly isCa: boolean;
}

export function describeCertificate(pem: string): CertificateSummary {
  const certificate = new NodeX509(pem);
  const addresses = (certificate.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''));
  return {
    serialNumber: normalSerial(certificate.serialNumber),
    subject: certificate.subject,
    issuer: certificate.issuer,
    addresses,
    notAfter: new Date(certificate.validTo),
    fingerprint256: certificate.fingerprint256,
    isCa: certificate.ca,
  };
}

/** Whether `pem` was signed by the CA certificate `caPem` (and is within its validity at `now`). */
export function isSignedBy(pem: string, caPem: string, now = new Date()): boolean {
  const certificate = new NodeX509(pem);
  return wasIssuedBy(pem, caPem) && new Date(certificate.validFrom) <= now && now <= new Date(certificate.validTo);
}

/** Whether `pem` was signed by the CA certificate `caPem`, valid now or not. */
export function wasIssuedBy(pem: string, caPem: string): boolean {
  const certificate = new NodeX509(pem);
  const ca = new NodeX509(caPem);
  return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
}

/** A random positive serial number of 16 bytes (RFC 5280 allows up to 20). */
function serialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** An hour's grace for clocks of other machines a little behind ours. */
const backdated = (now: Date): Date => new Date(now.getTime() - 60 * 60 * 1000);

const escapeDn = (value: string): string => value.replace(/([,+"\\<>;=])/g, '\\$1');

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return crypto.subtle.importKey('pkcs8', Buffer.from(body, 'base64'), algorithm, false, ['sign']);
}
