import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugSchema } from './tenancy.schema.js';

function reasons(slug: string): string[] {
  const parsed = slugSchema.safeParse(slug);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

test('a slug too short is refused for that alone, not also for how it starts and ends', () => {
  assert.deepEqual(reasons('a'), ['a slug must be at least 3 characters']);
  assert.deepEqual(reasons('7'), ['a slug must be at least 3 characters']);
});

test('each rule a slug breaks is named once, and only those', () => {
  assert.deepEqual(reasons('-'), [
    'a slug must be at least 3 characters',
    'a slug must start and end with a letter or digit',
  ]);
  assert.deepEqual(reasons('-ab'), ['a slug must start and end with a letter or digit']);
  assert.deepEqual(reasons('A_b'), ['a slug may hold only lower-case letters a-z, digits and hyphens']);
  assert.deepEqual(reasons('a--b'), ['a slug must not contain two hyphens in a row']);
  assert.deepEqual(reasons('acme'), []);
  assert.deepEqual(reasons('a1b'), []);
});
