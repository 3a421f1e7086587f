import { useId, useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ErrorAlert, Field, Notice } from '../../ui/Field';
import { useStaffAction } from '../session';

type CheckKind = 'http' | 'tcp' | 'tls';

const kinds: ReadonlyArray<[kind: CheckKind, label: string, hint: string]> = [
  ['http', 'HTTP', 'A URL answers with the expected status, and its body has the keyword.'],
  ['tcp', 'TCP', 'A host accepts a connection on a port.'],
  ['tls', 'TLS certificate', 'A host’s certificate is further from expiry than the warning days.'],
];

/** A form value as a number, or undefined when the field was left empty. */
const numberOr = (value: FormDataEntryValue | null) => (value === null || value === '' ? undefined : Number(value));
const textOr = (value: FormDataEntryValue | null) => String(value ?? '').trim() || undefined;

/** What the form says for a kind, as `POST /console/status/checks` takes it. */
function targetOf(kind: CheckKind, form: FormData): Record<string, string | number | undefined> {
  if (kind === 'http')
    return {
      url: textOr(form.get('url')),
      expectStatus: numberOr(form.get('expectStatus')),
      keyword: textOr(form.get('keyword')),
    };
  if (kind === 'tcp') return { host: textOr(form.get('host')), port: numberOr(form.get('port')) };
  return { host: textOr(form.get('host')), port: numberOr(form.get('port')), warnDays: numberOr(form.get('warnDays')) };
}

/** An operator's own check: HTTP (status code, keyword), TCP connect, or TLS certificate expiry. */
export function AddCheck({ onAdded }: { onAdded(): Promise<void> }) {
  const id = useId();
  const { error, busy, run } = useStaffAction();
  const [kind, setKind] = useState<CheckKind>('http');
  const [added, setAdded] = useState<string | undefined>();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const target = Object.fromEntries(Object.entries(targetOf(kind, form)).filter(([, value]) => value !== undefined));
    const name = String(form.get('name') ?? '').trim();
    setAdded(undefined);
    void run(async () => {
      await api('POST', '/console/status/checks', {
        name,
        description: textOr(form.get('description')),
        kind,
        target,
        public: form.get('public') === 'on',
      });
      element.reset();
      setKind('http');
      setAdded(`Added the check “${name}”: the next probe round reads it.`);
      await onAdded();
    });
  };

  const errorOf = (field: string) => fieldError(error, field);
  const named = ['name', 'url', 'expectStatus', 'keyword', 'host', 'port', 'warnDays'].some(errorOf);
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Add a check</h2>
      <p className="muted small">
        Every probe location runs it each round. A check slower than 5 s is degraded; a wrong status, a missing keyword
        or no answer is a major outage.
      </p>
      {added && <Notice>{added}</Notice>}
      <form className="check-form" onSubmit={submit} noValidate>
        <fieldset className="choices">
          <legend>Kind</legend>
          {kinds.map(([value, label, hint]) => (
            <label key={value} className="choice">
              <input type="radio" name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
              <span>
                {label}
                <span className="hint">{hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="check-fields">
          <ErrorAlert error={named ? undefined : error} />
          <Field
            label="Name"
            name="name"
            maxLength={100}
            required
            error={errorOf('name')}
            hint="As the status page shows it, e.g. Marketing site."
          />
          <Field label="Description (optional)" name="description" maxLength={300} />
          {kind === 'http' ? (
            <>
              <Field
                key="url"
                label="URL"
                name="url"
                type="url"
                placeholder="https://example.com/health"
                required
                error={errorOf('url')}
              />
              <Field
                key="expectStatus"
                label="Expected status (optional)"
                name="expectStatus"
                type="number"
                min={100}
                max={599}
                inputMode="numeric"
                hint="Empty: any status below 400."
                error={errorOf('expectStatus')}
              />
              <Field
                key="keyword"
                label="Keyword (optional)"
                name="keyword"
                maxLength={200}
                hint="Text the answer's body must contain."
                error={errorOf('keyword')}
              />
            </>
          ) : (
            <>
              <Field
                key={`${kind}-host`}
                label="Host"
                name="host"
                maxLength={253}
                placeholder="db.example.com"
                required
                error={errorOf('host')}
              />
              <Field
                key={`${kind}-port`}
                label={kind === 'tls' ? 'Port (optional)' : 'Port'}
                name="port"
                type="number"
                min={1}
                max={65535}
                inputMode="numeric"
                required={kind === 'tcp'}
                hint={kind === 'tls' ? 'Empty: 443.' : undefined}
                error={errorOf('port')}
              />
              {kind === 'tls' && (
                <Field
                  key="warnDays"
                  label="Warn days before expiry (optional)"
                  name="warnDays"
                  type="number"
                  min={1}
                  max={365}
                  inputMode="numeric"
                  hint="Degraded from this many days before the certificate expires. Empty: 14."
                  error={errorOf('warnDays')}
                />
              )}
            </>
          )}
          <label className="check">
            <input type="checkbox" name="public" defaultChecked />
            <span>Show on the public status page</span>
          </label>
          <div className="row">
            <button className="primary" type="submit" disabled={busy}>
              {busy ? 'Adding…' : 'Add check'}
            </button>
          </div>
        </div>
      </form>
    </section>
  );
}
