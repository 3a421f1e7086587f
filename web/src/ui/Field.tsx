import { useId, type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes } from 'react';

interface Described {
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
}

/** A field's frame: the label of control `id` above it, and its hint and error below (`${id}-hint`, `${id}-error`). */
function Labelled({ id, label, hint, error, children }: Described & { id: string; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

/** The attributes that tell screen readers of control `id`'s hint and error. */
const ariaFor = (id: string, { hint, error }: Described) => ({
  'aria-invalid': error ? true : undefined,
  'aria-describedby': [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined,
});

/** A labelled input with its hint and its error, wired for screen readers. */
export function Field(props: Described & InputHTMLAttributes<HTMLInputElement>) {
  const { label, hint, error, ...input } = props;
  const id = useId();
  return (
    <Labelled id={id} label={label} hint={hint} error={error}>
      <input id={id} {...ariaFor(id, props)} {...input} />
    </Labelled>
  );
}

/** A labelled text area with its hint and its error, wired for screen readers (the input's twin for longer words). */
export function TextAreaField(props: Described & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const { label, hint, error, ...textarea } = props;
  const id = useId();
  return (
    <Labelled id={id} label={label} hint={hint} error={error}>
      <textarea id={id} {...ariaFor(id, props)} {...textarea} />
    </Labelled>
  );
}

/** What went wrong, announced to screen readers. */
export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="alert error" role="alert">
      {message}
    </div>
  );
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="alert ok" role="status">
      {children}
    </div>
  );
}
