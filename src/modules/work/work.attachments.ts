import { createHash } from 'node:crypto';
import path from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { fileTypeFromBuffer, supportedExtensions } from 'file-type';
import { appError } from '../../platform/errors.js';
import { publish, recordActivity } from './work.activity.js';
import { handleOf } from './work.markdown.js';
import { assertProjectRole, canEditTasks, canManageProject, type WorkActor } from './work.policy.js';
import type { ProjectAccess } from './work.projects.js';
import type { PersonRef, TaskRow } from './work.task-views.js';
import type { WorkDatabase } from './work.tables.js';

/** How big one file and all of a workspace's files may be. */
export interface AttachmentLimits {
  readonly fileBytes: number;
  readonly workspaceBytes: number;
}

/** A file on a task, as its page lists it (the content is fetched on its own). */
export interface AttachmentView {
  readonly id: string;
  readonly taskId: string;
  readonly name: string;
  /** What the content is, as read from its bytes: the name and the uploader's claim are not believed. */
  readonly mediaType: string;
  readonly size: number;
  readonly sha256: string;
  /** Whether the app may show it in a page (a raster image); everything else is only downloaded. */
  readonly inline: boolean;
  readonly uploadedBy: PersonRef | null;
  readonly createdAt: Date;
}

type Tx = Transaction<WorkDatabase>;

/** Images a browser shows as pictures and never runs: the only files served inline. */
const inlineTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);

/** Text the name may declare when the content is plain UTF-8; any other text is kept as text/plain. */
const textTypes: Record<string, string> = {
  '.csv': 'text/csv',
  '.md': 'text/markdown',
  '.json': 'application/json',
};

export const isInline = (mediaType: string): boolean => inlineTypes.has(mediaType);

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/**
 * A file name safe to store, list and offer as a download: the last path segment only, without
 * control or bidirectional-override characters, trimmed, at most 255 bytes of UTF-8.
 */
export function cleanFileName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  let name = base.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  name = name.replace(/^\.+/, '').trim();
  while (Buffer.byteLength(name) > 255) name = name.slice(0, -1);
  if (!name)
    throw appError('VALIDATION_FAILED', 'Give the file a name (?name=report.pdf): this one is empty once cleaned.');
  return name;
}

/** Whether the bytes are text: valid UTF-8 without NUL. */
function isText(content: Buffer): boolean {
  if (content.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content);
    return true;
  } catch {
    return false;
  }
}

/**
 * The media type of a file, read from its content. A name whose extension names a format we
 * recognise must hold that kind of content (an image named .png holds an image): HTML named
 * `photo.png` is refused rather than kept under a name that lies about it.
 */
export async function mediaTypeOf(name: string, content: Buffer): Promise<string> {
  const detected = await fileTypeFromBuffer(content);
  const extension = path.extname(name).toLowerCase();
  const claimed = extension
    .slice(1)
    .replace(/^jpeg$/, 'jpg')
    .replace(/^tiff$/, 'tif');
  if (claimed && supportedExtensions.has(claimed as never)) {
    const claimedFamily = claimedFamilies[claimed] ?? 'application';
    if (!detected || detected.mime.split('/')[0] !== claimedFamily)
      throw appError(
        'UNSUPPORTED_MEDIA_TYPE',
        `"${name}" is named as a .${claimed} file, but its content is ${
          detected
            ? `a ${detected.ext} file (${detected.mime})`
            : isText(content)
              ? 'text'
              : 'not a format we recognise'
        }. Rename it to match what it holds, or attach the right file.`,
      );
  }
  if (detected) return detected.mime;
  if (isText(content)) return textTypes[extension] ?? 'text/plain';
  return 'application/octet-stream';
}

/** The top-level media type each recognisable extension's content has; the rest are `application`. */
const claimedFamilies: Record<string, string> = Object.fromEntries([
  ...'jpg png apng gif webp flif xcf tif bmp icns jxr psd bpg heic avif jxl j2c jp2 jpm jpx mj2 ico cur cr2 cr3 orf arw dng nef rw2 raf ktx jls'
    .split(' ')
    .map((ext) => [ext, 'image']),
  ...'mp4 mkv webm mov avi mpg ogv 3gp 3g2 m4v flv mts f4v asf ogm mxf rm'.split(' ').map((ext) => [ext, 'video']),
  ...'mp3 m4a oga ogg opus flac wav spx amr aif aac mp1 mp2 ape wv mpc voc ac3 qcp mid it s3m xm dsf'
    .split(' ')
    .map((ext) => [ext, 'audio']),
  ...'woff woff2 ttf otf ttc'.split(' ').map((ext) => [ext, 'font']),
]);

interface AttachmentRow {
  id: string;
  task_id: string;
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  uploaded_by: string | null;
  created_at: Date;
}

const listed = ['id', 'task_id', 'name', 'media_type', 'size', 'sha256', 'uploaded_by', 'created_at'] as const;

