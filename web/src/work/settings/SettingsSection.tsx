import type { FormEvent, ReactNode } from 'react';
import { api } from '../../api';
import { ErrorAlert, Notice } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import type { ProjectDetail } from '../types';
import { palette } from './palette';

/** What every settings section is given: the project, whether the reader may only read it, and how to read it again. */
export interface SettingsProps {
  project: ProjectDetail;
  readOnly: boolean;
  reload(): Promise<void>;
}

/**
 * A settings panel named by its heading (`${id}-heading`), with an optional line about it and,
 * when given, the outcome of its last request: `notice` on success, then `error`.
 */
export function SettingsSection({
  id,
  title,
  intro,
  notice,
  error,
  children,
}: {
  id: string;
  title: string;
  intro?: ReactNode;
  notice?: string;
  error?: unknown;
  children: ReactNode;
}) {
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {intro && <p className="muted small">{intro}</p>}
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={error} />
      {children}
    </section>
  );
}

/**
 * A section's requests: each is sent, then the project is read again, so the screen shows what
 * the server kept; their error and progress are the section's.
 */
export function useSettingsRequests(reload: () => Promise<void>) {
  const { error, busy, run } = useAction();
  const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    run(async () => {
      await api(method, path, body);
      await reload();
    });
  /** Deletes at `path` once the person has said yes to `question`. */
  const remove = (path: string, question: string) => {
    if (window.confirm(question)) void send('DELETE', path);
  };
  /** An add form's submit handler: posts what `toBody` makes of its fields, then empties the form. */
  const adder =
    (path: string, toBody: (data: FormData) => unknown, afterReset?: () => void) =>
    (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const form = event.currentTarget;
      const data = new FormData(form);
      void run(async () => {
        await api('POST', path, toBody(data));
        form.reset();
        afterReset?.();
        await reload();
      });
    };
  return { error, busy, send, remove, adder };
}

/** The form under a settings list that adds one more: its fields, then its "Add …" button. */
export function AddForm({
  label,
  button,
  disabled,
  onSubmit,
  children,
}: {
  label: string;
  button: string;
  disabled: boolean;
  onSubmit(event: FormEvent<HTMLFormElement>): void;
  children: ReactNode;
}) {
  return (
    <form className="row top add-form" onSubmit={onSubmit} noValidate aria-label={label}>
      {children}
      <div className="row">
        <button className="secondary" type="submit" disabled={disabled}>
          {button}
        </button>
      </div>
    </form>
  );
}

/** A row's "Remove" link, named for screen readers by what it removes. */
export function RemoveButton({ name, onClick }: { name: string; onClick(): void }) {
  return (
    <button type="button" className="link small danger-text" onClick={onClick}>
      Remove<span className="visually-hidden"> {name}</span>
    </button>
  );
}

/** An add form's colour, chosen by name from the palette (`initial` is the palette's index). */
export function PaletteField({ id, initial }: { id: string; initial: number }) {
  return (
    <div className="field">
      <label htmlFor={id}>Colour</label>
      <select id={id} name="color" defaultValue={palette[initial]![0]}>
        {palette.map(([color, name]) => (
          <option key={color} value={color}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}
