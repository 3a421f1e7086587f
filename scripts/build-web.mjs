// Builds the browser app (web/ -> web/dist) when its sources changed since the last build:
// `npm start` and `npm test` run it, so a fresh clone serves the app and nothing built is committed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const stamp = path.join(web, 'dist', '.sources');

/** A hash of every source file of the app, and of the lock file (a new library version is a new build). */
function sourcesHash() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'dist' || name === 'node_modules') continue;
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else hash.update(`${path.relative(web, file)}\0`).update(readFileSync(file));
    }
  };
  walk(web);
  hash.update(readFileSync(path.join(root, 'package-lock.json')));
  return hash.digest('hex');
}

const wanted = sourcesHash();
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && !process.argv.includes('--force')) process.exit(0);
console.log('Building the web app (web/ -> web/dist)...');
const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const result = spawnSync(
  process.execPath,
  [vite, 'build', '--config', path.join(web, 'vite.config.ts'), '--logLevel', 'warn'],
  {
    cwd: web,
    stdio: 'inherit',
  },
);
if (result.status !== 0) {
  console.error('The web app did not build; see the errors above.');
  process.exit(result.status ?? 1);
}
writeFileSync(stamp, wanted);
