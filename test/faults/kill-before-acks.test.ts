/**
 * Fault 7: the gateway is SIGKILLed after its intake transactions were written and before the SMSC saw their
 * acknowledgements. The SMSC stops reading (the answers pile up unread in the socket), the gateway keeps writing
 * the window's messages, then dies; the unread answers are lost with the link and the SMSC sends those messages
 * again to the restarted gateway, which must recognise every one of them (dedup in the same transaction).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { ackCounter, SMS_COUNT, startRig, type FaultRig } from './rig.js';

let rig: FaultRig;
beforeAll(async () => { rig = await startRig('kill-before-acks'); });
afterAll(async () => { await rig?.close(); });

it(`loses and duplicates nothing when the gateway dies between a batch's write and its acks (${SMS_COUNT} SMS)`, async () => {
  const gateway = await rig.pintu('all');
  await eventually(() => rig.smsc.bound.length === 1, 30_000);
  const burst = rig.smsBurst('sms', SMS_COUNT);
  const acked = ackCounter(rig.smsc);

  await eventually(() => acked() >= SMS_COUNT / 3, 600_000, 20);
  rig.smsc.holdAnswers();
  const ackedWhenHeld = acked();
  // The gateway writes what is in flight (up to the window) while its answers go unread.
  const keptWhenHeld = await rig.records();
  await eventually(async () => (await rig.records()) >= keptWhenHeld + 50, 60_000, 20);
  await new Promise((r) => setTimeout(r, 500));
  const writtenNotAcked = (await rig.records()) - ackedWhenHeld;
  await gateway.kill9();
  rig.smsc.releaseAnswers(true);
  await rig.pintu('all');

  const results = await burst.done;
  await rig.settle();
  const tally = rig.report(burst.markers, { ackedWhenHeld, writtenNotAcked, resent: results.filter((r) => r.attempts.length > 1).length });

  expect(results.every((r) => r.ok)).toBe(true);
  // The kill really fell between writes and acks: complaints were kept that the SMSC had no answer for.
  expect(writtenNotAcked).toBeGreaterThan(0);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
  expect(await rig.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
});
