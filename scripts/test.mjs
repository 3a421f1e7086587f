// `npm test`: installs what the tests need (idempotently), builds the web app if it changed, then runs test/run.ts.
import { spawnSync } from 'node:child_process';

const steps = [
  ['bash', ['scripts/install-test-deps.sh']],
  // The browser tests and every test of a workspace's pages need the built app.
  [process.execPath, ['scripts/build-web.mjs']],
  [process.execPath, ['--import', 'tsx', 'test/run.ts', ...process.argv.slice(2)]],
];
for (const [command, args] of steps) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
