/**
 * The reference for the web whole-service benchmark: the pipeline a developer would write in an afternoon, in one
 * process — a fastify route doing `queue.add`, one BullMQ worker (concurrency 50) POSTing each job to the agency
 * over a kept-alive connection. Same Redis, same agency sink as Pintu's run.
 */
import { Agent, request } from 'node:http';
import { Queue, Worker } from 'bullmq';
import Fastify from 'fastify';
import { connectRedis } from '../src/redis.js';

const agencyUrl = new URL(process.env.AGENCY_URL!);
const agent = new Agent({ keepAlive: true, maxSockets: 50 });
const producer = connectRedis(process.env.REDIS_URL!, 'producer');
const queue = new Queue('complaints', { connection: producer, prefix: '{plain}' });
const worker = new Worker('complaints', (job) => new Promise<void>((ok, fail) => {
  const body = JSON.stringify(job.data);
  const req = request({ host: agencyUrl.hostname, port: agencyUrl.port, path: agencyUrl.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': job.id! } }, (res) => {
    res.resume();
    res.once('end', () => ((res.statusCode ?? 500) < 300 ? ok() : fail(new Error(`agency answered ${res.statusCode}`))));
  });
  req.once('error', fail);
  req.end(body);
}), { connection: connectRedis(process.env.REDIS_URL!, 'worker'), prefix: '{plain}', concurrency: 50, removeOnComplete: { count: 1000 } });
worker.on('error', () => {});

const app = Fastify({ bodyLimit: 64 * 1024 });
app.post('/api/v1/complaints', async (req, reply) => {
  const job = await queue.add('complaint', req.body as object, { removeOnComplete: true, attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
  return reply.code(202).send({ id: job.id });
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
