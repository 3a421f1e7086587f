import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { leafOf, loadWebTls } from './web-tls.js';

let home: string;
before(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'web-tls-'));
});
after(() => rm(home, { recursive: true, force: true }));

test('without files, a certificate for the base domain and every workspace under it is made once, signed by a local CA', async () => {
  const first = await loadWebTls({ home, baseDomain: 'example.test' });
  const leaf = leafOf(first.certificate);
  assert.equal(leaf.checkHost('acme.example.test'), '*.example.test');
  assert.equal(leaf.checkHost('example.test'), 'example.test');
  assert.equal(leaf.checkHost('other.test'), undefined);
  assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
  const ca = new X509Certificate(await readFile(first.caFile!, 'utf8'));
  assert.ok(leaf.verify(ca.publicKey), 'signed by the CA whose certificate is to be trusted');
  assert.equal((await stat(path.join(home, 'tls', 'server.key'))).mode & 0o777, 0o600);
  const second = await loadWebTls({ home, baseDomain: 'example.test' });
  assert.equal(second.certificate, first.certificate, 'reused, not made again');
  const renamed = await loadWebTls({ home, baseDomain: 'other.test' });
  assert.notEqual(renamed.certificate, first.certificate, 'a new base domain gets a new certificate');
  const demo = await loadWebTls({ home, baseDomain: 'localhost', workspaces: ['demo'] });
  assert.equal(
    leafOf(demo.certificate).checkHost('demo.localhost'),
    'demo.localhost',
    'named, not only by *.localhost',
  );
});

test('configured files are used as they are; one without the other, or a file that is not a certificate, is refused', async () => {
  const made = await loadWebTls({ home, baseDomain: 'example.test' });
  const certFile = path.join(home, 'mine.crt');
  const keyFile = path.join(home, 'mine.key');
  await writeFile(certFile, made.certificate);
  await writeFile(keyFile, made.privateKey);
  const mine = await loadWebTls({ home, baseDomain: 'example.test', certFile, keyFile });
  assert.equal(mine.source, certFile);
  assert.equal(mine.caFile, undefined);
  await assert.rejects(loadWebTls({ home, baseDomain: 'example.test', certFile }), /both tlsCertFile and tlsKeyFile/);
  await writeFile(certFile, 'not a certificate');
  await assert.rejects(loadWebTls({ home, baseDomain: 'example.test', certFile, keyFile }), /is not a PEM certificate/);
  await assert.rejects(
    loadWebTls({ home, baseDomain: 'example.test', certFile: path.join(home, 'missing.crt'), keyFile }),
    /does not exist/,
  );
});
