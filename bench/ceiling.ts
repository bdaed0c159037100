/** The ceiling for web intake: a bare fastify route that only does `queue.add` to the same Redis. */
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { connectRedis } from '../src/redis.js';
import { bullPrefix } from '../queues/topology.js';

const redis = connectRedis(process.env.REDIS_URL!, 'producer');
const queue = new Queue('intake', { connection: redis, prefix: bullPrefix('ceiling', 'intake') });
const app = Fastify({ bodyLimit: 64 * 1024 });
app.post('/api/v1/complaints', async (req, reply) => {
  const job = await queue.add('complaint', req.body as object, { removeOnComplete: true });
  return reply.code(202).send({ id: job.id });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('ready');
