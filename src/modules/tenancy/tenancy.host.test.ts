import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetOfHost } from './tenancy.host.js';

const cases: Array<[string | undefined, string, ReturnType<typeof targetOfHost>]> = [
  ['acme.localhost:8080', 'localhost', { kind: 'tenant', slug: 'acme' }],
  ['acme.localhost', 'localhost', { kind: 'tenant', slug: 'acme' }],
  ['ACME.Localhost.', 'localhost', { kind: 'tenant', slug: 'acme' }],
  ['acme.steadfast.example.com:443', 'steadfast.example.com', { kind: 'tenant', slug: 'acme' }],
  ['localhost:8080', 'localhost', { kind: 'platform' }],
  ['a.b.localhost', 'localhost', { kind: 'platform' }],
  ['acme.evil.com', 'localhost', { kind: 'platform' }],
  ['acmelocalhost', 'localhost', { kind: 'platform' }],
  ['[::1]:8080', 'localhost', { kind: 'platform' }],
  [undefined, 'localhost', { kind: 'platform' }],
];

for (const [host, baseDomain, expected] of cases) {
  test(`host ${JSON.stringify(host)} under ${baseDomain} is ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(targetOfHost(host, baseDomain), expected);
  });
}
