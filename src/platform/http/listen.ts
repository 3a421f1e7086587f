import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { appError, isAppError } from '../errors.js';
import type { Logger } from '../log/log.js';

/** A port a process listens on: what it serves, and the settings (environment variables) of its host and port. */
export interface ListenSetting {
  /** What a person knows it as, e.g. "HTTP port" or "operator port (/metrics)". */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly names: { readonly host: string; readonly port: string };
}

/** Listens, or says which setting to change. */
export async function listen(app: FastifyInstance, setting: ListenSetting): Promise<void> {
  try {
    await app.listen({ host: setting.host, port: setting.port });
  } catch (error) {
    await app.close();
    throw listenFailure(error, setting);
  }
}

/**
 * Refuses a port that another program holds, worded as `listen` words it: asked before a start
 * does anything (initdb, the demo tenant) that a taken port would waste. A host name is probed
 * at each of its addresses, and a taken one of them refuses the port: a server half reachable
 * on "localhost" is not a start. Port 0 (any free port) always passes.
 */
export async function assertPortsFree(settings: readonly ListenSetting[]): Promise<void> {
  for (const setting of settings) {
    if (setting.port === 0) continue;
    // A name such as "localhost" is listened on at each of its addresses (127.0.0.1 and ::1); any may be taken.
    const addresses = await lookup(setting.host, { all: true }).catch(() => [{ address: setting.host }]);
    for (const [index, { address }] of addresses.entries()) {
      const failure = await probe(address, setting.port);
      // An address family this machine lacks is not a taken port; the first address's other errors are listen's.
      if (failure && (index === 0 || failure.code === 'EADDRINUSE')) throw listenFailure(failure, setting);
    }
  }
}

/** Binds `port` on `address` for a moment: the error a listen would meet there, if any. */
function probe(address: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', resolve);
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function listenFailure(error: unknown, { label, host, port, names }: ListenSetting): Error {
  if (isAppError(error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return appError(
      'PORT_IN_USE',
      `The ${label} ${port} is already in use by another program. Stop that program, or start Steadfast with another, e.g. ${names.port}=${port + 1} npm start.`,
    );
  }
  const hint =
    code === 'EACCES'
      ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1024'
      : code === 'EADDRNOTAVAIL'
        ? `this machine has no such address; check ${names.host}`
        : `check ${names.host} and ${names.port}`;
  return appError(
    'HTTP_LISTEN_FAILED',
    `Cannot listen on ${host}:${port} (${label}): ${(error as Error).message}; ${hint}.`,
    {
      cause: error,
    },
  );
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
export async function closeHttp(app: FastifyInstance, graceMs: number, log: Logger): Promise<void> {
  // Keep-alive connections become idle as their last response is sent; close them as they
  // do, or a client holding one open would make every shutdown wait the whole grace period.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
  const timer = setTimeout(() => {
    log.warn('requests still running after the shutdown grace period; closing their connections');
    app.server.closeAllConnections();
  }, graceMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweeper);
    clearTimeout(timer);
  }
}
