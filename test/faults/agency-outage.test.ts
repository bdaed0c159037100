/**
 * Fault 3: the agency's webhook is down (connections refused), then answers 500 for a while, then
 * recovers: every complaint is delivered once after it recovers. With a tiny attempt limit everything
 * becomes a dead letter instead, and one replay through the admin API delivers each exactly once.
 */
import { afterEach, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { startRig, type FaultRig } from './rig.js';

const DOWN_MS = Number(process.env.FAULT_AGENCY_DOWN_MS ?? 60_000);
const FAILING_MS = Number(process.env.FAULT_AGENCY_FAILING_MS ?? 20_000);

const rigs: FaultRig[] = [];
afterEach(async () => { while (rigs.length) await rigs.pop()!.close(); });

async function rig(name: string): Promise<FaultRig> {
  const r = await startRig(name);
  rigs.push(r);
  return r;
}

it(`delivers everything once the agency recovers from ${DOWN_MS / 1000} s down and ${FAILING_MS / 1000} s of 500s`, async () => {
  const r = await rig('agency-outage');
  await r.sink.setMode('down');
  const downSince = Date.now();
  await r.pintu('all', { DELIVERY_ATTEMPTS: '30', DELIVERY_BACKOFF_MS: '200' });
  const mentions = r.mentions('x', 100);
  const burst = r.smsBurst('sms', 500);
  expect((await burst.done).every((d) => d.ok)).toBe(true);

  await new Promise((ok) => setTimeout(ok, Math.max(0, downSince + DOWN_MS - Date.now())));
  expect(r.sink.deliveries).toBe(0);
  await r.sink.setMode('failing');
  await new Promise((ok) => setTimeout(ok, FAILING_MS));
  expect(r.sink.deliveries).toBe(0);
  await r.sink.setMode('up');

  await r.settle();
  const tally = r.report([...burst.markers, ...mentions], { downSeconds: DOWN_MS / 1000, failingSeconds: FAILING_MS / 1000, answered500: r.sink.refused });
  expect(r.sink.refused).toBeGreaterThan(0);
  // Nothing was killed: each complaint reached the agency exactly once.
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, redelivered: 0, strays: 0, badSignatures: 0 });
  expect(await r.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
  expect(r.unexpectedExits).toEqual([]);
});

it('turns every complaint into a dead letter with a tiny attempt limit, and one replay delivers each once', async () => {
  const r = await rig('dead-letters');
  await r.sink.setMode('failing');
  const gateway = await r.pintu('all', { DELIVERY_ATTEMPTS: '2', DELIVERY_BACKOFF_MS: '100' });
  const mentions = r.mentions('x', 50);
  const burst = r.smsBurst('sms', 200);
  expect((await burst.done).every((d) => d.ok)).toBe(true);
  const sent = [...burst.markers, ...mentions];

  await eventually(async () => (await r.queues.deadLetters.getJobCounts('waiting')).waiting === sent.length, 120_000, 200);
  await r.settle();
  expect(r.sink.deliveries).toBe(0);
  expect(r.sink.refused).toBe(2 * sent.length);

  await r.sink.setMode('up');
  // Two admins press "replay all" at the same moment: each letter is queued once.
  const replayAll = () => fetch(`http://127.0.0.1:${gateway.port}/admin/api/dead-letters/replay`, { method: 'POST', headers: { authorization: `Bearer ${r.adminToken}` } })
    .then(async (res) => { expect(res.status).toBe(202); return ((await res.json()) as { replayed: unknown[] }).replayed.length; });
  const replayed = await Promise.all([replayAll(), replayAll()]);
  expect(replayed[0]! + replayed[1]!).toBe(sent.length);

  await r.settle();
  const tally = r.report(sent, { deadLetters: sent.length, replayed: replayed.join('+') });
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, redelivered: 0, strays: 0, badSignatures: 0 });
  expect(await r.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
  expect(r.unexpectedExits).toEqual([]);
});
