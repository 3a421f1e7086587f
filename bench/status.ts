/**
 * npm run bench -- status [seconds]
 *
 * - rps / static_rps / ratio_vs_static: GET / of the status page as a `steadfast serve` process
 *   serves it at status.<base domain>, against the same files served from a directory by a bare
 *   Node static file server, interleaved in the same run (goal ≥ 0.8);
 * - page_bytes: the page and its style sheet as served (goal < 100 KB), with 8 components and 90
 *   days of figures each;
 * - alert_latency_s: from a checked server going away to its alert reaching a real SMTP server,
 *   at the default settings (a probe round every 30 s, down for 2 checks), through a `steadfast
 *   worker` process (goal < 70 s).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createPlatform } from '../src/app/deps.js';
import { publicFileMode, publishSite, renderStatusSite } from '../src/modules/status/index.js';
import { FsStore } from '../src/platform/storage/fs-store.js';
import { startSmtp } from '../test/helpers/smtp.js';
import { benchServers, loadRoute, meanLoad, printResult, round, startBenchCluster, type Load } from './lib.js';

const seconds = Number(process.argv[2] ?? 10);
const connections = 50;
const rounds = 3;
const here = import.meta.dirname;
const servers = benchServers();

const cluster = await startBenchCluster();
const platform = createPlatform(cluster.config, cluster.log, cluster.database);
const smtp = await startSmtp();
const target = http.createServer((_request, response) => response.end('ok'));
try {
  // 90 days of figures for eight components, as a platform that has run a while has them.
  const components = [
    'web',
    'api',
    'database',
    'email',
    'disk',
    'wal-archive',
    'repository:local',
    'repository:offsite',
  ];
  await platform.status.probeRound(
    components.map((id) => ({
      component: { id, name: id, description: `The ${id}` },
      check: async () => ({ state: 'operational' as const, responseMs: 3, message: 'ok' }),
    })),
  );
  await sql`
    INSERT INTO status_days (component_id, day, operational, degraded, partial_outage, major_outage, maintenance,
                             short_notice_maintenance, no_data, response_ms)
    SELECT c, (current_date - n)::date, 1440 - (n % 7), n % 3, n % 5, CASE WHEN n % 17 = 0 THEN 4 ELSE 0 END, 0, 0, 0, 12
    FROM unnest(${components}::text[]) AS c, generate_series(1, 89) AS n
  `.execute(platform.db);

  const env = { STEADFAST_HOME: cluster.home, LOG_LEVEL: 'warn', STEADFAST_SECRET_KEY: cluster.database.secretKey };
  const serve = await servers.start([path.join(here, '../bin/steadfast.js'), 'serve'], env);
  const statusHost = `status.${cluster.config.baseDomain}:${serve.port}`;

  // The same files, in a directory, behind a bare static file server.
  const site = path.join(cluster.home, 'status-site');
  const model = await platform.status.pageModel(`${cluster.config.baseDomain} status`, undefined);
  await publishSite(renderStatusSite(model), [{ name: 'dir', store: new FsStore(site, publicFileMode) }]);
  const bare = await servers.start(['--import', 'tsx', path.join(here, 'static-server.ts'), site], {});

  const pageBytes =
    Buffer.byteLength(await readFile(path.join(site, 'index.html'))) +
    Buffer.byteLength(await readFile(path.join(site, 'style.css')));
  const samples = { ours: [] as Load[], bare: [] as Load[] };
  for (let i = 0; i < rounds; i++) {
    samples.ours.push(await loadRoute(serve.port, '/', { seconds, connections, headers: { host: statusHost } }));
    samples.bare.push(await loadRoute(bare.port, '/', { seconds, connections }));
  }
  await serve.stop();
  await bare.stop();
  const ours = meanLoad(samples.ours);
  const staticFigures = meanLoad(samples.bare);

  // Alert latency at the default settings: a worker leads, probes every 30 s, alerts after 2 bad checks.
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  await platform.status.addCheck({ name: 'Bench target', kind: 'http', target: { url: targetUrl } }, 'operator:bench');
  await platform.alerts.addChannel({ name: 'bench', kind: 'email', target: 'oncall@example.com' }, 'operator:bench');
  await servers.start([path.join(here, '../bin/steadfast.js'), 'worker'], {
    ...env,
    STEADFAST_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
  });
  for (let i = 0; ; i++) {
    if (i > 150) throw new Error('the worker never probed the bench target');
    if ((await platform.status.current()).get('check:bench-target')?.locations.length) break;
    await sleep(500);
  }
  const failedAt = Date.now();
  target.close();
  target.closeAllConnections();
  // Long header lines are folded: unfold before reading the subject.
  const alerted = () =>
    smtp.received.some((mail) =>
      mail.data.replace(/\r\n[ \t]+/g, ' ').includes('FIRING: A component is down (check:bench-target)'),
    );
  for (let i = 0; !alerted(); i++) {
    if (i > 1800) throw new Error('no alert reached the SMTP server within 180 s');
    await sleep(100);
  }
  const alertLatency = (Date.now() - failedAt) / 1000;

  console.log(
    `${rounds} interleaved rounds of ${seconds} s, ${connections} connections, server and load on the same 2 cores`,
  );
  console.log(`status page served by steadfast:   ${ours.rps} req/s, p99 ${ours.p99} ms`);
  console.log(`the same files, bare static server: ${staticFigures.rps} req/s, p99 ${staticFigures.p99} ms`);
  console.log(
    `page weight: ${pageBytes} bytes (index.html and style.css; ${components.length} components, 90 days each)`,
  );
  console.log(
    `alert latency: ${round(alertLatency, 1)} s from the checked server going away to the email at the SMTP server (30 s rounds, 2 checks)`,
  );
  printResult('status', {
    rps: ours.rps,
    static_rps: staticFigures.rps,
    ratio_vs_static: round(ours.rps / staticFigures.rps),
    page_bytes: pageBytes,
    alert_latency_s: round(alertLatency, 1),
  });
} finally {
  target.close();
  await servers.stopAll();
  await smtp.close();
  await platform.close();
  await cluster.stop();
}
