import type { FormEvent, ReactNode } from 'react';

/** A task section's small form that adds one thing: its fields, the "Add …" button and "Done" (which closes it). */
export function InlineAddForm({
  button,
  disabled,
  onSubmit,
  onDone,
  children,
}: {
  button: string;
  disabled: boolean;
  onSubmit(event: FormEvent): void;
  onDone(): void;
  children: ReactNode;
}) {
  return (
    <form className="inline-form" onSubmit={onSubmit} noValidate>
      {children}
      <button type="submit" className="primary small" disabled={disabled}>
        {button}
      </button>
      <button type="button" className="secondary small" onClick={onDone}>
        Done
      </button>
    </form>
  );
}
