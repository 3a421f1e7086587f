import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api';
import { useSession } from '../../session';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { Ago, Avatar, Loading } from '../bits';
import { useLiveEvents, type LiveHub } from '../live';
import { create, ifMatch } from '../requests';
import type { Comment, ProjectMember } from '../types';
import { CommentForm } from './CommentForm';

/** Adds or replaces a comment by id, keeping the oldest first. */
const withComment = (comments: Comment[], comment: Comment) =>
  comments.some((each) => each.id === comment.id)
    ? comments.map((each) => (each.id === comment.id && each.version <= comment.version ? comment : each))
    : [...comments, comment];

/** The task's comments, oldest first, live; one's own can be edited, and deleted (a lead deletes any). */
export function Comments({
  taskKey,
  taskId,
  members,
  live,
  canComment,
  isLead,
}: {
  taskKey: string;
  taskId: string;
  members: ProjectMember[];
  live: LiveHub;
  canComment: boolean;
  isLead: boolean;
}) {
  const me = useSession().me?.user.id;
  const [comments, setComments] = useState<Comment[] | undefined>();
  const [editing, setEditing] = useState<string | undefined>();
  const { error, run } = useAction();
  const load = useCallback(
    () => run(async () => setComments(await api<Comment[]>('GET', `/tasks/${taskKey}/comments`))),
    [run, taskKey],
  );
  useEffect(() => void load(), [load]);
  useLiveEvents(live, (event) => {
    if (event.kind === 'resync') void load();
    if (!('taskId' in event) || event.taskId !== taskId) return;
    if (event.kind === 'comment.created' || event.kind === 'comment.updated')
      setComments((shown) => shown && withComment(shown, event.comment));
    else if (event.kind === 'comment.deleted')
      setComments((shown) => shown?.filter((comment) => comment.id !== event.commentId));
  });

  const add = async (body: string) => {
    const made = await create<Comment>(`/tasks/${taskKey}/comments`, { body });
    setComments((shown) => withComment(shown ?? [], made));
  };
  const edit = (comment: Comment) => async (body: string) => {
    const saved = await api<Comment>(
      'PATCH',
      `/tasks/${taskKey}/comments/${comment.id}`,
      { body },
      ifMatch(comment.version),
    );
    setComments((shown) => shown && withComment(shown, saved));
    setEditing(undefined);
  };
  const remove = (comment: Comment) => {
    if (!window.confirm('Delete this comment? It cannot be brought back.')) return;
    void run(async () => {
      await api('DELETE', `/tasks/${taskKey}/comments/${comment.id}`, undefined, ifMatch(comment.version));
      setComments((shown) => shown?.filter((each) => each.id !== comment.id));
    });
  };

  return (
    <section className="task-section" aria-labelledby="comments-heading">
      <h2 id="comments-heading">
        Comments {comments && comments.length > 0 && <span className="muted small">{comments.length}</span>}
      </h2>
      <ErrorAlert error={error} />
      {!comments && !error && <Loading what="comments" />}
      {comments?.length === 0 && <p className="muted small">No comments yet.</p>}
      {comments && comments.length > 0 && (
        <ol className="comments">
          {comments.map((comment) => (
            <li key={comment.id} className="comment">
              <div className="comment-head">
                <Avatar person={comment.author ?? { name: 'Someone' }} />
                <strong>{comment.author?.name ?? 'Someone'}</strong>
                <span className="muted small">
                  <Ago iso={comment.createdAt} />
                  {comment.updatedAt !== comment.createdAt && ' · edited'}
                </span>
                {canComment && editing !== comment.id && (
                  <span className="comment-actions">
                    {comment.author?.id === me && (
                      <button type="button" className="link small" onClick={() => setEditing(comment.id)}>
                        Edit
                      </button>
                    )}
                    {(comment.author?.id === me || isLead) && (
                      <button type="button" className="link small danger-text" onClick={() => remove(comment)}>
                        Delete
                      </button>
                    )}
                  </span>
                )}
              </div>
              {editing === comment.id ? (
                <CommentForm
                  members={members}
                  initial={comment.body}
                  label="Edit your comment"
                  submitLabel="Save"
                  onSubmit={edit(comment)}
                  onCancel={() => setEditing(undefined)}
                />
              ) : (
                // Rendered and sanitised by the server; mentions come as <span class="mention">.
                <div className="prose comment-body" dangerouslySetInnerHTML={{ __html: comment.bodyHtml }} />
              )}
            </li>
          ))}
        </ol>
      )}
      {canComment && <CommentForm members={members} label="Comment" submitLabel="Comment" onSubmit={add} />}
    </section>
  );
}
