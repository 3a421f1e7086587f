// Runs inside a network namespace (`ip netns exec <ns> node --import tsx ns-agent.ts`) for a test
// in the host's namespace, which cannot reach a server listening in there: reads one JSON request
// a line on stdin, {id, sql, values}, runs it on the embedded PostgreSQL of STEADFAST_HOME as the
// superuser, and answers one JSON line, {id, rows} or {id, error}.
import readline from 'node:readline';
import { attachRunning } from '../../src/platform/postgres/embedded.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { withClient } from '../../src/platform/db/connect.js';

const config = loadConfig({});
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, sql, values } = JSON.parse(line) as { id: number; sql: string; values?: unknown[] };
  void (async () => {
    try {
      const running = await attachRunning(config);
      if (!running) throw new Error('PostgreSQL is not running');
      const rows = await withClient(
        { ...running.admin, database: 'postgres' },
        async (client) => (await client.query(sql, values)).rows,
      );
      process.stdout.write(`${JSON.stringify({ id, rows })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ id, error: (error as Error).message })}\n`);
    }
  })();
});
process.stdin.on('end', () => process.exit(0));
