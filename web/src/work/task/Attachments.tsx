import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../../api';
import { useSession } from '../../session';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { Loading } from '../bits';
import { useLiveEvents, type LiveHub } from '../live';
import type { Attachment } from '../types';
import { AttachmentRow, UploadRow } from './AttachmentRows';
import { useFileDrop } from './useFileDrop';
import { useUploads } from './useUploads';

/**
 * The task's files: attached with the picker or by dropping them on the section, each uploaded
 * with its progress shown; listed with size, who and when, a thumbnail for images, a download,
 * and removal for whoever attached it or a project lead. Kept current by the project's stream.
 */
export function Attachments({
  taskKey,
  taskId,
  live,
  canEdit,
  isLead,
}: {
  taskKey: string;
  taskId: string;
  live: LiveHub;
  canEdit: boolean;
  isLead: boolean;
}) {
  const me = useSession().me?.user.id;
  const [files, setFiles] = useState<Attachment[] | undefined>();
  /** What a screen reader hears when a file is attached (the row appearing says it to the eye). */
  const [said, setSaid] = useState('');
  const picker = useRef<HTMLInputElement>(null);
  const { error, run } = useAction();
  const base = `/tasks/${encodeURIComponent(taskKey)}/attachments`;

  const load = useCallback(() => run(async () => setFiles(await api<Attachment[]>('GET', base))), [run, base]);
  useEffect(() => void load(), [load]);
  useLiveEvents(live, (event) => {
    if (event.kind === 'resync') void load();
    else if ((event.kind === 'attachment.created' || event.kind === 'attachment.deleted') && event.taskId === taskId)
      void load();
  });
  const { uploads, add, cancel, dismiss } = useUploads(taskKey, (made) => {
    setFiles((shown) => (shown?.some((each) => each.id === made.id) ? shown : [...(shown ?? []), made]));
    setSaid(`Attached ${made.name}.`);
  });

  const remove = (file: Attachment) => {
    if (!window.confirm(`Remove “${file.name}” from ${taskKey}? It cannot be brought back.`)) return;
    void run(async () => {
      await api('DELETE', `${base}/${file.id}`);
      setFiles((shown) => shown?.filter((each) => each.id !== file.id));
      setSaid(`Removed ${file.name}.`);
    });
  };

  // Files dropped anywhere on the section are attached.
  const drop = useFileDrop<HTMLElement>(canEdit, add);

  const count = files?.length ?? 0;
  return (
    <section
      ref={drop.ref}
      className={drop.over ? 'task-section attachments over' : 'task-section attachments'}
      aria-labelledby="attachments-heading"
      {...drop.handlers}
    >
      <div className="section-head">
        <h2 id="attachments-heading">Attachments {count > 0 && <span className="muted small">{count}</span>}</h2>
        {canEdit && (
          <>
            <button type="button" className="secondary small" onClick={() => picker.current?.click()}>
              Attach files
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              aria-label="Files to attach"
              onChange={(event) => {
                add([...(event.target.files ?? [])]);
                event.target.value = '';
              }}
            />
          </>
        )}
      </div>
      <ErrorAlert error={error} />
      {!files && !error && <Loading what="attachments" />}
      {(count > 0 || uploads.length > 0) && (
        <ul className="attachment-list">
          {files?.map((file) => (
            <AttachmentRow
              key={file.id}
              file={file}
              url={`/api/v1${base}/${file.id}`}
              onRemove={canEdit && (isLead || file.uploadedBy?.id === me) ? () => remove(file) : undefined}
            />
          ))}
          {uploads.map((pending) => (
            <UploadRow key={pending.id} upload={pending} onCancel={cancel} onDismiss={dismiss} />
          ))}
        </ul>
      )}
      {files && count === 0 && uploads.length === 0 && (
        <p className="muted small drop-hint">
          No files attached.
          {canEdit && <span className="drop-words"> Drop files here, or choose Attach files.</span>}
        </p>
      )}
      <p className="visually-hidden" role="status">
        {said}
      </p>
      {drop.over && (
        <div className="drop-overlay" aria-hidden="true">
          Drop to attach to {taskKey}
        </div>
      )}
    </section>
  );
}
