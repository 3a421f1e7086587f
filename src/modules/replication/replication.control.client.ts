import { appError } from '../../platform/errors.js';
import { MtlsRequestFailed, mtlsRequest } from '../../platform/http/mtls-client.js';
import type { TlsFiles } from '../../platform/postgres/tls.js';
import { controlCiphers, type NodeReport } from './replication.control.schema.js';

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
  const where = `${address.host}:${address.port}`;
  const answer = await mtlsRequest(tls, address, { method, path: route, body, timeoutMs, ...controlCiphers }).catch(
    (error: unknown) => {
      if (!(error instanceof MtlsRequestFailed)) throw error;
      // Reached but slow is not unreachable: the request may have been acted on (a fence half done).
      throw error.reached
        ? appError(
            'NODE_REQUEST_FAILED',
            `The node at ${where} took the request but gave no answer within ${timeoutMs / 1000} s.`,
            { cause: error.cause },
          )
        : appError('NODE_UNREACHABLE', `Cannot reach the node control API at ${where}: ${error.message}.`, {
            cause: error.cause,
          });
    },
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (answer.status >= 400) {
    const detail = (parsed as { detail?: string } | undefined)?.detail ?? answer.text.slice(0, 200);
    throw appError('NODE_REQUEST_FAILED', `The node at ${where} answered ${answer.status}: ${detail}`);
  }
  return parsed as T;
}
