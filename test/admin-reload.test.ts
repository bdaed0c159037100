/** Hot reload: a route change made through one process's admin API reaches another process within a second. */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webChannel } from '../adapters/web/index.js';
import { resolveMessage } from '../src/keyword.js';
import type { Pintu } from '../src/pintu.js';
import { Route } from '../src/route.js';
import { routeKeys } from '../src/route-registry.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN_ENV, adminApi, startPeer } from './admin-helpers.js';

/** The bound for a change to be live everywhere. */
const HOT_RELOAD_MS = 1000;
const SECRET = 'pekalongan-secret-0123456789';

describe('route changes across processes', () => {
  let serve: TestGateway;
  let worker: Pintu;
  let sink: AgencySink;
  beforeAll(async () => {
    sink = await startAgencySink();
    // `pintu serve` (HTTP, no workers) and `pintu worker` on one Redis prefix, as two processes would run.
    serve = await startGateway(ADMIN_ENV, { workers: false, channels: [webChannel] });
    worker = await startPeer(serve.prefix);
    worker.startWorkers();
  });
  afterAll(async () => { await serve.close(); await worker.close(); await sink.close(); });

  it('routes the next complaint to a webhook set a moment ago in another process', async () => {
    const api = adminApi(serve.url);
    const res = await api('PATCH', '/routes/33.75', { aliases: ['KotaPekalongan', 'Kota Batik'], destination: { url: sink.url, secret: SECRET } });
    expect(res.status).toBe(200);
    await eventually(() => worker.routes.index().routes.get('33.75')?.destination?.url === sink.url, HOT_RELOAD_MS, 10);
    expect(resolveMessage('Kota Batik jalan rusak', worker.routes.index()).route.code).toBe('33.75');

    const accepted = await json(fetch(`${serve.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Kota Batik lampu jalan mati' }) }));
    expect(accepted.route.code).toBe('33.75');
    const [delivery] = await eventually(() => sink.received.length === 1 && sink.received);
    expect(delivery!.headers['x-pintu-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(delivery!.rawBody).digest('hex')}`);
    expect(delivery!.body.complaint.trackingId).toBe(accepted.trackingId);
  });

  it('catches up through the version check when a pub/sub message is missed', async () => {
    // Written straight to Redis without a publish: only the periodic version check can notice.
    const route = Route.parse({ ...worker.routes.index().routes.get('35.78')!, aliases: ['KotaSurabaya', 'Kota Pahlawan'] });
    const keys = routeKeys(serve.prefix);
    await serve.pintu.redis.multi().hset(keys.table, route.code, JSON.stringify(route)).incr(keys.version).exec();
    await eventually(() => worker.routes.index().routes.get('35.78')!.aliases.includes('Kota Pahlawan'), HOT_RELOAD_MS, 10);
  });

  it('keeps changes across a restart', async () => {
    const restarted = await startPeer(serve.prefix);
    try {
      expect(restarted.routes.index().routes.get('33.75')).toMatchObject({ aliases: ['KotaPekalongan', 'Kota Batik'], destination: { url: sink.url, secret: SECRET } });
      expect(restarted.routes.index().routes.size).toBe(553);
    } finally {
      await restarted.close();
    }
  });

  it('serialises concurrent writers from two processes without losing either change', async () => {
    const writes = Array.from({ length: 6 }, (_, i) => (i % 2 ? worker : serve.pintu).routes.apply(
      [{ code: `33.${String(80 + i)}`, route: { code: `33.${String(80 + i)}`, name: `Uji ${i}`, level: 'regency', keyword: `Uji${i}Kota`, aliases: [], parent: '33', active: true } }],
      { actor: 'test', action: 'route.create' },
    ));
    await Promise.all(writes);
    await eventually(() => [0, 1, 2, 3, 4, 5].every((i) => worker.routes.index().routes.has(`33.${80 + i}`) && serve.pintu.routes.index().routes.has(`33.${80 + i}`)), HOT_RELOAD_MS, 10);
  });

  it('lets only one of two processes claim the same alias at the same moment', async () => {
    const claim = (pintu: Pintu, code: string) => {
      const route = pintu.routes.index().routes.get(code)!;
      return pintu.routes.apply([{ code, route: { ...route, aliases: [...route.aliases, 'Kota Rebutan'] } }], { actor: 'test', action: 'route.update' });
    };
    const outcomes = await Promise.allSettled([claim(serve.pintu, '33.01'), claim(worker, '33.02')]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason.message).toMatch(/"Kota Rebutan" already belongs to/);
  });
});
