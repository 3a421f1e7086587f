import type { Kysely } from 'kysely';
import type { Logger } from '../../platform/log/log.js';
import { eventsAfter, workChannel, type WorkEvent } from './work.activity.js';
import type { WorkDatabase } from './work.tables.js';

/** Listens on a channel of a workspace's database (TenancyService.listen). */
export type Listen = (
  slug: string,
  channel: string,
  handlers: { notify(payload: string): void; resumed(): void },
) => Promise<{ close(): Promise<void> }>;

type Read = <R>(slug: string, work: (db: Kysely<WorkDatabase>) => Promise<R>) => Promise<R>;

/** One open stream: what it was sent last, and where its events go. */
export interface Subscriber {
  lastId: number;
  /** Still being sent what it missed: the project's new events wait for it (see catchUp). */
  pending: boolean;
  readonly send: (event: WorkEvent) => void;
}

/** A workspace this process streams: its one LISTEN connection, and the projects with subscribers. */
interface Workspace {
  readonly listening: Promise<{ close(): Promise<void> }>;
  readonly projects: Map<string, Project>;
}

/** A project's subscribers here, and the last event read for them: read once, sent to each. */
interface Project {
  readonly subscribers: Set<Subscriber>;
  /** The last event read for the project; null until the newest is known. */
  lastId: number | null;
  reading: Promise<void> | undefined;
  again: boolean;
}

/**
 * The live streams of this process. Each workspace with an open stream has one LISTEN connection
 * (not one per viewer); a NOTIFY `<project>:<event id>` makes the project's new events be read
 * once from work_events and sent to every subscriber of that project. Events are read from the
 * table rather than taken from the notification, so each subscriber gets every event, in order,
 * once: after a lost connection the listener says so and the events of the gap are read too, and
 * a client reconnecting with Last-Event-ID is first sent what it missed.
 */
export class LiveStreams {
  private readonly workspaces = new Map<string, Workspace>();

  constructor(
    private readonly listen: Listen,
    private readonly read: Read,
    private readonly log: Logger,
  ) {}

  /**
   * Adds a subscriber to a project's stream, first sending the events after `lastEventId` (when
   * the client had some) and then every new one. Resolves once it is listening; the function it
   * resolves to removes the subscriber.
   */
  async subscribe(
    slug: string,
    projectId: string,
    lastEventId: number | undefined,
    send: (event: WorkEvent) => void,
  ): Promise<{ readonly since: number; readonly stop: () => void }> {
    const workspace = this.workspace(slug);
    await workspace.listening.catch((error: unknown) => {
      if (this.workspaces.get(slug) === workspace) this.workspaces.delete(slug);
      throw error;
    });
    let project = workspace.projects.get(projectId);
    if (!project) {
      project = { subscribers: new Set(), lastId: null, reading: undefined, again: false };
      workspace.projects.set(projectId, project);
      this.pump(slug, projectId);
    }
    while (project.reading) await project.reading;
    const subscriber: Subscriber = {
      lastId: lastEventId ?? project.lastId ?? 0,
      pending: lastEventId !== undefined,
      send,
    };
    const since = subscriber.lastId;
    project.subscribers.add(subscriber);
    if (subscriber.pending)
      await this.catchUp(slug, projectId, project, subscriber).catch((error: unknown) => {
        this.unsubscribe(slug, projectId, subscriber);
        throw error;
      });
    return { since, stop: () => this.unsubscribe(slug, projectId, subscriber) };
  }

  /** Ends every stream (the process is closing). */
  async close(): Promise<void> {
    const closing = [...this.workspaces.values()].map(async (workspace) => (await workspace.listening).close());
    this.workspaces.clear();
    await Promise.allSettled(closing);
  }

  private workspace(slug: string): Workspace {
    let workspace = this.workspaces.get(slug);
    if (workspace) return workspace;
    const projects = new Map<string, Project>();
    const listening = this.listen(slug, workChannel, {
      notify: (payload) => {
        const projectId = payload.split(':')[0]!;
        if (projects.has(projectId)) this.pump(slug, projectId);
      },
      resumed: () => {
        for (const projectId of projects.keys()) this.pump(slug, projectId);
      },
    });
    workspace = { listening, projects };
    this.workspaces.set(slug, workspace);
    return workspace;
  }

  private unsubscribe(slug: string, projectId: string, subscriber: Subscriber): void {
    const workspace = this.workspaces.get(slug);
    const project = workspace?.projects.get(projectId);
    if (!workspace || !project) return;
    project.subscribers.delete(subscriber);
    if (project.subscribers.size > 0) return;
    workspace.projects.delete(projectId);
    if (workspace.projects.size > 0) return;
    this.workspaces.delete(slug);
    void workspace.listening.then((listener) => listener.close()).catch(() => undefined);
  }

  /** Reads the project's new events once and sends them; a notification while reading reads again after. */
  private pump(slug: string, projectId: string): void {
    const project = this.workspaces.get(slug)?.projects.get(projectId);
    if (!project) return;
    if (project.reading) {
      project.again = true;
      return;
    }
    project.reading = (async () => {
      do {
        project.again = false;
        if (project.lastId === null) {
          project.lastId = await this.latest(slug, projectId);
          continue;
        }
        const events = await this.read(slug, (db) => eventsAfter(db, projectId, project.lastId!));
        for (const event of events) {
          project.lastId = event.id;
          for (const subscriber of project.subscribers) if (!subscriber.pending) deliver(subscriber, event);
        }
        if (events.length === 500) project.again = true;
      } while (project.again);
    })()
      .catch((error: unknown) =>
        this.log.warn({ err: error, slug }, 'live events could not be read; the next change retries'),
      )
      .finally(() => {
        project.reading = undefined;
      });
  }

  /**
   * Sends a reconnecting subscriber what it missed, then lets the project's new events reach it:
   * only once it has everything up to the last event read for the project, and no read is under
   * way, so no event is skipped between the two and none is sent twice.
   */
  private async catchUp(slug: string, projectId: string, project: Project, subscriber: Subscriber): Promise<void> {
    for (;;) {
      const events = await this.read(slug, (db) => eventsAfter(db, projectId, subscriber.lastId));
      for (const event of events) deliver(subscriber, event);
      if (events.length === 500) continue;
      if (project.reading) {
        await project.reading;
        continue;
      }
      if (subscriber.lastId >= (project.lastId ?? 0)) {
        subscriber.pending = false;
        return;
      }
    }
  }

  private async latest(slug: string, projectId: string): Promise<number> {
    const row = await this.read(slug, (db) =>
      db
        .selectFrom('work_events')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('project_id', '=', projectId)
        .executeTakeFirst(),
    );
    return Number(row?.id ?? 0);
  }
}

/** Sends an event the subscriber has not had yet; never one twice, never one older than what it has. */
function deliver(subscriber: Subscriber, event: WorkEvent): void {
  if (event.id <= subscriber.lastId) return;
  subscriber.lastId = event.id;
  subscriber.send(event);
}
