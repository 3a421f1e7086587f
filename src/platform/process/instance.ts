import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive, writeFileAtomic } from '../postgres/data-dir.js';

/** What a running server records in its home, so the CLI can show addresses with the right port. */
export interface InstanceInfo {
  readonly pid: number;
  readonly httpPort: number;
  /** Where workspaces are served when TLS is on (the HTTP port then redirects there). */
  readonly httpsPort?: number;
  /** Where /metrics is served. */
  readonly operatorPort?: number;
  readonly startedAt: string;
}

const fileOf = (home: string): string => path.join(home, 'instance.json');

export async function recordInstance(
  home: string,
  ports: { http: number; https?: number },
  operatorPort?: number,
): Promise<() => Promise<void>> {
  const info: InstanceInfo = {
    pid: process.pid,
    httpPort: ports.http,
    httpsPort: ports.https,
    operatorPort,
    startedAt: new Date().toISOString(),
  };
  // `serve` and `worker` against DATABASE_URL may run in a home nothing else has made yet.
  await mkdir(home, { recursive: true });
  await writeFileAtomic(fileOf(home), `${JSON.stringify(info)}\n`);
  return async () => {
    const current = await readInstance(home);
    if (current?.pid === process.pid) await rm(fileOf(home), { force: true });
  };
}

/** The running server of this home, or undefined if none is running. */
export async function readInstance(home: string): Promise<InstanceInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(fileOf(home), 'utf8')) as InstanceInfo;
    return isProcessAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}
