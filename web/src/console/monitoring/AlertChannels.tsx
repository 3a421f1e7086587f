import { useId, useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert, Field, Notice } from '../../ui/Field';
import { TableHead } from '../../ui/TableHead';
import { useList } from '../../ui/useAction';
import { useStaffAction } from '../session';
import { CopyBlock, ShownOnce } from './ShownOnce';
import type { AlertChannel } from './types';

/** Where alerts go: email addresses and webhooks, a test for each, and a new one (a webhook's secret shown once). */
export function AlertChannels() {
  const id = useId();
  const listAction = useStaffAction();
  const addAction = useStaffAction();
  const { items: channels, load } = useList<AlertChannel>('/console/alerts/channels', listAction.run);
  const [kind, setKind] = useState<AlertChannel['kind']>('email');
  const [secret, setSecret] = useState<{ name: string; secret: string } | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    setNotice(undefined);
    void addAction.run(async () => {
      const added = await api<{ channel: AlertChannel; secret?: string }>('POST', '/console/alerts/channels', {
        kind,
        name: String(form.get('name') ?? '').trim(),
        target: String(form.get('target') ?? '').trim(),
      });
      element.reset();
      setSecret(added.secret ? { name: added.channel.name, secret: added.secret } : undefined);
      setNotice(`Added “${added.channel.name}”. Send it a test to see that alerts arrive.`);
      await load();
    });
  };
  const test = (channel: AlertChannel) =>
    void listAction.run(async () => {
      setNotice(undefined);
      await api('POST', `/console/alerts/channels/${channel.id}/test`);
      setNotice(`Sent a test alert to “${channel.name}”.`);
    });
  const remove = (channel: AlertChannel) => {
    if (!window.confirm(`Remove “${channel.name}”? Alerts stop going there.`)) return;
    void listAction.run(async () => {
      await api('DELETE', `/console/alerts/channels/${channel.id}`);
      setNotice(`Removed “${channel.name}”.`);
      await load();
    });
  };

  const nameError = fieldError(addAction.error, 'name');
  const targetError = fieldError(addAction.error, 'target');
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Channels</h2>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={listAction.error} />
      {channels.length === 0 ? (
        <p className="muted small">
          No channels yet: alerts fire, but nobody hears of them. Add an address or a webhook.
        </p>
      ) : (
        <table className="table stack">
          <TableHead columns={['Name', 'Kind', 'Sends to']} action="Actions" />
          <tbody>
            {channels.map((channel) => (
              <tr key={channel.id}>
                <td>
                  <strong>{channel.name}</strong>
                </td>
                <td>{channel.kind === 'email' ? 'Email' : 'Webhook'}</td>
                <td className="detail">{channel.target}</td>
                <td>
                  <div className="row tight">
                    <ActionButton tone="secondary" small about={`to ${channel.name}`} onClick={() => test(channel)}>
                      Send test
                    </ActionButton>
                    <ActionButton tone="danger" small about={channel.name} onClick={() => remove(channel)}>
                      Remove
                    </ActionButton>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {secret && (
        <ShownOnce title={`Signing secret for ${secret.name}`} onDone={() => setSecret(undefined)}>
          <CopyBlock label="Signing secret" value={secret.secret} />
          <p className="small">
            Each delivery carries <code>Steadfast-Timestamp</code> and{' '}
            <code>Steadfast-Signature: v1=&lt;hex HMAC-SHA256 of “timestamp.body”&gt;</code>: check it with this secret.
          </p>
        </ShownOnce>
      )}
      <form className="channel-form" onSubmit={add} noValidate>
        <h3>Add a channel</h3>
        <ErrorAlert error={nameError || targetError ? undefined : addAction.error} />
        <fieldset className="choices">
          <legend>Kind</legend>
          <label className="choice">
            <input type="radio" name="kind" checked={kind === 'email'} onChange={() => setKind('email')} />
            <span>Email</span>
          </label>
          <label className="choice">
            <input type="radio" name="kind" checked={kind === 'webhook'} onChange={() => setKind('webhook')} />
            <span>
              Webhook
              <span className="hint">A signed JSON POST to your URL (its signing secret is shown once).</span>
            </span>
          </label>
        </fieldset>
        <Field label="Name" name="name" maxLength={100} required placeholder="on-call" error={nameError} />
        <Field
          key={kind}
          label={kind === 'email' ? 'Email address' : 'Webhook URL'}
          name="target"
          type={kind === 'email' ? 'email' : 'url'}
          maxLength={kind === 'email' ? 320 : 2000}
          required
          placeholder={kind === 'email' ? 'oncall@example.com' : 'https://hooks.example.com/steadfast'}
          error={targetError}
        />
        <div>
          <button className="primary" type="submit" disabled={addAction.busy}>
            {addAction.busy ? 'Adding…' : 'Add channel'}
          </button>
        </div>
      </form>
    </section>
  );
}
