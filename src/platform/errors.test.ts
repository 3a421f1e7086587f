import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appError, toAppError } from './errors.js';

test('catalogue errors keep their code, status and message', () => {
  const error = toAppError(appError('TENANT_SUSPENDED', 'The workspace "acme" is suspended.'));
  assert.deepEqual(
    [error.code, error.status, error.kind, error.message],
    ['TENANT_SUSPENDED', 423, 'user', 'The workspace "acme" is suspended.'],
  );
});

for (const [code, reason] of [
  ['ECONNREFUSED', /nothing is listening/],
  ['28P01', /password was refused/],
  ['3D000', /database does not exist/],
] as const) {
  test(`a database error ${code} becomes DATABASE_UNAVAILABLE saying why`, () => {
    const error = toAppError(Object.assign(new Error(`boom ${code}`), { code }));
    assert.equal(error.code, 'DATABASE_UNAVAILABLE');
    assert.equal(error.status, 503);
    assert.match(error.message, reason);
    assert.match(error.message, /DATABASE_URL/);
  });
}

for (const [message, reason] of [
  ['Connection terminated unexpectedly', /the connection was cut/],
  ['timeout exceeded when trying to connect', /the connection timed out/],
] as const) {
  test(`"${message}" from pg becomes DATABASE_UNAVAILABLE saying ${reason.source}`, () => {
    const error = toAppError(new Error(message));
    assert.equal(error.code, 'DATABASE_UNAVAILABLE');
    assert.match(error.message, reason);
  });
}

test('anything else is an unexpected internal error that hides its details', () => {
  const error = toAppError(new TypeError('x is undefined'));
  assert.equal(error.code, 'INTERNAL');
  assert.equal(error.kind, 'unexpected');
  assert.doesNotMatch(error.message, /undefined/);
});
