// The mixed workload: per request 60% lists and searches, 30% reads of one task, 10% writes (a task
// made or changed, then a comment on it), sent by autocannon as pairs of requests per connection.
import { randomUUID } from 'node:crypto';
import autocannon, { type Request } from 'autocannon';
import { codename, vocabulary } from './seed.js';

export interface MixProject {
  readonly key: string;
  /** Tasks seeded in it, numbered 1..tasks. */
  readonly tasks: number;
  readonly stateIds: readonly string[];
  readonly labelIds: readonly string[];
}

export interface MixFixture {
  readonly projects: readonly MixProject[];
  readonly userIds: readonly string[];
}

export interface MixFigures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Latencies (ms) of each kind of request answered in the measured run, as the bench saw them. */
  readonly byKind: Readonly<Record<Kind, number[]>>;
}

export const kinds = ['list', 'search', 'read', 'create', 'update', 'comment'] as const;
export type Kind = (typeof kinds)[number];

const any = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const chance = (p: number) => Math.random() < p;

/**
 * The tasks the mix changes, with the version each was last seen at. A task is changed by one
 * connection at a time, so a PATCH's If-Match always holds; a task whose answer a run's end cut
 * off is dropped, its version unknown.
 */
export class EditableTasks {
  private readonly versions = new Map<string, number>();
  private readonly busy = new Set<string>();
  private keys: string[];

  constructor(keys: readonly string[]) {
    this.keys = [...keys];
    for (const key of keys) this.versions.set(key, 1);
  }

  take(): { key: string; version: number } {
    for (;;) {
      const key = any(this.keys);
      if (this.busy.has(key)) continue;
      this.busy.add(key);
      return { key, version: this.versions.get(key)! };
    }
  }

  done(key: string, version: number): void {
    this.busy.delete(key);
    this.versions.set(key, version);
  }

  abandonBusy(): void {
    this.keys = this.keys.filter((key) => !this.busy.has(key));
    this.busy.clear();
  }
}

/** What a list or search asks for: the filters and sorts of the web app's list, board and search. */
function listPath(fixture: MixFixture): { kind: Kind; path: string } {
  const project = any(fixture.projects);
  const lists = [
    () => `project=${project.key}`,
    () => `project=${project.key}&group=unstarted,started&sort=priority`,
    () => `project=${project.key}&assignee=${any(fixture.userIds)}&sort=due`,
    () => `project=${project.key}&label=${any(project.labelIds)}&sort=created`,
    () => `project=${project.key}&state=${any(project.stateIds)}&sort=board`,
    () => `project=${project.key}&priority=high,urgent&group=backlog,unstarted&sort=key`,
  ];
  if (chance(2 / 3)) return { kind: 'list', path: `/api/v1/tasks?${any(lists)()}&limit=50` };
  return { kind: 'search', path: `/api/v1/tasks?q=${encodeURIComponent(searchTerm(fixture))}&sort=relevance&limit=25` };
}

/** A title word, part of one, a codename (a rare word), or a task key. */
export function searchTerm(fixture: MixFixture, kind = any(['word', 'partial', 'key', 'rare'] as const)): string {
  const project = any(fixture.projects);
  const number = 1 + Math.floor(Math.random() * project.tasks);
  if (kind === 'key') return `${project.key}-${number}`;
  if (kind === 'rare') return codename(number);
  const noun = any(vocabulary.nouns);
  if (kind === 'word') return noun;
  const start = Math.floor(Math.random() * (noun.length - 4));
  return noun.slice(start, start + 4);
}

const readPath = (fixture: MixFixture) => {
  const project = any(fixture.projects);
  return `/api/v1/tasks/${project.key}-${1 + Math.floor(Math.random() * project.tasks)}`;
};

const json = { 'content-type': 'application/json' };

/**
 * Two requests per connection, repeated: the first a list, a search or a read (2:1), or a write
 * one time in ten; the second the comment on what the write touched, or else another list or read.
 * So per request: 60% lists and searches, 30% reads, 5% task writes and 5% comments.
 */
