import { Ago, LineIcon } from '../bits';
import { fileSize } from '../format';
import type { Attachment } from '../types';
import type { PendingUpload } from './useUploads';

/** The tile of a file that is not shown as a picture: its extension, as a file manager marks it. */
function FileTile({ name }: { name: string }) {
  const extension = /\.([a-z0-9]{1,4})$/i.exec(name)?.[1]?.toUpperCase() ?? 'FILE';
  return (
    <span className="attachment-thumb file" aria-hidden="true">
      {extension}
    </span>
  );
}

const DownloadIcon = () => <LineIcon size={16} d="M8 2.5v7.5M4.75 7 8 10.25 11.25 7M3 13h10" />;

const RemoveIcon = () => (
  <LineIcon
    size={16}
    d="M2.75 4.25h10.5M6.25 4.25V2.75h3.5v1.5M4.25 4.25l.6 8.6a1 1 0 0 0 1 .9h4.3a1 1 0 0 0 1-.9l.6-8.6M6.75 6.75v4.5M9.25 6.75v4.5"
    strokeWidth={1.3}
  />
);

/**
 * One attached file: an image's thumbnail (opening the picture), or its extension; its name
 * (cut with an ellipsis, whole on hover), size, who attached it and when; download and remove.
 */
export function AttachmentRow({ file, url, onRemove }: { file: Attachment; url: string; onRemove?: () => void }) {
  const download = `${url}?download=1`;
  // An image opens in a tab of its own; any other file is served only as a download anyway.
  const open = file.inline
    ? { href: url, target: '_blank', rel: 'noopener noreferrer' }
    : { href: download, download: file.name };
  return (
    <li className="attachment">
      {file.inline ? (
        // The name beside it is the same link: the picture is a larger target for the pointer, not a second tab stop.
        <a className="attachment-thumb" {...open} tabIndex={-1} aria-hidden="true">
          <img src={url} alt="" width="40" height="40" loading="lazy" />
        </a>
      ) : (
        <FileTile name={file.name} />
      )}
      <div className="attachment-text">
        <a className="attachment-name" title={file.name} {...open}>
          {file.name}
        </a>
        <span className="attachment-meta muted small">
          {fileSize(file.size)} · {file.uploadedBy?.name ?? 'Someone'} · <Ago iso={file.createdAt} />
        </span>
      </div>
      <a
        className="icon-button"
        href={download}
        download={file.name}
        aria-label={`Download ${file.name}`}
        title="Download"
      >
        <DownloadIcon />
      </a>
      {onRemove && (
        <button
          type="button"
          className="icon-button danger-hover"
          aria-label={`Remove ${file.name}`}
          title="Remove"
          onClick={onRemove}
        >
          <RemoveIcon />
        </button>
      )}
    </li>
  );
}

/** A file on its way: its progress (or its turn), or why it was refused. */
export function UploadRow({
  upload,
  onCancel,
  onDismiss,
}: {
  upload: PendingUpload;
  onCancel(id: string): void;
  onDismiss(id: string): void;
}) {
  const failed = upload.state === 'failed';
  const percent = upload.size > 0 ? Math.min(100, Math.round((upload.sent / upload.size) * 100)) : 0;
  const reason = upload.error instanceof Error ? upload.error.message : 'The file was not attached.';
  return (
    <li className={failed ? 'attachment upload failed' : 'attachment upload'}>
      <FileTile name={upload.name} />
      <div className="attachment-text">
        <span className="attachment-name" title={upload.name}>
          {upload.name}
        </span>
        {failed ? (
          <span className="upload-error small" role="alert">
            Not attached: {reason}
          </span>
        ) : (
          <span className="upload-progress muted small">
            <progress max={100} value={percent} aria-label={`Uploading ${upload.name}`} />
            <span>
              {upload.state === 'waiting' ? 'Waiting…' : `Uploading… ${percent}%`} · {fileSize(upload.size)}
            </span>
          </span>
        )}
      </div>
      <button
        type="button"
        className="icon-button"
        aria-label={failed ? `Dismiss the error about ${upload.name}` : `Cancel uploading ${upload.name}`}
        title={failed ? 'Dismiss' : 'Cancel'}
        onClick={() => (failed ? onDismiss(upload.id) : onCancel(upload.id))}
      >
        <span aria-hidden="true">×</span>
      </button>
    </li>
  );
}
