import { networkInterfaces } from 'node:os';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { appError } from '../../platform/errors.js';
import { registerProblemHandler } from '../../platform/http/problem.js';
import { issuesOfZod, validationFailed } from '../../platform/http/validation.js';
import type { Logger } from '../../platform/log/log.js';
import { readTlsFiles, type TlsFiles } from '../../platform/postgres/tls.js';
import {
  controlCiphers,
  fenceRequestSchema,
  modeRequestSchema,
  resumeRequestSchema,
  type FenceReport,
  type FenceRequest,
  type ModeRequest,
  type NodeReport,
} from './replication.control.schema.js';
import { replicationRole } from './replication.state.js';

/**
 * The node control API: how the nodes of one cluster ask each other what they are and tell
 * an old primary to stand down (as Patroni's REST API does). HTTPS with client certificates
 * of our CA on both sides, the same files as the replication channel; no password, and
 * nothing a tenant can reach (it listens on the replication network only).
 */

export interface NodeControlHandlers {
  report(): Promise<NodeReport>;
  fence(request: FenceRequest): Promise<FenceReport>;
  /** The node that fenced this one gives up taking over (a switchover that could not finish): serve again. */
  /** `from`: the address the request came from. */
  resume(by: string, from: string): Promise<NodeReport>;
  setMode(request: ModeRequest & { from: string }): Promise<{ mode: string; configured: string }>;
}

const remoteAddress = (socket: { remoteAddress?: string }): string =>
  socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';

/** Whether an address is one of this machine's own (loopback, or an interface's). */
function isThisMachine(address: string): boolean {
  if (address === '127.0.0.1' || address === '::1' || address.startsWith('127.')) return true;
  return Object.values(networkInterfaces()).some((entries) => entries?.some((entry) => entry.address === address));
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
  controlRoutes(app, handlers, log);
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

/** The routes: what a node is, stand down, resume, and (from this machine only) the replication mode. */
function controlRoutes(app: FastifyInstance, handlers: NodeControlHandlers, log: Logger): void {
  app.get('/v1/node', () => handlers.report());
  app.post('/v1/fence', async (request) => {
    const parsed = fenceRequestSchema.safeParse(request.body);
    if (!parsed.success) throw validationFailed(issuesOfZod(parsed.error, 'body'), 'fence');
    const host = remoteAddress(request.raw.socket);
    log.warn({ by: parsed.data.by, host, reason: parsed.data.reason }, 'a peer asked this node to stand down (fence)');
    return handlers.fence({ ...parsed.data, host });
  });
  app.post('/v1/resume', async (request) => {
    const parsed = resumeRequestSchema.safeParse(request.body);
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
    if (!parsed.success) throw validationFailed(issuesOfZod(parsed.error, 'body'), 'mode');
    // The mode is changed by an operator on this machine ("steadfast replication mode"), never by a peer.
    const from = remoteAddress(request.raw.socket);
    if (!isThisMachine(from))
      throw appError(
        'FORBIDDEN',
        'The replication mode is changed from this machine only, with "steadfast replication mode".',
      );
    return handlers.setMode({ ...parsed.data, from });
  });
}
