// The baseline for http-baseline: a bare Fastify route answering what /readyz answers, no plugins, no database.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/readyz', async () => ({ status: 'ready', checks: { postgres: { ok: true, status: 'reachable' } } }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.stdout.write('is running\n');
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
