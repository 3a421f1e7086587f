import { useEffect, useRef, useState } from 'react';
import type { Attachment, Comment, Task } from './types';

/** What a project's live stream (GET /projects/{key}/events, Server-Sent Events) tells its screens. */
export type LiveEvent =
  | { kind: 'task.created' | 'task.updated'; task: Task }
  | { kind: 'task.deleted'; taskId: string; key: string }
  | { kind: 'comment.created' | 'comment.updated'; taskId: string; comment: Comment }
  | { kind: 'comment.deleted'; taskId: string; commentId: string }
  | { kind: 'attachment.created'; taskId: string; attachment: Attachment }
  | { kind: 'attachment.deleted'; taskId: string; attachmentId: string }
  | { kind: 'project.updated' | 'project.states' | 'project.rules' | 'project.labels' | 'project.fields' }
  /** A new stream started after one was lost without resuming: what was missed must be read again. */
  | { kind: 'resync' };

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

const kinds = [
  'task.created',
  'task.updated',
  'task.deleted',
  'comment.created',
  'comment.updated',
  'comment.deleted',
  'attachment.created',
  'attachment.deleted',
  'project.updated',
  'project.states',
  'project.rules',
  'project.labels',
  'project.fields',
] as const;

/** The screens listening to one project's stream. */
export class LiveHub {
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  emit(event: LiveEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Seconds before a stream the server closed for good (EventSource gives up on an error answer) is opened anew. */
const reopenAfterMs = 5000;

/**
 * Keeps one EventSource open on the project's stream and hands its events to `hub`. EventSource
 * reconnects by itself with Last-Event-ID (the server replays what was missed); when it gives up,
 * a new stream is opened a little later and the screens are told to read everything again.
 */
export function useProjectStream(key: string, hub: LiveHub): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [attempt, setAttempt] = useState(0);
  const opened = useRef(0);
  useEffect(() => {
    const source = new EventSource(`/api/v1/projects/${encodeURIComponent(key)}/events`);
    const fresh = opened.current++ > 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    source.addEventListener('ready', () => {
      setStatus('live');
      if (fresh) hub.emit({ kind: 'resync' });
    });
    for (const kind of kinds)
      source.addEventListener(kind, (message: MessageEvent<string>) => {
        try {
          hub.emit({ kind, ...(JSON.parse(message.data) as object) } as LiveEvent);
        } catch {
          // A frame that is not JSON carries nothing a screen can apply.
        }
      });
    source.addEventListener('open', () => setStatus('live'));
    source.addEventListener('error', () => {
      setStatus('reconnecting');
      if (source.readyState === EventSource.CLOSED) timer = setTimeout(() => setAttempt((n) => n + 1), reopenAfterMs);
    });
    return () => {
      clearTimeout(timer);
      source.close();
    };
  }, [key, hub, attempt]);
  return status;
}

/** Calls `listener` with each live event while the component is shown (the latest listener, without resubscribing). */
export function useLiveEvents(hub: LiveHub, listener: (event: LiveEvent) => void): void {
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => hub.subscribe((event) => latest.current(event)), [hub]);
}
