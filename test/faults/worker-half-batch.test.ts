/**
 * Fault 8: a worker is SIGKILLed while a `complaints` batch is half delivered (a slow agency finishing requests
 * out of order). BullMQ finds the job stalled and another worker runs it again: what was delivered is delivered
 * again under the same Idempotency-Key (redelivered, which the agency ignores), nothing is lost or kept twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { SMS_COUNT, startRig, type FaultRig } from './rig.js';

let rig: FaultRig;
beforeAll(async () => { rig = await startRig('worker-half-batch'); });
afterAll(async () => { await rig?.close(); });

it(`loses and duplicates nothing when a worker dies with a batch half delivered (${SMS_COUNT} SMS)`, async () => {
  rig.sink.delayMs = 50;
  rig.sink.jitterMs = 3000;
  await rig.pintu('serve');
  await eventually(() => rig.smsc.bound.length === 1, 30_000);
  const worker = await rig.pintu('worker');
  const burst = rig.smsBurst('sms', SMS_COUNT);
  // Some of the first batches' complaints have reached the agency, others are still being worked on there.
  await eventually(async () => rig.sink.kept.size >= 10 && ((await rig.queues.delivery.getJobCounts('active')).active ?? 0) > 0, 120_000, 20);
  const deliveredAtKill = rig.sink.kept.size;
  await worker.kill9();
  rig.sink.delayMs = 0;
  rig.sink.jitterMs = 0;
  await rig.pintu('worker');

  await burst.done;
  await rig.settle();
  const tally = rig.report(burst.markers, { deliveredAtKill });

  expect(deliveredAtKill).toBeGreaterThan(0);
  expect(deliveredAtKill).toBeLessThan(SMS_COUNT);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
  expect(await rig.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
});
