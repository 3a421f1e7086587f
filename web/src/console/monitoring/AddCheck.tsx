import { useId, useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { api, fieldError } from '../../api';
import { ErrorAlert, Field, Notice } from '../../ui/Field';
import { useStaffAction } from '../session';

type CheckKind = 'http' | 'tcp' | 'tls';

const kinds: ReadonlyArray<[kind: CheckKind, label: string, hint: string]> = [
  ['http', 'HTTP', 'A URL answers with the expected status, and its body has the keyword.'],
  ['tcp', 'TCP', 'A host accepts a connection on a port.'],
  ['tls', 'TLS certificate', 'A host’s certificate is further from expiry than the warning days.'],
];

/** A field of what a check looks at; its value is sent as a number when `type` is number. */
type TargetField = { name: string; label: string; hint?: string } & Pick<
  InputHTMLAttributes<HTMLInputElement>,
  'type' | 'min' | 'max' | 'maxLength' | 'inputMode' | 'placeholder' | 'required'
>;

const host: TargetField = {
  name: 'host',
  label: 'Host',
  maxLength: 253,
  placeholder: 'db.example.com',
  required: true,
};
const port = { name: 'port', type: 'number', min: 1, max: 65535, inputMode: 'numeric' } as const;

/** Each kind's target fields, in the form's order, as `POST /console/status/checks` takes them. */
const targetFields: Record<CheckKind, TargetField[]> = {
  http: [
    { name: 'url', label: 'URL', type: 'url', placeholder: 'https://example.com/health', required: true },
    {
      name: 'expectStatus',
      label: 'Expected status (optional)',
      type: 'number',
      min: 100,
      max: 599,
      inputMode: 'numeric',
      hint: 'Empty: any status below 400.',
    },
    { name: 'keyword', label: 'Keyword (optional)', maxLength: 200, hint: "Text the answer's body must contain." },
  ],
  tcp: [host, { ...port, label: 'Port', required: true }],
  tls: [
    host,
    { ...port, label: 'Port (optional)', hint: 'Empty: 443.' },
    {
      name: 'warnDays',
      label: 'Warn days before expiry (optional)',
      type: 'number',
      min: 1,
      max: 365,
      inputMode: 'numeric',
      hint: 'Degraded from this many days before the certificate expires. Empty: 14.',
    },
  ],
};

/** Every field the server may name in an error, of whichever kind. */
const fieldNames = ['name', ...Object.values(targetFields).flatMap((fields) => fields.map((field) => field.name))];

/** A form value as a number, or undefined when the field was left empty. */
const numberOr = (value: FormDataEntryValue | null) => (value === null || value === '' ? undefined : Number(value));
const textOr = (value: FormDataEntryValue | null) => String(value ?? '').trim() || undefined;

/** What the form says for a kind, its empty fields left out. */
function targetOf(kind: CheckKind, form: FormData): Record<string, string | number> {
  const target: Record<string, string | number> = {};
  for (const { name, type } of targetFields[kind]) {
    const value = type === 'number' ? numberOr(form.get(name)) : textOr(form.get(name));
    if (value !== undefined) target[name] = value;
  }
  return target;
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
    const target = targetOf(kind, form);
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
  const named = fieldNames.some(errorOf);
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
          {targetFields[kind].map(({ name, ...field }) => (
            // Keyed by kind too: a field another kind also has starts empty when the kind changes.
            <Field key={`${kind}-${name}`} name={name} {...field} error={errorOf(name)} />
          ))}
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
