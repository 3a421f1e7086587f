// An API client of the bench: JSON over one kept-alive connection, and a project's event stream.
import http from 'node:http';

export interface Answer<T> {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: T;
  /** From sending the request to the end of the answer. */
  readonly ms: number;
}

export type Call = <T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Answer<T>>;

/** Calls the API on `port` with `defaults` (host, authorization) on every request. */
export function apiClient(port: number, defaults: Record<string, string>): { call: Call; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call: Call = (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: { ...defaults, ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: (text ? JSON.parse(text) : null) as never,
              ms: performance.now() - started,
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
  return { call, close: () => agent.destroy() };
}

/** Throws unless the answer has the status expected, quoting the problem document. */
export function expectStatus<T>(answer: Answer<T>, status: number, what: string): T {
  if (answer.status !== status)
    throw new Error(`${what}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export interface StreamEvent {
  readonly id: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
  /** performance.now() when its frame was read. */
  readonly at: number;
}

/** A project's Server-Sent Events, each handed to `onEvent` as its frame arrives; resolves once the stream is open. */
export function openStream(
  port: number,
  path: string,
  headers: Record<string, string>,
  onEvent: (event: StreamEvent) => void,
): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path, headers: { ...headers, accept: 'text/event-stream' } },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`the event stream answered ${response.statusCode}`));
          response.resume();
          return;
        }
        let buffer = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          const at = performance.now();
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const lines = buffer.slice(0, end).split('\n');
            buffer = buffer.slice(end + 2);
            const field = (name: string) =>
              lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
            if (field('event'))
              onEvent({ id: Number(field('id')), event: field('event'), data: JSON.parse(field('data')), at });
          }
        });
        response.on('error', () => undefined); // closing the stream ends it
        resolve({ close: () => request.destroy() });
      },
    );
    request.on('error', reject);
  });
}
