import { useCallback, useEffect, useRef, useState } from 'react';
import { upload } from '../../api';
import { randomId } from '../requests';
import type { Attachment } from '../types';

/** A file on its way to a task: waiting its turn, being sent, or refused (with the server's reason). */
export interface PendingUpload {
  id: string;
  name: string;
  /** Bytes. */
  size: number;
  /** Bytes sent so far. */
  sent: number;
  state: 'waiting' | 'sending' | 'failed';
  error?: unknown;
}

const isAbort = (error: unknown) => error instanceof DOMException && error.name === 'AbortError';

/**
 * Uploads files to a task one after another (so their progress reads in order, and two never race
 * for the workspace's last megabytes). A file attached leaves the list and goes to `onAttached`; a
 * refused one stays, with its error, until dismissed. Leaving the task cancels what is under way.
 */
export function useUploads(taskKey: string, onAttached: (attachment: Attachment) => void) {
  const [uploads, setUploads] = useState<PendingUpload[]>([]);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const controllers = useRef(new Map<string, AbortController>());
  const attached = useRef(onAttached);
  useEffect(() => {
    attached.current = onAttached;
  });
  useEffect(() => {
    const pending = controllers.current;
    return () => pending.forEach((controller) => controller.abort());
  }, []);

  const change = (id: string, patch: Partial<PendingUpload>) =>
    setUploads((list) => list.map((each) => (each.id === id ? { ...each, ...patch } : each)));
  const drop = (id: string) => setUploads((list) => list.filter((each) => each.id !== id));

  const add = useCallback(
    (files: readonly File[]) => {
      for (const file of files) {
        const id = randomId();
        const controller = new AbortController();
        controllers.current.set(id, controller);
        setUploads((list) => [...list, { id, name: file.name, size: file.size, sent: 0, state: 'waiting' }]);
        const send = async () => {
          if (controller.signal.aborted) return;
          change(id, { state: 'sending' });
          try {
            const made = await upload<Attachment>(
              `/tasks/${encodeURIComponent(taskKey)}/attachments?name=${encodeURIComponent(file.name)}`,
              file,
              {
                signal: controller.signal,
                headers: { 'idempotency-key': id },
                onProgress: (sent) => change(id, { sent }),
              },
            );
            drop(id);
            attached.current(made);
          } catch (caught) {
            if (isAbort(caught)) drop(id);
            else change(id, { state: 'failed', error: caught });
          } finally {
            controllers.current.delete(id);
          }
        };
        queue.current = queue.current.then(send, send);
      }
    },
    [taskKey],
  );

  /** Stops an upload under way or waiting (the server keeps nothing of a cut-off body). */
  const cancel = useCallback((id: string) => {
    controllers.current.get(id)?.abort();
    drop(id);
  }, []);

  return { uploads, add, cancel, dismiss: drop };
}
