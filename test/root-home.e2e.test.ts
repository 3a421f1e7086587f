import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { rootFallbackClusters } from '../src/platform/postgres/embedded.js';
import { isRoot } from '../src/platform/postgres/os-user.js';
import { homeEnv, runCli, startUp } from './helpers/cli.js';

// Like a checkout under /root: a private (0700) directory the Postgres OS user cannot enter.
let privateDir: string;
let home: string;
let fallback: string;

before(async () => {
  privateDir = await mkdtemp(path.join(tmpdir(), 'steadfast-private-'));
  await chmod(privateDir, 0o700);
  home = path.join(privateDir, 'checkout', '.steadfast');
  await mkdir(home, { recursive: true });
  fallback = path.join(rootFallbackClusters, createHash('sha256').update(home).digest('hex').slice(0, 16));
});
after(async () => {
  await rm(privateDir, { recursive: true, force: true });
  await rm(fallback, { recursive: true, force: true });
});

test(
  'as root, a home the Postgres user cannot reach still works: the cluster is kept under /var/lib/steadfast',
  { skip: !isRoot() && 'only root runs Postgres as another OS user' },
  async () => {
    const env = await homeEnv(home);
    const up = await startUp(env);
    try {
      assert.match(up.output(), /cannot reach the home directory; keeping the PostgreSQL data outside it/);
      const list = await runCli(['tenant', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).map((t: { slug: string }) => t.slug),
        ['demo'],
      );
    } finally {
      assert.equal(await up.stop(), 0, up.output());
    }
    assert.equal((await readFile(path.join(fallback, 'data', 'PG_VERSION'), 'utf8')).trim(), '18');
    await assert.rejects(access(path.join(home, 'postgres')), /ENOENT/);
  },
);
