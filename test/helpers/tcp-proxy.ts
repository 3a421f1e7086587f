import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The TCP proxy (helpers/tcp-proxy.mjs) in a child process, driven over its stdin: latency,
 * partition (bytes held, not lost: a link that hangs) and heal. In this network namespace, or in
 * one a test made (`netns`).
 */
export class TcpProxy {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];

  constructor(listen: string, target: string, options: { netns?: string } = {}) {
    const proxy = [process.execPath, path.join(import.meta.dirname, 'tcp-proxy.mjs'), listen, target];
    const [command, ...args] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...proxy] : proxy;
    this.child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
  }

  /** Resolves with the port it listens on, once it does. */
  async ready(): Promise<number> {
    for (let waited = 0; waited < 10_000; waited += 50) {
      const line = this.lines.find((candidate) => candidate.startsWith('listening'));
      if (line) return Number(line.split(' ')[1]);
      await sleep(50);
    }
    throw new Error('the TCP proxy did not start listening');
  }

  /** Sends a command (`latency <ms>`, `partition`, `heal`) and waits for it to be taken. */
  async command(line: string): Promise<void> {
    const before = this.lines.length;
    this.child.stdin!.write(`${line}\n`);
    const taken = `ok ${line.split(' ')[0]}`;
    for (let waited = 0; waited < 5000; waited += 50) {
      if (this.lines.slice(before).includes(taken)) return;
      await sleep(50);
    }
    throw new Error(`the proxy did not take "${line}"`);
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    if (this.child.exitCode === null) await new Promise((resolve) => this.child.once('exit', resolve));
  }
}
