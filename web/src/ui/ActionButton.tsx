import type { ReactNode } from 'react';

/**
 * A button that acts on one of several things on a screen ("Remove", "Send test"): its words, then
 * `about` for screen readers only (the thing's name, or words naming it), so each one's name is its own.
 */
export function ActionButton({
  tone,
  small = false,
  about,
  disabled,
  onClick,
  children,
}: {
  tone: 'primary' | 'secondary' | 'danger';
  small?: boolean;
  about?: string;
  disabled?: boolean;
  onClick(): void;
  children: ReactNode;
}) {
  return (
    <button className={small ? `${tone} small` : tone} type="button" disabled={disabled} onClick={onClick}>
      {children}
      {about !== undefined && <span className="visually-hidden"> {about}</span>}
    </button>
  );
}
