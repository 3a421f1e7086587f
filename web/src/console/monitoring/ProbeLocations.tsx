import { useId, useState, type FormEvent } from 'react';
import { api, fieldError } from '../../api';
import { ActionButton } from '../../ui/ActionButton';
import { ErrorAlert, Field } from '../../ui/Field';
import { TableHead } from '../../ui/TableHead';
import { useList } from '../../ui/useAction';
import { useStaffAction } from '../session';
import { CopyBlock, ShownOnce } from './ShownOnce';
import { ago, dateTime } from './time';
import type { ProbeLocation } from './types';

/** The platform's public address, where runners report: this console's address without `console.`. */
export const platformAddress = () => `${window.location.protocol}//${window.location.host.replace(/^console\./, '')}`;

/** Remote probe locations: when each last reported, a new one with its token (shown once), and revoking one. */
export function ProbeLocations() {
  const id = useId();
  const listAction = useStaffAction();
  const addAction = useStaffAction();
  const { items: locations, load } = useList<ProbeLocation>('/console/status/locations', listAction.run);
  const [added, setAdded] = useState<{ name: string; token: string } | undefined>();

  const add = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const name = String(new FormData(element).get('name') ?? '').trim();
    void addAction.run(async () => {
      const answer = await api<{ location: ProbeLocation; token: string }>('POST', '/console/status/locations', {
        name,
      });
      element.reset();
      setAdded({ name: answer.location.name, token: answer.token });
      await load();
    });
  };
  const revoke = (name: string) => {
    if (!window.confirm(`Revoke the probe location ${name}? Its runner’s next report is refused.`)) return;
    void listAction.run(async () => {
      await api('DELETE', `/console/status/locations/${encodeURIComponent(name)}`);
      if (added?.name === name) setAdded(undefined);
      await load();
    });
  };

  const nameError = fieldError(addAction.error, 'name');
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Probe locations</h2>
      <p className="muted small">
        Runners on other machines check every component too, so monitoring outlives the platform. A component is down
        when a quorum of locations sees it down.
      </p>
      <ErrorAlert error={listAction.error} />
      {locations.length === 0 ? (
        <p className="muted small">No remote locations yet: only the platform’s own runner (local) probes.</p>
      ) : (
        <div className="table-scroll">
          <table className="table stack">
            <TableHead columns={['Location', 'Added', 'Last report', 'Token']} action />
            <tbody>
              {locations.map((location) => (
                <tr key={location.name}>
                  <td>
                    <code>{location.name}</code>
                  </td>
                  <td className="nowrap">
                    <span className="phone-only muted">Added </span>
                    {dateTime(location.createdAt)}
                  </td>
                  <td className="nowrap">
                    <span className="phone-only muted">Last report: </span>
                    {location.lastReportAt ? ago(location.lastReportAt) : 'Never'}
                  </td>
                  <td>
                    {location.revokedAt ? (
                      <span className="badge quiet">Revoked</span>
                    ) : (
                      <span className="badge ok">Active</span>
                    )}
                  </td>
                  <td>
                    {!location.revokedAt && (
                      <ActionButton tone="danger" small about={location.name} onClick={() => revoke(location.name)}>
                        Revoke
                      </ActionButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {added && (
        <ShownOnce title={`Token for ${added.name}`} onDone={() => setAdded(undefined)}>
          <CopyBlock label="Token" value={added.token} />
          <p className="small">
            On the probing machine (the token goes in the environment, so it never shows in a process list):
          </p>
          <CopyBlock
            label="Command"
            value={`STEADFAST_PROBE_TOKEN=${added.token} steadfast probe --report-to ${platformAddress()}`}
          />
        </ShownOnce>
      )}
      <form className="location-form" onSubmit={add} noValidate>
        <ErrorAlert error={nameError ? undefined : addAction.error} />
        <Field
          label="New location"
          name="name"
          maxLength={40}
          pattern="[a-z0-9][a-z0-9-]*"
          placeholder="eu-west"
          required
          hint="1 to 40 lowercase letters, digits and dashes."
          error={nameError}
        />
        <div>
          <button className="primary" type="submit" disabled={addAction.busy}>
            {addAction.busy ? 'Adding…' : 'Add location'}
          </button>
        </div>
      </form>
    </section>
  );
}
