import { useId, useState, type ReactNode } from 'react';

/** A value to copy, in a code block, with a button that copies it where the browser allows (secure origins only). */
export function CopyBlock({ label, value }: { label: string; value: string }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = () =>
    void navigator.clipboard.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <figure className="copy-block" aria-labelledby={id}>
      <figcaption className="copy-label" id={id}>
        {label}
      </figcaption>
      <div className="copy-row">
        <pre className="secret copy-value">
          <code>{value}</code>
        </pre>
        {'clipboard' in navigator && (
          <button className="secondary small" type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
            <span className="visually-hidden"> {label.toLowerCase()}</span>
          </button>
        )}
      </div>
    </figure>
  );
}

/**
 * A secret the server gives this once (a probe token, a webhook's signing secret): a clear
 * warning, the secret to copy, what to do with it, and a button to put it away.
 */
export function ShownOnce({ title, children, onDone }: { title: string; children: ReactNode; onDone(): void }) {
  const id = useId();
  return (
    <section className="shown-once" aria-labelledby={id}>
      <h3 id={id}>{title}</h3>
      <p className="shown-once-note">
        <strong>Shown once.</strong> Copy it now: it is not kept in readable form, and this page cannot show it again.
      </p>
      {children}
      <div className="row">
        <button className="secondary" type="button" onClick={onDone}>
          I have saved it
        </button>
      </div>
    </section>
  );
}
