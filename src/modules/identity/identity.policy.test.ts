import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Actor } from '../../platform/actor.js';
import { AppError } from '../../platform/errors.js';
import { assertAllowed, canGrantRole, canManageMembers, canRead, canReadAudit, canWrite } from './identity.policy.js';
import { lockSeconds } from './identity.sign-in.js';
import type { Role } from './identity.tables.js';

const user = (role: Role, readOnly = false): Actor => ({
  kind: 'user',
  name: `${role}@example.com`,
  userId: role,
  role,
  readOnly,
});

const table: Array<[string, (actor: Actor) => boolean, Role[]]> = [
  ['read', canRead, ['viewer', 'member', 'admin', 'owner']],
  ['write', canWrite, ['member', 'admin', 'owner']],
  ['manage members', canManageMembers, ['admin', 'owner']],
  ['read the audit log', canReadAudit, ['admin', 'owner']],
];

for (const [what, allowed, roles] of table) {
  test(`only ${roles.join(', ')} may ${what}; nobody who is not a signed-in person may`, () => {
    for (const role of ['viewer', 'member', 'admin', 'owner'] as const)
      assert.equal(allowed(user(role)), roles.includes(role), role);
    for (const other of [
      { kind: 'anonymous' },
      { kind: 'operator', name: 'ops' },
      { kind: 'service', name: 'drill' },
    ] as Actor[])
      assert.equal(allowed(other), false, other.kind);
  });
}

test('a read-only token writes nothing, whatever its role, but reads', () => {
  assert.equal(canWrite(user('owner', true)), false);
  assert.equal(canManageMembers(user('owner', true)), false);
  assert.equal(canRead(user('owner', true)), true);
});

test('admins hand out roles up to admin; only owners make owners', () => {
  assert.equal(canGrantRole(user('admin'), 'admin'), true);
  assert.equal(canGrantRole(user('admin'), 'owner'), false);
  assert.equal(canGrantRole(user('owner'), 'owner'), true);
  assert.equal(canGrantRole(user('member'), 'viewer'), false);
});

test('nobody gets a 401, someone without the role a 403 naming it', () => {
  assert.throws(
    () => assertAllowed({ kind: 'anonymous' }, canWrite, 'change tasks'),
    (error) => error instanceof AppError && error.code === 'UNAUTHENTICATED',
  );
  assert.throws(
    () => assertAllowed(user('viewer'), canWrite, 'change tasks'),
    (error) =>
      error instanceof AppError &&
      error.code === 'FORBIDDEN' &&
      error.message === 'Your role (viewer) does not allow you to change tasks.',
  );
});

test('the sign-in back-off: three free failures, then 2, 4, 8 … seconds, never more than 15 minutes', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 12, 13, 40].map(lockSeconds), [0, 0, 0, 2, 4, 8, 512, 900, 900]);
});
