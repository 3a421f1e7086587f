import { request as httpsRequest } from 'node:https';
import { networkInterfaces } from 'node:os';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { appError } from '../platform/errors.js';
import { registerProblemHandler } from '../platform/http/problem.js';
import type { Logger } from '../platform/log/log.js';
import { readTlsFiles, type TlsFiles } from '../platform/postgres/tls.js';
import { replicationRole } from './replication.js';

/**
 * The node control API: how the nodes of one cluster ask each other what they are and tell
 * an old primary to stand down (as Patroni's REST API does). HTTPS with client certificates
 * of our CA on both sides, the same files as the replication channel; no password, and
 * nothing a tenant can reach (it listens on the replication network only).
 */

/** What a node says about itself. */
export interface NodeReport {
  readonly name: string;
  readonly role: 'primary' | 'standby' | 'fenced' | 'stopped';
  /** The timeline its PostgreSQL is on (for a stopped one: when it stopped). */
  readonly timeline?: number;
  readonly systemIdentifier?: string;
  /** Its PostgreSQL's port, for a peer to replicate from it. */
  readonly postgresPort?: number;
  /** Its latest WAL position: written (primary), replayed (standby), or the last checkpoint (stopped). */
  readonly lsn?: string;
}

/** A request to stand down: the node that takes over, and where its PostgreSQL is. */
export const fenceRequestSchema = z
  .object({
    by: z.string().min(1).max(63),
    postgresPort: z.number().int().min(1).max(65535),
    controlPort: z.number().int().min(1).max(65535),
    reason: z.string().min(1).max(500),
  })
  .strict();
export type FenceRequest = z.infer<typeof fenceRequestSchema> & {
  /** The address the request came from: the new primary as this node reaches it. */
  readonly host: string;
};

/** The fenced node's answer: its PostgreSQL is stopped, and where its WAL ended. */
export interface FenceReport {
  readonly name: string;
  readonly fenced: true;
  /** What its pg_control says: `shut down` after a clean stop, whose checkpoint ends its WAL; anything else and that end is not known. */
  readonly state: string;
  readonly timeline?: number;
  readonly checkpointLsn?: string;
}

export interface NodeControlHandlers {
  report(): Promise<NodeReport>;
  fence(request: FenceRequest): Promise<FenceReport>;
  /** The node that fenced this one gives up taking over (a switchover that could not finish): serve again. */
  /** `from`: the address the request came from. */
  resume(by: string, from: string): Promise<NodeReport>;
  setMode(request: ModeRequest & { from: string }): Promise<{ mode: string; configured: string }>;
}

export const modeRequestSchema = z
  .object({
    mode: z.enum(['async', 'configured']),
    reason: z.string().trim().min(3, 'say why, for the audit log').max(500),
    actor: z.string().min(1).max(100),
  })
  .strict();
export type ModeRequest = z.infer<typeof modeRequestSchema>;

const controlCiphers = { minVersion: 'TLSv1.3' as const };

const remoteAddress = (socket: { remoteAddress?: string }): string =>
  socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';

