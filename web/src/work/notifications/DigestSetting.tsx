import { useEffect, useState, type FormEvent } from 'react';
import { ErrorAlert, Notice } from '../../ui/Field';
import { useAction } from '../../ui/useAction';
import type { DigestFrequency } from '../types';
import { digestFrequency, setDigestFrequency } from './requests';

const choices: Array<{ value: DigestFrequency; label: string; hint: string }> = [
  { value: 'off', label: 'Off', hint: 'No email: see them under the bell.' },
  { value: 'hourly', label: 'Hourly', hint: 'Unread notifications, at most once an hour.' },
  { value: 'daily', label: 'Daily', hint: 'Unread notifications, once a day.' },
];

/** One's account setting for the email digest of unread notifications. */
export function DigestSetting() {
  const [saved, setSaved] = useState<DigestFrequency | undefined>();
  const [chosen, setChosen] = useState<DigestFrequency | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const { error, busy, run } = useAction();
  useEffect(() => {
    void run(async () => {
      const frequency = await digestFrequency();
      setSaved(frequency);
      setChosen(frequency);
    });
  }, [run]);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!chosen) return;
    setNotice(undefined);
    void run(async () => {
      const frequency = await setDigestFrequency(chosen);
      setSaved(frequency);
      setNotice(
        frequency === 'off'
          ? 'Saved: no digest emails.'
          : `Saved: a digest of unread notifications ${frequency === 'hourly' ? 'each hour' : 'each day'}.`,
      );
    });
  };
  return (
    <section className="panel" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      <form onSubmit={submit} noValidate>
        {notice && <Notice>{notice}</Notice>}
        <ErrorAlert error={error} />
        <fieldset className="choices" disabled={!chosen}>
          <legend>Email digest</legend>
          {choices.map((choice) => (
            <label key={choice.value} className="choice">
              <input
                type="radio"
                name="emailDigest"
                value={choice.value}
                checked={chosen === choice.value}
                onChange={() => setChosen(choice.value)}
              />
              <span>
                {choice.label}
                <span className="hint">{choice.hint}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div>
          <button className="primary" type="submit" disabled={busy || !chosen || chosen === saved}>
            Save
          </button>
        </div>
      </form>
    </section>
  );
}
