/**
 * Fault 1: `kill -9` of the gateway (`pintu all`) in the middle of an SMS burst, then a restart. The SMSC
 * sends again what was not acknowledged; nothing acknowledged may be lost, nothing may become two complaints.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { ackCounter, SMS_COUNT, startRig, type FaultRig } from './rig.js';

let rig: FaultRig;
beforeAll(async () => { rig = await startRig('gateway-kill'); });
afterAll(async () => { await rig?.close(); });

it(`loses and duplicates nothing when the gateway is killed mid-burst of ${SMS_COUNT} SMS`, async () => {
  const gateway = await rig.pintu('all');
  await eventually(() => rig.smsc.bound.length === 1, 30_000);
  const mentions = rig.mentions('x', 100);
  const burst = rig.smsBurst('sms', SMS_COUNT);
  const acked = ackCounter(rig.smsc);

  await eventually(() => acked() >= SMS_COUNT / 3, 600_000, 20);
  await gateway.kill9();
  const ackedBeforeKill = acked();
  const binds = rig.smsc.binds;
  await rig.pintu('all');
  await eventually(() => rig.smsc.binds > binds, 30_000);

  const results = await burst.done;
  await rig.settle();
  const resent = results.filter((r) => r.attempts.length > 1).length;
  const tally = rig.report([...burst.markers, ...mentions], { ackedBeforeKill, resentAfterKill: resent, linkLost: rig.smsc.answers.filter((a) => a === 'link-lost').length });

  expect(results.every((r) => r.ok)).toBe(true);
  // The kill really hit the burst: messages in flight were sent again after the restart.
  expect(resent).toBeGreaterThan(0);
  expect(ackedBeforeKill).toBeLessThan(SMS_COUNT);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
  expect(await rig.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
});
