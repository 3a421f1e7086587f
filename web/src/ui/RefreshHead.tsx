import type { ReactNode } from 'react';

/** A section's heading (`children`) with a Refresh button beside it that reads the section again; disabled while `busy`. */
export function RefreshHead({
  onRefresh,
  busy,
  children,
}: {
  onRefresh(): Promise<void>;
  busy?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="section-head">
      {children}
      <button className="secondary small" type="button" onClick={() => void onRefresh()} disabled={busy}>
        Refresh
      </button>
    </div>
  );
}
