import { useId } from 'react';
import { isMonth, monthName, shiftMonth, thisMonth } from './months';

/** A month, with buttons for the one before and after (none after this month). */
export function MonthPicker({ month, onChange }: { month: string; onChange(month: string): void }) {
  const id = useId();
  const latest = thisMonth();
  return (
    <div className="month-picker">
      <div className="field month-field">
        <label htmlFor={id}>Month (UTC)</label>
        <input
          id={id}
          type="month"
          value={month}
          max={latest}
          onChange={(event) => isMonth(event.target.value) && onChange(event.target.value)}
        />
      </div>
      <div className="row tight">
        <button className="secondary small" type="button" onClick={() => onChange(shiftMonth(month, -1))}>
          <span aria-hidden="true">← </span>Previous month
        </button>
        <button
          className="secondary small"
          type="button"
          disabled={month >= latest}
          onClick={() => onChange(shiftMonth(month, 1))}
        >
          Next month<span aria-hidden="true"> →</span>
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite">
        {monthName(month)}
      </span>
    </div>
  );
}