export function mixRequests(fixture: MixFixture, editable: EditableTasks): Request[] {
  const readOrList = (request: Request, context: Record<string, unknown>): Request => {
    if (chance(1 / 3)) {
      context.kind = 'read';
      return { ...request, method: 'GET', path: readPath(fixture) };
    }
    const { kind, path } = listPath(fixture);
    context.kind = kind;
    return { ...request, method: 'GET', path };
  };
  const first: Request = {
    setupRequest(request, context) {
      if (!chance(0.1)) return readOrList(request, context);
      if (chance(0.5)) {
        const project = any(fixture.projects);
        context.kind = 'create';
        return {
          ...request,
          method: 'POST',
          path: `/api/v1/projects/${project.key}/tasks`,
          headers: { ...request.headers, ...json, 'idempotency-key': randomUUID() },
          body: JSON.stringify({
            title: `Follow up on the ${any(vocabulary.nouns)} rollout`,
            description: 'Made by the **work-api** bench.',
            priority: any(['low', 'medium', 'high']),
            assigneeIds: [any(fixture.userIds)],
            labelIds: [any(project.labelIds)],
          }),
        };
      }
      const { key, version } = editable.take();
      const project = fixture.projects.find((candidate) => key.startsWith(`${candidate.key}-`))!;
      Object.assign(context, { kind: 'update', key, version });
      return {
        ...request,
        method: 'PATCH',
        path: `/api/v1/tasks/${key}`,
        headers: { ...request.headers, ...json, 'if-match': `"${version}"` },
        body: JSON.stringify({ stateId: any(project.stateIds), priority: any(['low', 'medium', 'high', 'urgent']) }),
      };
    },
    onResponse(status, body, context) {
      if (context.kind === 'create' && status === 201) context.comment = (JSON.parse(body) as { key: string }).key;
      if (context.kind !== 'update') return;
      const key = context.key as string;
      editable.done(
        key,
        status === 200 ? (JSON.parse(body) as { version: number }).version : (context.version as number),
      );
      if (status === 200) context.comment = key;
    },
  };
  const second: Request = {
    setupRequest(request, context) {
      if (typeof context.comment !== 'string') return readOrList(request, context);
      context.kind = 'comment';
      return {
        ...request,
        method: 'POST',
        path: `/api/v1/tasks/${context.comment}/comments`,
        headers: { ...request.headers, ...json, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ body: `Checked on staging: the change to ${context.comment} holds. Tests added.` }),
      };
    },
  };
  return [first, second];
}

/** Requests/s and latency of the mix for `seconds` after a 3 s warm-up; any answer other than 2xx fails the run. */
export async function runMix(
  port: number,
  headers: Record<string, string>,
  fixture: MixFixture,
  editable: EditableTasks,
  options: { seconds: number; connections: number },
): Promise<MixFigures> {
  const failures: string[] = [];
  const run = async (duration: number) => {
    const byKind = Object.fromEntries(kinds.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
    // Each step notes when it was made: autocannon sends it at once, after the answer before it.
    const requests = mixRequests(fixture, editable).map((request) => ({
      ...request,
      setupRequest(built: Request, context: Record<string, unknown>) {
        const made = request.setupRequest!(built, context);
        context.sent = performance.now();
        return made;
      },
      onResponse(status: number, body: string, context: Record<string, unknown>) {
        byKind[context.kind as Kind].push(performance.now() - (context.sent as number));
        if ((status < 200 || status > 299) && failures.length < 5) failures.push(`${status} ${body.slice(0, 300)}`);
        request.onResponse?.(status, body, context);
      },
    }));
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: options.connections,
      duration,
      headers,
      requests,
    });
    editable.abandonBusy();
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(
        `the mix had ${result.non2xx} non-2xx answers and ${result.errors} errors; first ones:\n${failures.join('\n')}`,
      );
    return { result, byKind };
  };
  await run(3);
  const { result, byKind } = await run(options.seconds);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, byKind };
}
