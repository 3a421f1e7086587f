import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import {
  createCertificateAuthority,
  createRevocationList,
  describeCertificate,
  isSignedBy,
  issueNodeCertificate,
  revokedSerials,
  type PemPair,
} from './certs.js';

/** A TLS handshake on loopback, each side presenting its certificate and checking the other's against `trusts` (and the server against `crl`). */
async function handshake(
  server: PemPair,
  client: PemPair,
  trusts: { server: string; client: string },
  servername = '127.0.0.1',
  crl?: string,
): Promise<{ ok: boolean; peerCommonName?: string; error?: string }> {
  const listener = tls.createServer(
    {
      cert: server.certificate,
      key: server.privateKey,
      ca: trusts.server,
      ...(crl ? { crl } : {}),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => socket.end('hello'),
  );
  listener.on('tlsClientError', () => undefined);
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  try {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: (listener.address() as AddressInfo).port,
      cert: client.certificate,
      key: client.privateKey,
      ca: trusts.client,
      servername: servername === '127.0.0.1' ? undefined : servername,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
    });
    return await new Promise((resolve) => {
      socket.once('secureConnect', () => {
        const peer = socket.getPeerCertificate();
        socket.once('data', () => {
          socket.destroy();
          resolve({ ok: true, peerCommonName: String(peer.subject.CN) });
        });
      });
      socket.once('error', (error) => resolve({ ok: false, error: error.message }));
      // With TLS 1.3 the client is through before the server has judged its certificate: a refusal then just closes.
      socket.once('close', () => resolve({ ok: false, error: 'closed by the server' }));
    });
  } finally {
    listener.close();
  }
}

test('node certificates of one CA authenticate each other both ways, by address', async () => {
  const ca = await createCertificateAuthority('Steadfast test CA');
  const primary = await issueNodeCertificate(ca, {
    commonName: 'steadfast_replication',
    addresses: ['127.0.0.1', 'db-1.example.net'],
  });
  const standby = await issueNodeCertificate(ca, { commonName: 'steadfast_replication', addresses: ['10.20.0.2'] });

  const summary = describeCertificate(primary.certificate);
  assert.equal(summary.subject, 'CN=steadfast_replication');
  assert.equal(summary.issuer, 'CN=Steadfast test CA');
  assert.deepEqual(summary.addresses, ['127.0.0.1', 'db-1.example.net']);
  assert.equal(summary.isCa, false);
  assert.equal(describeCertificate(ca.certificate).isCa, true);
  assert.ok(isSignedBy(primary.certificate, ca.certificate));

  const result = await handshake(primary, standby, { server: ca.certificate, client: ca.certificate });
  assert.deepEqual(result, { ok: true, peerCommonName: 'steadfast_replication' });
  assert.equal(
    (await handshake(primary, standby, { server: ca.certificate, client: ca.certificate }, 'db-1.example.net')).ok,
    true,
    'the DNS name is in the certificate too',
  );
  const wrongName = await handshake(
    primary,
    standby,
    { server: ca.certificate, client: ca.certificate },
    'db-2.example.net',
  );
  assert.equal(wrongName.ok, false);
  assert.match(wrongName.error!, /db-2\.example\.net/);
});

test('a certificate of another CA is refused on either side', async () => {
  const ca = await createCertificateAuthority('ours');
  const other = await createCertificateAuthority('theirs');
  const ours = await issueNodeCertificate(ca, { commonName: 'steadfast_replication', addresses: ['127.0.0.1'] });
  const intruder = await issueNodeCertificate(other, { commonName: 'steadfast_replication', addresses: ['127.0.0.1'] });
  assert.equal(isSignedBy(intruder.certificate, ca.certificate), false);
  assert.equal(
    (await handshake(ours, intruder, { server: ca.certificate, client: ca.certificate })).ok,
    false,
    'the server refuses a client of another CA',
  );
  assert.equal(
    (await handshake(intruder, ours, { server: ca.certificate, client: ca.certificate })).ok,
    false,
    'the client refuses a server of another CA',
  );
});

test('a node certificate is not a CA: what it signs is not trusted', async () => {
  const ca = await createCertificateAuthority('ours');
  const node = await issueNodeCertificate(ca, { commonName: 'steadfast_replication', addresses: ['127.0.0.1'] });
  const forged = await issueNodeCertificate(node, { commonName: 'steadfast_replication', addresses: ['127.0.0.1'] });
  const server = await issueNodeCertificate(ca, { commonName: 'steadfast_replication', addresses: ['127.0.0.1'] });
  assert.equal(
    (await handshake(server, forged, { server: `${ca.certificate}${node.certificate}`, client: ca.certificate })).ok,
    false,
  );
});

test('bad requests are refused with the reason', async () => {
  const ca = await createCertificateAuthority('ours');
  const other = await createCertificateAuthority('theirs');
  await assert.rejects(issueNodeCertificate(ca, { commonName: 'x', addresses: [] }), /at least one address/);
  await assert.rejects(
    issueNodeCertificate(ca, { commonName: 'x', addresses: ['not an address!'] }),
    /neither an IP address nor a DNS name/,
  );
  await assert.rejects(
    issueNodeCertificate(
      { certificate: ca.certificate, privateKey: other.privateKey },
      { commonName: 'x', addresses: ['127.0.0.1'] },
    ),
    /does not belong to the CA certificate/,
  );
});

test('a node certificate never outlives its CA', async () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const ca = await createCertificateAuthority('ours', now);
  const late = new Date(now.getTime() + 3600 * 24 * 3600 * 1000);
  const node = await issueNodeCertificate(ca, { commonName: 'x', addresses: ['127.0.0.1'], now: late });
  assert.ok(describeCertificate(node.certificate).notAfter <= describeCertificate(ca.certificate).notAfter);
});

test('a revoked node certificate is refused by a node holding the revocation list; the others still get in', async () => {
  const ca = await createCertificateAuthority('Test CA');
  const [server, kept, retired] = await Promise.all(
    [1, 2, 3].map(() => issueNodeCertificate(ca, { commonName: 'steadfast_replication', addresses: ['127.0.0.1'] })),
  );
  const serial = describeCertificate(retired!.certificate).serialNumber;
  const crl = await createRevocationList(ca, [{ serialNumber: serial, revokedAt: new Date() }]);
  assert.deepEqual(
    revokedSerials(crl),
    [serial],
    'the list names the certificate by the serial describeCertificate prints',
  );
  const trusts = { server: ca.certificate, client: ca.certificate };
  assert.equal((await handshake(server!, retired!, trusts, '127.0.0.1')).ok, true, 'without the list it gets in');
  assert.equal((await handshake(server!, retired!, trusts, '127.0.0.1', crl)).ok, false);
  assert.equal((await handshake(server!, kept!, trusts, '127.0.0.1', crl)).ok, true);
  assert.equal(
    (await handshake(server!, kept!, trusts, '127.0.0.1', await createRevocationList(ca, []))).ok,
    true,
    'an empty list takes back nothing',
  );
});
