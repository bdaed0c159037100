/**
 * Fault 9: Redis SIGKILLed three times while intake transactions are being written (a burst through a serve and a
 * worker process), restarted each time on its AOF files. A transaction either executed whole or not at all:
 * messages answered 0x64 come again and are kept once; nothing acknowledged is lost.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STATUS } from '../../adapters/sms/smpp.js';
import { eventually } from '../helpers/gateway.js';
import { SMS_COUNT, startRig, type FaultRig } from './rig.js';

const KILLS = 3;

let rig: FaultRig;
beforeAll(async () => { rig = await startRig('redis-mid-write'); });
afterAll(async () => { await rig?.close(); });

it(`keeps every acknowledged message once across ${KILLS} Redis kills during intake writes (${SMS_COUNT} SMS)`, async () => {
  await rig.pintu('serve');
  await rig.pintu('worker');
  await eventually(() => rig.smsc.bound.length === 1, 30_000);
  // Each kill happens in the tick the SMSC records the threshold's acknowledgement, so the rest of the burst is still
  // to be written however busy this process is, and the SMSC is held back while the server restarts, so the rest
  // of the burst is still to come after each restart: every kill lands during intake writes.
  const thresholds = Array.from({ length: KILLS }, (_, k) => Math.floor(((k + 1) * SMS_COUNT) / (KILLS + 2)));
  const refused = () => rig.smsc.answers.filter((a) => a === STATUS.RX_T_APPN).length;
  let acked = 0;
  let killed: { exited: Promise<void>; refusedBefore: number } | null = null;
  rig.smsc.onAnswer = (answer) => {
    if (answer !== STATUS.OK || ++acked < (thresholds[0] ?? Infinity) || killed) return;
    thresholds.shift();
    killed = { exited: rig.redis.kill9(), refusedBefore: refused() };
  };
  const burst = rig.smsBurst('sms', SMS_COUNT);

  for (let kill = 1; kill <= KILLS; kill++) {
    await eventually(() => killed !== null, 600_000, 5);
    const { exited, refusedBefore } = killed!;
    await exited;
    await eventually(() => refused() > refusedBefore, 30_000);
    rig.smsc.pause();
    await new Promise((r) => setTimeout(r, 1000));
    await rig.redis.restart();
    killed = null;
    rig.smsc.resume();
  }
  rig.smsc.onAnswer = null;

  const results = await burst.done;
  await rig.settle();
  const ackedMarkers = burst.markers.filter((_, i) => results[i]!.ok);
  const tally = rig.report(burst.markers, { kills: KILLS, answered0x64: refused() });

  expect(results.every((r) => r.ok)).toBe(true);
  expect(rig.sink.missing(ackedMarkers)).toEqual([]);
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strays: 0, badSignatures: 0 });
  expect(rig.unexpectedExits).toEqual([]);
  expect(await rig.queues.deadLetters.getJobCounts('waiting')).toEqual({ waiting: 0 });
});
