import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findFreePort } from '../../src/platform/postgres/supervisor.js';
import { SftpStore } from '../../src/platform/storage/sftp-store.js';

const run = promisify(execFile);

export interface TestSshd {
  readonly port: number;
  readonly dir: string;
  readonly clientKey: string;
  readonly hostKeyFingerprint: string;
  store(repositoryPath?: string, overrides?: Partial<ConstructorParameters<typeof SftpStore>[0]>): SftpStore;
  /** Stops the server (a repository becoming unreachable); start() brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A real OpenSSH server of the test's own on a loopback port: its own host key, config
 * and authorized key, key authentication only, SFTP only.
 */
export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(path.join(tmpdir(), 'steadfast-sshd-'));
  await chmod(dir, 0o755);
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${clientKey}.pub`), { mode: 0o600 });
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKey}.pub`]);
  const hostKeyFingerprint = stdout.split(' ')[1]!;
  const port = await findFreePort();
  await writeFile(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      '',
    ].join('\n'),
  );
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    for (let i = 0; i < 100 && !/Server listening/.test(log); i++) {
      if (child.exitCode !== null) throw new Error(`sshd exited: ${log}`);
      await sleep(50);
    }
  };
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    // sshd serves each connection from a child process that outlives the listener: end them too.
    const sessions = await descendants(child.pid!);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await exited;
  };
  await start();
  const username = userInfo().username;
  return {
    port,
    dir,
    clientKey,
    hostKeyFingerprint,
    store: (repositoryPath = path.join(dir, 'repository'), overrides = {}) =>
      new SftpStore({
        host: '127.0.0.1',
        port,
        username,
        privateKeyFile: clientKey,
        hostKeyFingerprint,
        path: repositoryPath,
        ...overrides,
      }),
    stop,
    start,
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function descendants(pid: number): Promise<number[]> {
  let children: number[] = [];
  try {
    const { stdout } = await run('pgrep', ['-P', String(pid)]);
    children = stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
  const deeper = await Promise.all(children.map(descendants));
  return [...children, ...deeper.flat()];
}