async function present(db: Kysely<WorkDatabase>, rows: readonly AttachmentRow[]): Promise<AttachmentView[]> {
  const uploaders = [...new Set(rows.flatMap((row) => (row.uploaded_by ? [row.uploaded_by] : [])))];
  const people = uploaders.length
    ? await db.selectFrom('users').select(['id', 'name', 'email']).where('id', 'in', uploaders).execute()
    : [];
  const byId = new Map(people.map((row) => [row.id, { id: row.id, name: row.name, handle: handleOf(row.email) }]));
  return rows.map((row) => ({
    id: row.id,
    taskId: row.task_id,
    name: row.name,
    mediaType: row.media_type,
    size: row.size,
    sha256: row.sha256,
    inline: isInline(row.media_type),
    uploadedBy: row.uploaded_by ? (byId.get(row.uploaded_by) ?? null) : null,
    createdAt: row.created_at,
  }));
}

export async function listAttachments(db: Kysely<WorkDatabase>, taskId: string): Promise<AttachmentView[]> {
  const rows = await db
    .selectFrom('attachments')
    .select(listed)
    .where('task_id', '=', taskId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return present(db, rows);
}

/** Bytes the workspace's attachments hold. */
export async function workspaceUsage(db: Kysely<WorkDatabase>): Promise<number> {
  const { total } = await db
    .selectFrom('attachments')
    .select(sql<string>`coalesce(sum(size), 0)`.as('total'))
    .executeTakeFirstOrThrow();
  return Number(total);
}

/** Refuses a file of `size` bytes that would not fit: checked from Content-Length before a byte is read. */
export function assertFits(size: number, used: number, limits: AttachmentLimits): void {
  if (size > limits.fileBytes)
    throw appError(
      'REQUEST_TOO_LARGE',
      `The file is ${mb(size)}; a file may be at most ${mb(limits.fileBytes)}. Compress it or share a link to it instead.`,
    );
  if (used + size > limits.workspaceBytes)
    throw appError(
      'ATTACHMENTS_FULL',
      `This workspace's attachments use ${mb(used)} of ${mb(limits.workspaceBytes)}, and this file needs ${mb(size)}. Delete attachments you no longer need, or ask your operator to raise the limit.`,
    );
}

/**
 * Attaches a file to a task: its type read from its content, its size counted against the
 * workspace's total under a lock (two uploads at once cannot both take the last megabytes).
 */
export async function attach(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  task: TaskRow,
  file: { name: string; content: Buffer },
  limits: AttachmentLimits,
  at: Date,
): Promise<AttachmentView> {
  assertProjectRole(access.role, canEditTasks, 'attach files to tasks');
  const name = cleanFileName(file.name);
  const mediaType = await mediaTypeOf(name, file.content);
  await sql`SELECT pg_advisory_xact_lock(hashtext('work.attachments'))`.execute(tx);
  assertFits(file.content.length, await workspaceUsage(tx), limits);
  const row = await tx
    .insertInto('attachments')
    .values({
      task_id: task.id,
      name,
      media_type: mediaType,
      size: file.content.length,
      sha256: createHash('sha256').update(file.content).digest('hex'),
      content: file.content,
      uploaded_by: actor.userId || null,
      created_at: at,
    })
    .returning(listed)
    .executeTakeFirstOrThrow();
  const [view] = await present(tx, [row]);
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: task.id },
    actor,
    [{ field: 'attachment', before: null, after: name }],
    at,
  );
  await publish(tx, access.project.id, 'attachment.created', { taskId: task.id, attachment: view });
  return view!;
}

/** A task's file with its content, or 404. */
export async function readAttachment(
  db: Kysely<WorkDatabase>,
  taskId: string,
  id: string,
): Promise<AttachmentRow & { content: Buffer }> {
  const row = await db
    .selectFrom('attachments')
    .select([...listed, 'content'])
    .where('id', '=', id)
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  if (!row) throw appError('NOT_FOUND', 'There is no such attachment on this task.');
  return row;
}

/** Removes a file: its uploader may, and a project lead may remove any. */
export async function detach(
  tx: Tx,
  actor: WorkActor,
  access: ProjectAccess,
  task: TaskRow,
  id: string,
  at: Date,
): Promise<void> {
  assertProjectRole(access.role, canEditTasks, 'remove attachments');
  const row = await tx
    .selectFrom('attachments')
    .select(['id', 'name', 'uploaded_by'])
    .where('id', '=', id)
    .where('task_id', '=', task.id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw appError('NOT_FOUND', 'There is no such attachment on this task.');
  if (row.uploaded_by !== actor.userId && !canManageProject(access.role))
    throw appError('FORBIDDEN', 'Only whoever attached a file, or a project lead, may remove it.');
  await tx.deleteFrom('attachments').where('id', '=', id).execute();
  await recordActivity(
    tx,
    { projectId: access.project.id, taskId: task.id },
    actor,
    [{ field: 'attachment', before: row.name, after: null }],
    at,
  );
  await publish(tx, access.project.id, 'attachment.deleted', { taskId: task.id, attachmentId: id });
}

/** `Content-Disposition` naming the file, in plain ASCII and in RFC 5987's UTF-8 form. */
export function dispositionOf(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