/** Whether an address is one of this machine's own (loopback, or an interface's). */
function isThisMachine(address: string): boolean {
  if (address === '127.0.0.1' || address === '::1' || address.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((entries) => entries?.some((entry) => entry.address === address));
}

function invalid(what: string, error: z.ZodError): Error {
  return appError(
    'VALIDATION_FAILED',
    `The ${what} request is invalid: ${error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}.`,
  );
}

/** Starts the control API on `host:port`; only clients with a node certificate of our CA get in. */
export async function startNodeControl(
  tls: TlsFiles,
  address: { host: string; port: number },
  handlers: NodeControlHandlers,
  log: Logger,
): Promise<{ port: number; close(): Promise<void> }> {
  const { ca, cert, key, crl } = await readTlsFiles(tls);
  const app: FastifyInstance = Fastify({
    logger: false,
    forceCloseConnections: true,
    // A revoked certificate is refused in the handshake, like one of another CA.
    https: { ca, cert, key, ...(crl ? { crl } : {}), requestCert: true, rejectUnauthorized: true, ...controlCiphers },
  }) as unknown as FastifyInstance;
  registerProblemHandler(app);
  app.addHook('onRequest', async (request) => {
    // The handshake already refused certificates of other CAs; the name says it is a node's.
    const peer = (request.raw.socket as TLSSocket).getPeerCertificate();
    if (peer?.subject?.CN !== replicationRole)
      throw appError('FORBIDDEN', 'Only the nodes of this cluster may use the node control API.');
  });
  app.get('/v1/node', () => handlers.report());
  app.post('/v1/fence', async (request) => {
    const parsed = fenceRequestSchema.safeParse(request.body);
    if (!parsed.success) throw invalid('fence', parsed.error);
    const host = remoteAddress(request.raw.socket);
    log.warn({ by: parsed.data.by, host, reason: parsed.data.reason }, 'a peer asked this node to stand down (fence)');
    return handlers.fence({ ...parsed.data, host });
  });
  app.post('/v1/resume', async (request) => {
    const parsed = z
      .object({ by: z.string().min(1).max(63) })
      .strict()
      .safeParse(request.body);
    if (!parsed.success)
      throw appError(
        'VALIDATION_FAILED',
        'The resume request is invalid: it names the node that fenced this one, as {"by": "<node name>"}.',
      );
    log.warn({ by: parsed.data.by }, 'the node that fenced this one gave up taking over; resuming as the primary');
    return handlers.resume(parsed.data.by, remoteAddress(request.raw.socket));
  });
  app.post('/v1/replication-mode', async (request) => {
    const parsed = modeRequestSchema.safeParse(request.body);
    if (!parsed.success) throw invalid('mode', parsed.error);
    // The mode is changed by an operator on this machine ("steadfast replication mode"), never by a peer.
    const from = remoteAddress(request.raw.socket);
    if (!isThisMachine(from))
      throw appError(
        'FORBIDDEN',
        'The replication mode is changed from this machine only, with "steadfast replication mode".',
      );
    return handlers.setMode({ ...parsed.data, from });
  });
  try {
    await app.listen({ host: address.host, port: address.port });
  } catch (error) {
    await app.close();
    throw appError(
      'HTTP_LISTEN_FAILED',
      `Cannot listen for the node control API on ${address.host}:${address.port}: ${(error as Error).message}; set nodeControlPort (STEADFAST_NODE_CONTROL_PORT) to a free port.`,
      { cause: error },
    );
  }
  const port = (app.server.address() as { port: number }).port;
  return { port, close: () => app.close() };
}

/** What the node at `address` says it is (GET /v1/node). */
export const askNode = (
  tls: TlsFiles,
  address: { host: string; port: number },
  timeoutMs = 3000,
): Promise<NodeReport> => callNode<NodeReport>(tls, address, 'GET', '/v1/node', undefined, timeoutMs);

/** Calls a peer's control API with this node's certificate; the peer's is checked against our CA and its address. */
export async function callNode<T>(
  tls: TlsFiles,
  address: { host: string; port: number },
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
  timeoutMs = 5000,
): Promise<T> {
  const { ca, cert, key, crl } = await readTlsFiles(tls);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const request = httpsRequest(
      {
        host: address.host,
        port: address.port,
        method,
        path: route,
        ca,
        cert,
        key,
        ...(crl ? { crl } : {}),
        ...controlCiphers,
        timeout: timeoutMs,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          if ((response.statusCode ?? 500) >= 400) {
            const detail = (parsed as { detail?: string } | undefined)?.detail ?? text.slice(0, 200);
            reject(
              appError(
                'NODE_REQUEST_FAILED',
                `The node at ${address.host}:${address.port} answered ${response.statusCode}: ${detail}`,
              ),
            );
          } else {
            resolve(parsed as T);
          }
        });
      },
    );
    let timedOut = false;
    let connected = false;
    request.on('socket', (socket) => socket.once('secureConnect', () => (connected = true)));
    request.on('timeout', () => {
      timedOut = connected;
      request.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    // Reached but slow is not unreachable: the request may have been acted on (a fence half done).
    request.on('error', (error) =>
      reject(
        timedOut
          ? appError(
              'NODE_REQUEST_FAILED',
              `The node at ${address.host}:${address.port} took the request but gave no answer within ${timeoutMs / 1000} s.`,
              { cause: error },
            )
          : appError(
              'NODE_UNREACHABLE',
              `Cannot reach the node control API at ${address.host}:${address.port}: ${error.message}.`,
              { cause: error },
            ),
      ),
    );
    request.end(payload);
  });
}
