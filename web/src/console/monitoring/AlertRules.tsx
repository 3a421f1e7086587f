import { useState } from 'react';
import { api, fieldError } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert, Field } from '../../ui/Field';
import { FormDialog } from '../../ui/FormDialog';
import { TableHead } from '../../ui/TableHead';
import { useStaffAction } from '../session';
import type { AlertRule } from './types';

/** What a rule watches, in words: "lag_seconds > 10", or a component's state. */
export function condition(rule: AlertRule): string {
  if (rule.kind === 'state') return 'a component in partial or major outage';
  return `${rule.figure ?? '?'} ${rule.op ?? ''} ${rule.threshold ?? '?'}`;
}

/** A rule's threshold and how many checks in a row it waits, in a modal dialog. */
function EditRule({ rule, onClose, onSaved }: { rule: AlertRule; onClose(): void; onSaved(): Promise<void> }) {
  const { error, busy, run } = useStaffAction();
  const save = (form: FormData, close: () => void) =>
    void run(async () => {
      await api('PATCH', `/console/alerts/rules/${encodeURIComponent(rule.id)}`, {
        forChecks: Number(form.get('forChecks')),
        ...(rule.kind === 'figure' ? { threshold: Number(form.get('threshold')) } : {}),
      });
      await onSaved();
      close();
    });
  const thresholdError = fieldError(error, 'threshold');
  const forChecksError = fieldError(error, 'forChecks');
  return (
    <FormDialog
      title={`Edit “${rule.name}”`}
      submit={['Save', 'Saving…']}
      busy={busy}
      onSubmit={save}
      onClose={onClose}
    >
      <ErrorAlert error={thresholdError || forChecksError ? undefined : error} />
      {rule.kind === 'figure' && (
        <Field
          label={`Threshold (fires when ${rule.figure} ${rule.op} it)`}
          name="threshold"
          type="number"
          step="any"
          required
          defaultValue={rule.threshold ?? ''}
          error={thresholdError}
        />
      )}
      <Field
        label="Checks in a row"
        name="forChecks"
        type="number"
        min={1}
        max={100}
        step={1}
        required
        defaultValue={rule.forChecks}
        hint="Bad checks in a row before it fires, and good ones before it recovers (1 to 100)."
        error={forChecksError}
      />
    </FormDialog>
  );
}

/** The alert rules (defaults included): each on or off, its condition and patience, editable. */
export function AlertRules({ rules, load }: { rules: AlertRule[]; load(): Promise<void> }) {
  const { error, run } = useStaffAction();
  const [editing, setEditing] = useState<AlertRule | undefined>();
  // A switch answers at once; the list read again after the change (or its failure) has the last word.
  const [switched, setSwitched] = useState<Record<string, boolean>>({});
  const toggle = (rule: AlertRule, enabled: boolean) => {
    setSwitched((was) => ({ ...was, [rule.id]: enabled }));
    void run(async () => {
      try {
        await api('PATCH', `/console/alerts/rules/${encodeURIComponent(rule.id)}`, { enabled });
      } finally {
        await load();
        setSwitched(({ [rule.id]: _done, ...rest }) => rest);
      }
    });
  };

  return (
    <section className="panel" aria-labelledby="rules-title">
      <h2 id="rules-title">Rules</h2>
      <ErrorAlert error={error} />
      <table className="table stack">
        <TableHead columns={['Rule', 'Fires when', 'Checks in a row', 'Enabled']} action />
        <tbody>
          {rules.map((rule) => (
            <tr key={rule.id} className={(switched[rule.id] ?? rule.enabled) ? undefined : 'rule-off'}>
              <td>
                <strong>{rule.name}</strong>
              </td>
              <td>
                <code>{condition(rule)}</code>
              </td>
              <td>
                {rule.forChecks}
                <span className="phone-only muted">
                  {' '}
                  {rule.forChecks === 1 ? 'check' : 'checks'} in a row before it fires
                </span>
              </td>
              <td>
                <label className="inline-check">
                  <input
                    type="checkbox"
                    checked={switched[rule.id] ?? rule.enabled}
                    onChange={(event) => toggle(rule, event.target.checked)}
                  />
                  <span>
                    Enabled<span className="visually-hidden"> for {rule.name}</span>
                  </span>
                </label>
              </td>
              <td>
                <ActionButton tone="secondary" small about={rule.name} onClick={() => setEditing(rule)}>
                  Edit
                </ActionButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && <EditRule rule={editing} onClose={() => setEditing(undefined)} onSaved={load} />}
    </section>
  );
}
