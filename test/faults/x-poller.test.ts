/**
 * Fault 4: the gateway running the X mentions poller is SIGKILLed mid-backlog and started again (it
 * resumes from the checkpoint once the dead poller's lock expires); then a 429 storm in the middle of
 * the next drain. Every mention reaches the agency as one complaint.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pollerKeys } from '../../adapters/twitter/poller.js';
import { eventually } from '../helpers/gateway.js';
import { startRig, type FaultRig } from './rig.js';

const BACKLOG = Number(process.env.FAULT_X_BACKLOG ?? 1000);
const STORM = Number(process.env.FAULT_X_429 ?? 10);

let rig: FaultRig;
// Slow pages, so that a drain is still under way when the kill and the storm come.
beforeAll(async () => { rig = await startRig('x-poller', { x: { delayMs: 300 } }); });
afterAll(async () => { await rig?.close(); });

const checkpoint = () => rig.db.hgetall(pollerKeys(rig.prefix).checkpoint(rig.x.account.id));
const mentionRequests = () => rig.x.requests.filter((r) => r.path.endsWith('/mentions'));

it(`takes a ${BACKLOG}-mention backlog once across a poller kill and a storm of ${STORM} 429s`, async () => {
  const backlog = rig.mentions('backlog', BACKLOG);
  const gateway = await rig.pintu('all');
  await eventually(async () => (await checkpoint()).drain_until !== undefined, 60_000, 20);
  await gateway.kill9();
  const cursor = await checkpoint();
  const keptBeforeKill = await rig.records();
  const restartedAt = Date.now();
  await rig.pintu('all');
  await eventually(async () => (await checkpoint()).since_id !== undefined && !(await checkpoint()).drain_until, 120_000, 100);
  const resumed = mentionRequests().find((r) => r.at >= restartedAt);

  // The storm: X answers 429 (reset 1 s ahead) to the next calls, in the middle of a drain.
  const later = rig.mentions('storm', Math.max(300, BACKLOG / 2));
  await eventually(async () => (await checkpoint()).drain_until !== undefined, 60_000, 20);
  rig.x.failNext(STORM, { status: 429, resetInSeconds: 1 });
  await eventually(async () => { const h = await checkpoint(); return h.since_id !== undefined && !h.drain_until && mentionRequests().filter((r) => r.status === 429).length === STORM; }, 300_000, 200);

  await rig.settle();
  const tally = rig.report([...backlog, ...later], {
    keptBeforeKill,
    answered429: mentionRequests().filter((r) => r.status === 429).length,
    mentionsCalls: mentionRequests().length,
  });
  // The restarted poller resumed below the dead one's cursor instead of starting from the top.
  expect(resumed?.query.until_id).toBe(cursor.drain_until);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
});
