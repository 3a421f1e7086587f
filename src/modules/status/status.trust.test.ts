import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Evidence } from '../../platform/evidence.js';
import { freshnessText, renderTrustHtml } from './status.trust.js';

const now = new Date('2027-03-01T10:00:00Z');
const figure = (overrides: Partial<Evidence>): Evidence => ({
  id: 'restore-drill',
  section: 'Restores',
  label: 'Last verified restore',
  value: 'Passed.',
  measuredAt: new Date('2027-03-01T02:00:00Z'),
  renewedWithinHours: 26,
  how: 'The nightly drill.',
  ...overrides,
});

test('a figure within its promise is dated; past it, or never measured, it is stale in words; a setting never is', () => {
  assert.deepEqual(freshnessText(figure({}), now), {
    text: 'Measured 2027-03-01 02:00 UTC (8 hours ago).',
    stale: false,
  });
  const old = freshnessText(figure({ measuredAt: new Date('2027-02-28T07:00:00Z') }), now);
  assert.equal(old.stale, true);
  assert.match(old.text, /^Stale: measured 2027-02-28 07:00 UTC \(27 hours ago\), but it is promised every 26 hours\./);
  assert.deepEqual(freshnessText(figure({ measuredAt: undefined }), now), {
    text: 'Stale: never measured, although it is promised every 26 hours.',
    stale: true,
  });
  assert.deepEqual(freshnessText(figure({ measuredAt: undefined, renewedWithinHours: undefined }), now), {
    text: 'A setting in force now.',
    stale: false,
  });
  assert.match(
    freshnessText(figure({ measuredAt: new Date('2027-03-01T09:50:00Z'), renewedWithinHours: 1 / 12 }), now).text,
    /promised every 5 minutes/,
  );
});

test('a failed figure is tagged Failed, a stale one Stale, and text is escaped', () => {
  const html = renderTrustHtml('Status', now, [
    figure({ value: 'Failed: <script>', failed: true }),
    figure({ id: 'b', section: 'Backups', label: 'Newest backup', measuredAt: new Date('2027-02-01T00:00:00Z') }),
  ]);
  assert.match(
    html,
    /<article class="failed"><h3><span class="tag x">Failed<\/span> Last verified restore<\/h3><p class="value">Failed: &lt;script&gt;/,
  );
  assert.match(html, /<article class="stale"><h3><span class="tag d">Stale<\/span> Newest backup/);
  assert.ok(html.indexOf('<h2>Restores</h2>') < html.indexOf('<h2>Backups</h2>'));
  assert.doesNotMatch(html, /<h2>Replication<\/h2>/, 'a section with no figure is left out');
});
