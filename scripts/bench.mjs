// `npm run bench -- <name>`: runs bench/<name>.ts. Its last line is `RESULT <name> <json>`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const names = readdirSync(new URL('../bench/', import.meta.url))
  .filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !['lib.ts', 'bare-server.ts', 'static-server.ts'].includes(f),
  )
  .map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (one of: ${names.join(', ')})`);
  process.exit(2);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
