import { request as httpsRequest } from 'node:https';
import { readTlsFiles, type TlsFiles } from '../postgres/tls.js';

/** A request that got no answer; `reached`: the peer took it (TLS connected) but did not answer in time, so it may have acted on it. */
export class MtlsRequestFailed extends Error {
  constructor(
    readonly reached: boolean,
    cause: Error,
  ) {
    super(cause.message, { cause });
  }
}

export interface MtlsRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Sent as JSON when given. */
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * One HTTPS request with this machine's client certificate; the server's is checked against
 * the CA (and its revocation list) and its address. Resolves with any answer, whatever its
 * status; rejects with MtlsRequestFailed when there was none.
 */
export async function mtlsRequest(
  tls: TlsFiles,
  address: { host: string; port: number },
  options: MtlsRequest,
): Promise<{ status: number; text: string }> {
  const { ca, cert, key, crl } = await readTlsFiles(tls);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: address.host,
        port: address.port,
        method: options.method,
        path: options.path,
        ca,
        cert,
        key,
        ...(crl ? { crl } : {}),
        ...(options.minVersion ? { minVersion: options.minVersion } : {}),
        timeout: options.timeoutMs,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 500, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    let timedOut = false;
    let connected = false;
    request.on('socket', (socket) => socket.once('secureConnect', () => (connected = true)));
    request.on('timeout', () => {
      timedOut = connected;
      request.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    });
    request.on('error', (error) => reject(new MtlsRequestFailed(timedOut, error)));
    request.end(payload);
  });
}
