/**
 * Fault 5: two gateways (`pintu serve`, both bound to the SMSC, both candidates for the X poller) and two
 * workers (`pintu worker`) on one Redis; one of each SIGKILLed mid-burst and not restarted. The SMSC sends
 * the dead gateway's unanswered messages to the live one; the live worker takes over the dead one's jobs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { ackCounter, SMS_COUNT, startRig, type FaultRig } from './rig.js';

let rig: FaultRig;
beforeAll(async () => { rig = await startRig('multi-process'); });
afterAll(async () => { await rig?.close(); });

it(`loses and duplicates nothing when one of two gateways and one of two workers die mid-burst of ${SMS_COUNT} SMS`, async () => {
  const [gatewayA] = await Promise.all([rig.pintu('serve'), rig.pintu('serve')]);
  const [workerA] = await Promise.all([rig.pintu('worker'), rig.pintu('worker')]);
  await eventually(() => rig.smsc.bound.length === 2, 30_000);
  const mentions = rig.mentions('x', 200);
  const burst = rig.smsBurst('sms', SMS_COUNT);
  const acked = ackCounter(rig.smsc);

  await eventually(() => acked() >= SMS_COUNT / 3, 600_000, 20);
  await Promise.all([gatewayA!.kill9(), workerA!.kill9()]);
  const ackedBeforeKill = acked();

  const results = await burst.done;
  await rig.settle();
  const resent = results.filter((r) => r.attempts.length > 1).length;
  const tally = rig.report([...burst.markers, ...mentions], { ackedBeforeKill, resentAfterKill: resent });

  expect(results.every((r) => r.ok)).toBe(true);
  expect(ackedBeforeKill).toBeLessThan(SMS_COUNT);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
  expect(await rig.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
});
