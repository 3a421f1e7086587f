import { sql } from 'kysely';
import { evidenceSections, isStale, type Evidence } from '../../platform/evidence.js';
import { escapeHtml, utc } from './status.html.js';
import type { StatusDb } from './status.tables.js';

/** A reading of now older than this is stale: the probes run every 30 s. */
const currentWithinHours = 5 / 60;
const lagHow =
  "The platform's probe reads each standby's replay lag from PostgreSQL (pg_stat_replication) every 30 seconds and keeps the worst of each minute; the p99 is over those minutes.";

const seconds = (value: number): string => `${Math.round(value * 100) / 100} s`;

/**
 * Evidence the status module measures itself from the probes' readings: each standby's
 * replication lag now and its 30-day p99, and how long WAL waits to be archived now.
 */
export async function readingsEvidence(db: StatusDb, now: Date): Promise<Evidence[]> {
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const latest = await sql<{
    component_id: string;
    minute: Date;
    state: string;
    lag: number | null;
    archive: number | null;
  }>`
    SELECT DISTINCT ON (component_id) component_id, minute, state,
           (figures->>'lag_seconds')::float8 AS lag, (figures->>'archive_lag_seconds')::float8 AS archive
    FROM status_readings
    WHERE (component_id LIKE 'standby:%' OR component_id = 'wal-archive') AND location = 'local' AND minute >= ${since}
    ORDER BY component_id, minute DESC`.execute(db);
  const p99s = await sql<{ component_id: string; p99: number; minutes: number }>`
    SELECT component_id, percentile_cont(0.99) WITHIN GROUP (ORDER BY (figures->>'lag_seconds')::float8) AS p99,
           count(*)::int AS minutes
    FROM status_readings
    WHERE component_id LIKE 'standby:%' AND location = 'local' AND minute >= ${since} AND figures ? 'lag_seconds'
    GROUP BY component_id`.execute(db);
  const p99Of = new Map(p99s.rows.map((row) => [row.component_id, row]));
  const evidence: Evidence[] = [];
  const standbys = latest.rows.filter((row) => row.component_id.startsWith('standby:'));
  if (standbys.length === 0)
    evidence.push({
      id: 'replication',
      section: 'Replication',
      label: 'Replication to a standby',
      value: 'No standby has been seen in the last 30 days: recovery is from the backups.',
      measuredAt: now,
      renewedWithinHours: currentWithinHours,
      how: lagHow,
    });
  for (const row of standbys) {
    const name = row.component_id.slice('standby:'.length);
    const p99 = p99Of.get(row.component_id);
    evidence.push(
      {
        id: `${row.component_id}:now`,
        section: 'Replication',
        label: `Replication lag of ${name} now`,
        value:
          row.lag === null
            ? `Not replicating (${row.state.replace('_', ' ')}).`
            : `${seconds(row.lag)} behind the primary.`,
        measuredAt: row.minute,
        renewedWithinHours: currentWithinHours,
        how: lagHow,
        ...(row.lag === null ? { failed: true } : {}),
      },
      {
        id: `${row.component_id}:p99`,
        section: 'Replication',
        label: `Replication lag of ${name}, 30-day p99`,
        value: p99
          ? `${seconds(p99.p99)} (99 % of ${p99.minutes.toLocaleString('en')} minutes measured were at or under it).`
          : 'No lag measured in the last 30 days.',
        measuredAt: p99 ? row.minute : undefined,
        renewedWithinHours: currentWithinHours,
        how: lagHow,
      },
    );
  }
  const archive = latest.rows.find((row) => row.component_id === 'wal-archive');
  evidence.push({
    id: 'wal-archive:now',
    section: 'Backups',
    label: 'WAL waiting to be archived now',
    value:
      archive?.archive === null || archive?.archive === undefined
        ? 'Not measured: this platform archives no WAL here.'
        : archive.archive === 0
          ? 'None: every change is in the repositories.'
          : `The oldest change not yet in a repository waited ${seconds(archive.archive)}.`,
    measuredAt: archive?.minute,
    renewedWithinHours: currentWithinHours,
    how: 'The probe reads the WAL spool every 30 seconds: WAL waiting there is what a lost data centre would lose.',
  });
  return evidence;
}

const hoursText = (hours: number): string =>
  hours < 1 / 60
    ? 'under a minute'
    : hours < 1
      ? `${Math.round(hours * 60)} minutes`
      : hours < 48
        ? `${Math.round(hours)} hours`
        : `${Math.round(hours / 24)} days`;

/** The trust page's words for one figure's age against its promise. */
export function freshnessText(evidence: Evidence, now: Date): { text: string; stale: boolean } {
  const stale = isStale(evidence, now);
  if (!evidence.measuredAt)
    return {
      text:
        evidence.renewedWithinHours === undefined
          ? 'A setting in force now.'
          : `Stale: never measured, although it is promised every ${hoursText(evidence.renewedWithinHours)}.`,
      stale,
    };
  const ageHours = (now.getTime() - evidence.measuredAt.getTime()) / 3_600_000;
  const when = `${utc(evidence.measuredAt)} (${hoursText(Math.max(0, ageHours))} ago)`;
  if (!stale) return { text: `Measured ${when}.`, stale };
  return {
    text: `Stale: measured ${when}, but it is promised every ${hoursText(evidence.renewedWithinHours!)}. Until it is measured again, do not rely on it.`,
    stale,
  };
}

/** trust.html: every figure under its section, its value, its date or staleness in words, and how it was measured. */
export function renderTrustHtml(title: string, generatedAt: Date, evidence: readonly Evidence[]): string {
  const sections = evidenceSections
    .map((section) => {
      const items = evidence.filter((item) => item.section === section);
      if (items.length === 0) return '';
      return `<h2>${section}</h2>${items
        .map((item) => {
          const fresh = freshnessText(item, generatedAt);
          const tag = item.failed
            ? '<span class="tag x">Failed</span> '
            : fresh.stale
              ? '<span class="tag d">Stale</span> '
              : '';
          return `<article class="${item.failed ? 'failed' : fresh.stale ? 'stale' : ''}"><h3>${tag}${escapeHtml(item.label)}</h3><p class="value">${escapeHtml(
            item.value,
          )}</p><p class="${fresh.stale ? 'warn' : 'muted'}">${escapeHtml(fresh.text)}</p><p class="muted">How: ${escapeHtml(item.how)}</p></article>`;
        })
        .join('')}`;
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(
    `${title}: backups and recovery, measured`,
  )}</title><link rel="stylesheet" href="style.css"></head><body><main><p><a href="index.html">← Status</a></p><h1>Backups and recovery, measured</h1><p>What we promise about backups and recovery, and the latest measurement of each, dated. The platform measures these itself: restores are tried every night, failovers at least monthly, replication and archiving every 30 seconds. A figure older than its promise is marked stale, in words.</p><p class="muted">Updated ${utc(
    generatedAt,
  )}. This page is published away from the platform; if that time is long ago, the platform could not update it since.</p>${sections}</main></body></html>\n`;
}
