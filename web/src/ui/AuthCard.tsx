import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useSession } from '../session';

/** The frame of every screen before one is signed in: the workspace's name and one card. */
export function AuthCard({
  title,
  intro,
  children,
  footer,
}: {
  title: string;
  intro?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}) {
  const { workspace } = useSession();
  return (
    <main className="auth">
      <div className="auth-card">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            S
          </span>
          <span>{workspace?.name ?? 'Steadfast'}</span>
        </Link>
        <h1>{title}</h1>
        {intro && <p className="muted">{intro}</p>}
        {children}
        {footer && <div className="auth-footer">{footer}</div>}
      </div>
    </main>
  );
}
