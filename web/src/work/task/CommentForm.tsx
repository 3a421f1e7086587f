import { useRef, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import { handleOf } from '../format';
import type { ProjectMember } from '../types';

/** The @word being typed at the caret, if any. */
function mentionAt(text: string, caret: number): { start: number; partial: string } | undefined {
  const match = /(^|\s)@([\w.+-]*)$/.exec(text.slice(0, caret));
  return match ? { start: caret - match[2]!.length - 1, partial: match[2]!.toLowerCase() } : undefined;
}

/**
 * Writing a comment (Markdown). Typing @ offers the project's members by handle (the part of
 * their address before the @); choosing one completes the mention.
 */
export function CommentForm({
  members,
  initial = '',
  label,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  members: ProjectMember[];
  initial?: string;
  label: string;
  submitLabel: string;
  onSubmit(body: string): Promise<void>;
  onCancel?: () => void;
}) {
  const [body, setBody] = useState(initial);
  const [caret, setCaret] = useState(initial.length);
  const area = useRef<HTMLTextAreaElement>(null);
  const { error, busy, run } = useAction();
  const mention = mentionAt(body, caret);
  const suggestions = mention
    ? members.filter(
        (member) =>
          handleOf(member.email).toLowerCase().startsWith(mention.partial) ||
          member.name.toLowerCase().startsWith(mention.partial),
      )
    : [];
  const complete = (member: ProjectMember) => {
    if (!mention) return;
    const handle = `@${handleOf(member.email)} `;
    const next = body.slice(0, mention.start) + handle + body.slice(caret);
    setBody(next);
    const at = mention.start + handle.length;
    setCaret(at);
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(at, at);
    });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!body.trim()) return;
    void run(async () => {
      await onSubmit(body.trim());
      setBody('');
      setCaret(0);
    });
  };
  const id = label.replace(/\W+/g, '-').toLowerCase();
  return (
    <form className="comment-form" onSubmit={submit} noValidate>
      <ErrorAlert error={error} />
      <div className="field">
        <label htmlFor={id} className="visually-hidden">
          {label}
        </label>
        <textarea
          id={id}
          ref={area}
          className="prose-input"
          rows={3}
          placeholder="Write a comment… (@ to mention someone)"
          value={body}
          maxLength={20000}
          aria-describedby={`${id}-hint`}
          onChange={(event) => {
            setBody(event.target.value);
            setCaret(event.target.selectionStart);
          }}
          onSelect={(event) => setCaret(event.currentTarget.selectionStart)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) submit(event);
            if (event.key === 'Escape') onCancel?.();
          }}
        />
        <span className="hint" id={`${id}-hint`}>
          Markdown. Mention someone with @ and their handle, e.g. @{handleOf(members[0]?.email ?? 'ada@')}. Ctrl+Enter
          sends.
        </span>
      </div>
      {suggestions.length > 0 && (
        <div className="mention-suggestions" role="group" aria-label="Mention someone">
          {suggestions.slice(0, 6).map((member) => (
            <button key={member.userId} type="button" className="chip-button" onClick={() => complete(member)}>
              @{handleOf(member.email)} <span className="muted">{member.name}</span>
            </button>
          ))}
        </div>
      )}
      <div className="row">
        <button className="primary small" type="submit" disabled={busy || !body.trim()}>
          {submitLabel}
        </button>
        {onCancel && (
          <button className="secondary small" type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
