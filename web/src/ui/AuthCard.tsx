import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useWorkspaceName } from '../session';

/** The frame of every screen before one is signed in: the workspace's name (or `brand`, on the console) and one card. */
export function AuthCard({
  title,
  intro,
  children,
  footer,
  brand,
  notices,
}: {
  title: string;
  /** Shown under the title (the sign-in page's maintenance notices). */
  notices?: ReactNode;
  intro?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  brand?: string;
}) {
  const workspaceName = useWorkspaceName();
  return (
    <main className="auth">
      <div className="auth-card">
        <Link to="/" className="brand">
          <span className={brand ? 'brand-mark console' : 'brand-mark'} aria-hidden="true">
            S
          </span>
          <span>{brand ?? workspaceName ?? 'Steadfast'}</span>
        </Link>
        <h1>{title}</h1>
        {notices}
        {intro && <p className="muted">{intro}</p>}
        {children}
        {footer && <div className="auth-footer">{footer}</div>}
      </div>
    </main>
  );
}
