import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openField, sealField } from './fields.js';

const key = 'k'.repeat(48);

test('a sealed field opens with the same key and purpose, and differs every time it is sealed', () => {
  const a = sealField(key, 'totp', 'JBSWY3DPEHPK3PXPJBSWY3DP');
  const b = sealField(key, 'totp', 'JBSWY3DPEHPK3PXPJBSWY3DP');
  assert.notEqual(a, b);
  assert.ok(!a.includes('JBSWY3DP'));
  assert.equal(openField(key, 'totp', a), 'JBSWY3DPEHPK3PXPJBSWY3DP');
});

test('another key, another purpose or an altered value do not open', () => {
  const sealed = sealField(key, 'totp', 'secret');
  assert.throws(() => openField('x'.repeat(48), 'totp', sealed));
  assert.throws(() => openField(key, 'other', sealed));
  const parts = sealed.split('.');
  parts[2] = Buffer.from('secreT').toString('base64url');
  assert.throws(() => openField(key, 'totp', parts.join('.')));
  assert.throws(() => openField(key, 'totp', 'garbage'), /not a sealed field/);
});
