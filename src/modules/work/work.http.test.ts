import assert from 'node:assert/strict';
import { test } from 'node:test';
import { json } from './work.http.js';

test('json() gives what a round trip through JSON text gives: dates as ISO 8601, undefined left out, nested', () => {
  const value = {
    id: 'a',
    createdAt: new Date('2026-12-06T10:00:00.123Z'),
    completedAt: null,
    dueDate: '2026-12-24',
    estimate: 1.5,
    done: false,
    gone: undefined,
    assignees: [{ id: 'u', name: 'Ada', since: new Date(0) }],
    fields: { size: ['L', 'XL'], nested: { at: new Date('2026-01-01T00:00:00Z') } },
  };
  const made = json(value);
  assert.deepEqual(made, JSON.parse(JSON.stringify(value)));
  assert.equal(made.createdAt, '2026-12-06T10:00:00.123Z');
  assert.ok(!('gone' in made));
  assert.equal(json([new Date(0), 1, 'x', null]).join(','), '1970-01-01T00:00:00.000Z,1,x,');
});
