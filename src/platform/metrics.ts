import { sql, type Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { PlatformTables } from './db/schema.js';
import { version } from './version.js';

/**
 * A gauge read when scraped: `collect` sets its values from the records (the platform
 * database, a service's state) at that moment, so nothing is kept in step by hand.
 */
export interface GaugeDefinition {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  collect(gauge: Gauge): Promise<void> | void;
}

/**
 * Registers gauges read when scraped: each is reset, set to NaN when it has no labels (a value
 * not known yet, which no comparison in an alert rule matches), then collected.
 */
export function registerGauges(registry: Registry, definitions: readonly GaugeDefinition[]): void {
  for (const definition of definitions) {
    const labelNames = [...(definition.labelNames ?? [])];
    new Gauge({
      name: definition.name,
      help: definition.help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        if (labelNames.length === 0) this.set(Number.NaN);
        await definition.collect(this);
      },
    });
  }
}

/** Shorthand for a gauge definition. */
export const gauge = (
  name: string,
  help: string,
  collect: GaugeDefinition['collect'],
  labelNames: readonly string[] = [],
): GaugeDefinition => ({ name, help, collect, labelNames });

/** A reading shared by the gauges of one scrape (and by scrapes within `ttlMs`): one query, not one per gauge. */
export function cachedReading<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let reading: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!reading || Date.now() - reading.at > ttlMs) reading = { at: Date.now(), value: read() };
    return reading.value;
  };
}

/** What is the platform's own: the build, the database, the job queue. */
export function platformGauges(db: Kysely<PlatformTables>): GaugeDefinition[] {
  return [
    gauge('steadfast_build_info', 'Always 1; the version is in its label.', (g) => g.set({ version }, 1), ['version']),
    gauge('steadfast_postgres_up', '1 when the platform database answers.', async (g) => {
      g.set(
        await sql`SELECT 1`.execute(db).then(
          () => 1,
          () => 0,
        ),
      );
    }),
    gauge(
      'steadfast_jobs',
      'Background jobs by type and status (finished ones are pruned after 30 days).',
      async (g) => {
        const rows = await db
          .selectFrom('jobs')
          .select(['type', 'status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy(['type', 'status'])
          .execute()
          .catch(() => []);
        for (const row of rows) g.set({ type: row.type, status: row.status }, Number(row.n));
      },
      ['type', 'status'],
    ),
  ];
}
