// Latencies measured one request at a time on an otherwise idle server: searches, and how long a
// move takes to reach another person's live stream.
import { pollUntil } from '../../src/platform/clock/clock.js';
import { percentile, round } from '../lib.js';
import { expectStatus, openStream, type Call } from './client.js';
import { searchTerm, type MixFixture } from './mix.js';

export const searchKinds = ['word', 'partial', 'rare', 'key'] as const;
export type SearchKind = (typeof searchKinds)[number];

/** p95 (ms) of GET /api/v1/tasks?q= for each kind of term, `count` of each, as the web app's search asks. */
export async function searchLatency(
  call: Call,
  fixture: MixFixture,
  count: number,
): Promise<Record<SearchKind | 'all', number>> {
  const samples = Object.fromEntries(searchKinds.map((kind) => [kind, [] as number[]])) as Record<SearchKind, number[]>;
  for (let i = 0; i < count; i++)
    for (const kind of searchKinds) {
      const term = searchTerm(fixture, kind);
      const answer = await call<{ items: Array<{ key: string }> }>(
        'GET',
        `/api/v1/tasks?q=${encodeURIComponent(term)}&sort=relevance&limit=25`,
      );
      const { items } = expectStatus(answer, 200, `search for "${term}"`);
      // Every term is one the seed put in some title (or a key it made): an empty page is a search that missed.
      if (items.length === 0 || (kind === 'key' && items[0]!.key !== term))
        throw new Error(
          `search for "${term}" (${kind}) found ${items.map((item) => item.key).join(', ') || 'nothing'}`,
        );
      samples[kind].push(answer.ms);
    }
  const p95 = (values: number[]) => round(percentile(values, 95), 1);
  return {
    ...(Object.fromEntries(searchKinds.map((kind) => [kind, p95(samples[kind])])) as Record<SearchKind, number>),
    all: p95(Object.values(samples).flat()),
  };
}

export interface LiveFigures {
  /** From sending the PATCH to the event's frame arriving on the other client's stream, per move (ms). */
  readonly delivered: number[];
  /** The PATCH's own answer time, per move (ms). */
  readonly answered: number[];
}

/**
 * Moves `keys` one after another between two states with `mover`'s client, timing each from the
 * PATCH being sent to its task.updated event arriving on `watcher`'s stream of the project.
 */
export async function liveLatency(
  mover: Call,
  watcher: { port: number; headers: Record<string, string> },
  project: { key: string; todo: string; started: string },
  keys: readonly string[],
): Promise<LiveFigures> {
  const arrivals = new Map<string, number>();
  let ready = false;
  const stream = await openStream(watcher.port, `/api/v1/projects/${project.key}/events`, watcher.headers, (event) => {
    if (event.event === 'ready') ready = true;
    if (event.event !== 'task.updated') return;
    const task = event.data.task as { key: string; version: number };
    arrivals.set(`${task.key}@${task.version}`, event.at);
  });
  try {
    await pollUntil(() => ready, { timeoutMs: 5000, intervalMs: 5 });
    const figures: LiveFigures = { delivered: [], answered: [] };
    for (const key of keys) {
      const task = expectStatus(
        await mover<{ version: number; state: { id: string } }>('GET', `/api/v1/tasks/${key}`),
        200,
        `GET ${key}`,
      );
      const to = task.state.id === project.started ? project.todo : project.started;
      const sent = performance.now();
      const moved = await mover<{ version: number }>(
        'PATCH',
        `/api/v1/tasks/${key}`,
        { stateId: to },
        { 'if-match': `"${task.version}"` },
      );
      const { version } = expectStatus(moved, 200, `moving ${key}`);
      const arrived = await pollUntil(() => arrivals.get(`${key}@${version}`), {
        timeoutMs: 5000,
        intervalMs: 2,
        timeoutError: () => new Error(`the move of ${key} did not reach the other client's stream within 5 s`),
      });
      figures.delivered.push(arrived - sent);
      figures.answered.push(moved.ms);
    }
    return figures;
  } finally {
    stream.close();
  }
}
