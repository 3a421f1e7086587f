/** A form's submit button, saying what it does and, while `busy`, that it is under way; and Cancel beside it. */
export function FormButtons({
  submit: [idle, underWay],
  busy,
  onCancel,
}: {
  /** The submit button's words, and its words while `busy`. */
  submit: [idle: string, busy: string];
  busy: boolean;
  onCancel(): void;
}) {
  return (
    <div className="row">
      <button className="primary" type="submit" disabled={busy}>
        {busy ? underWay : idle}
      </button>
      <button className="secondary" type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
