import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { neededBy } from './backup.chain.js';
import type { BackupRecord } from './backup.schema.js';

/** Only what neededBy reads of a record: its id and its chain. */
const record = (id: string, references?: string[]): BackupRecord =>
  ({ id, ...(references ? { references } : {}) }) as BackupRecord;

describe('what a kept incremental needs', () => {
  const chain = [
    record('20261129T020000Z'), // Sunday's full
    record('20261130T020000Z', ['20261129T020000Z']),
    record('20261201T020000Z', ['20261129T020000Z', '20261130T020000Z']),
    record('20261206T020000Z'), // the next Sunday's full
    record('20261207T020000Z', ['20261206T020000Z']),
  ];

  test('names each backup a kept one needs, with the kept ones needing it', () => {
    const needs = neededBy(chain, new Set(['20261201T020000Z', '20261207T020000Z']));
    assert.deepEqual(Object.fromEntries([...needs].map(([id, by]) => [id, by.sort()])), {
      // Sunday's by Tuesday's, and by Monday's, which Tuesday's keeps.
      '20261129T020000Z': ['20261130T020000Z', '20261201T020000Z'],
      '20261130T020000Z': ['20261201T020000Z'],
      '20261206T020000Z': ['20261207T020000Z'],
    });
  });

  test('a backup kept for another keeps its own chain too', () => {
    // Tuesday's names only Monday's, which needs Sunday's: all three stay restorable.
    const short = [chain[0]!, chain[1]!, record('20261201T020000Z', ['20261130T020000Z'])];
    const needs = neededBy(short, new Set(['20261201T020000Z']));
    assert.deepEqual([...needs.keys()].sort(), ['20261129T020000Z', '20261130T020000Z']);
    assert.deepEqual(needs.get('20261129T020000Z'), ['20261130T020000Z']);
  });

  test('full backups need nothing', () => {
    assert.equal(neededBy(chain, new Set(['20261129T020000Z', '20261206T020000Z'])).size, 0);
  });
});
