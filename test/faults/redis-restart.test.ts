/**
 * Fault 2: Redis SIGKILLed in the middle of an SMS burst and started again on its AOF files. While it is
 * away the gateway answers 0x64 (the SMSC keeps the message and retries); an acknowledgement is never
 * given for a message that is not kept, so every acknowledged message reaches the agency.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATUS } from '../../adapters/sms/smpp.js';
import { eventually } from '../helpers/gateway.js';
import { ackCounter, SMS_COUNT, startRig, type FaultRig } from './rig.js';

const DOWN_MS = Number(process.env.FAULT_REDIS_DOWN_MS ?? 5000);

let rig: FaultRig;
beforeAll(async () => { rig = await startRig('redis-restart'); });
afterAll(async () => { await rig?.close(); });

it(`answers 0x64 while Redis is away and loses nothing acknowledged (${SMS_COUNT} SMS, Redis down ${DOWN_MS} ms)`, async () => {
  await rig.pintu('all');
  await eventually(() => rig.smsc.bound.length === 1, 30_000);
  const mentions = rig.mentions('x', 100);
  const burst = rig.smsBurst('sms', SMS_COUNT);
  const acked = ackCounter(rig.smsc);

  await eventually(() => acked() >= SMS_COUNT / 3, 600_000, 20);
  await rig.redis.kill9();
  const refusedBefore = rig.smsc.answers.filter((a) => a === STATUS.RX_T_APPN).length;
  await eventually(() => rig.smsc.answers.filter((a) => a === STATUS.RX_T_APPN).length > refusedBefore, 30_000);
  await new Promise((r) => setTimeout(r, DOWN_MS));
  await rig.redis.restart();

  const results = await burst.done;
  await rig.settle();
  const refused = rig.smsc.answers.filter((a) => a === STATUS.RX_T_APPN).length;
  const ackedMarkers = burst.markers.filter((_, i) => results[i]!.ok);
  const tally = rig.report([...burst.markers, ...mentions], { answered0x64: refused, timeouts: rig.smsc.answers.filter((a) => a === 'timeout').length });

  expect(refused).toBeGreaterThan(0);
  expect(results.every((r) => r.ok)).toBe(true);
  // No false acknowledgement: every message the gateway answered 0 for is at the agency.
  expect(rig.sink.missing(ackedMarkers)).toEqual([]);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
  expect(await rig.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
});
