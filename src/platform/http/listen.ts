import type { FastifyInstance } from 'fastify';
import { appError, isAppError } from '../errors.js';
import type { Logger } from '../log/log.js';

/** Listens, or says which setting to change (`names`: the environment variables of host and port). */
export async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  names: { host: string; port: string },
): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw appError(
        'HTTP_PORT_IN_USE',
        `Port ${port} is already in use by another program. Stop that program, or start Steadfast on another port, e.g. ${names.port}=${port + 1} npm start.`,
      );
    }
    if (isAppError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES'
        ? 'ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1024'
        : code === 'EADDRNOTAVAIL'
          ? `this machine has no such address; check ${names.host}`
          : `check ${names.host} and ${names.port}`;
    throw appError('HTTP_LISTEN_FAILED', `Cannot listen on ${host}:${port}: ${(error as Error).message}; ${hint}.`, {
      cause: error,
    });
  }
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
