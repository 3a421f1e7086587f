import { Gauge, type Registry } from 'prom-client';

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
