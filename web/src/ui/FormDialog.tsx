import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';
import { FormButtons } from './FormButtons';

/**
 * A form in a modal dialog, open from the moment it is drawn, named by its heading; Escape or
 * Cancel closes it, and `onClose` then lets the caller stop drawing it. `onSubmit` gets the form's
 * fields and `close`, to call once the request has succeeded.
 */
export function FormDialog({
  title,
  submit,
  busy,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  /** The submit button's words, and its words while `busy`. */
  submit: [idle: string, busy: string];
  busy: boolean;
  onSubmit(form: FormData, close: () => void): void;
  onClose(): void;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    // Under StrictMode the effect runs twice: open the dialog once.
    if (!dialog.current?.open) dialog.current?.showModal();
  }, []);
  const close = () => dialog.current?.close();
  const send = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSubmit(new FormData(event.currentTarget), close);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <form onSubmit={send} noValidate>
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <FormButtons submit={submit} busy={busy} onCancel={close} />
      </form>
    </dialog>
  );
}
