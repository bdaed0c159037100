/**
 * Fault 6: the agency is slow and failing, and the worker delivering to it dies twice while the same
 * deliveries are in flight. With BullMQ's default `maxStalledCount` (1) such a job was failed without running
 * the processor — neither delivered nor a dead letter (this scenario lost 3 of 10; fixed in 6f1edae).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import { startRig, type FaultRig } from './rig.js';

describe('a worker killed twice while the same deliveries are in flight', () => {
  let rig: FaultRig;
  beforeAll(async () => { rig = await startRig('double-stall'); });
  afterAll(async () => { await rig?.close(); });

  it('delivers every complaint (or keeps it as a dead letter) and leaves no failed job', async () => {
    const agencyWorkMs = 5000;
    rig.sink.delayMs = agencyWorkMs;
    await rig.sink.setMode('failing');
    await rig.pintu('serve');
    await eventually(() => rig.smsc.bound.length === 1, 30_000);
    const env = { DELIVERY_ATTEMPTS: '30', DELIVERY_BACKOFF_MS: '200', DELIVERY_TIMEOUT_MS: '60000' };
    const first = await rig.pintu('worker', env);
    const burst = rig.smsBurst('sms', 10);
    await burst.done;
    await eventually(async () => ((await rig.queues.delivery.getJobCounts('active')).active ?? 0) > 0, 60_000, 100);
    await first.kill9();
    const second = await rig.pintu('worker', env);
    // Once the second worker holds jobs it took over from the first (stalled once), it dies too.
    await eventually(async () => (await rig.queues.delivery.getJobs(['active'])).some((j) => j.stalledCounter >= 1), 120_000, 200);
    await second.kill9();
    await rig.pintu('worker', env);
    // Requests the dead workers left at the agency finish (refused) before it recovers.
    await new Promise((r) => setTimeout(r, agencyWorkMs + 1000));
    await rig.sink.setMode('up');
    rig.sink.delayMs = 0;

    await rig.settle();
    const failed = await rig.queues.delivery.getJobs(['failed']);
    const deadLetters = (await rig.queues.deadLetters.getJobCounts('waiting')).waiting ?? 0;
    const tally = rig.report(burst.markers, { failedJobs: failed.length, failedReason: failed[0]?.failedReason ?? '-', deadLetters });
    expect({ failedJobs: failed.length, lostWithoutDeadLetter: tally.lost - deadLetters }).toEqual({ failedJobs: 0, lostWithoutDeadLetter: 0 });
  });
});
