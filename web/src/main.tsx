import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { ConsoleApp } from './console/ConsoleApp';
import { SessionProvider } from './session';
import { NotificationsProvider } from './work/notifications/NotificationsProvider';
import './styles.css';

/** One build serves both: the staff console on `console.<base domain>`, a workspace on `<slug>.<base domain>`. */
const onConsole = window.location.hostname.startsWith('console.');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BrowserRouter>
      {onConsole ? (
        <ConsoleApp />
      ) : (
        <SessionProvider>
          <NotificationsProvider>
            <App />
          </NotificationsProvider>
        </SessionProvider>
      )}
    </BrowserRouter>
  </StrictMode>,
);
