/**
 * The clock scanner: one worker process at a time (a lock) looks, every CLOCK_SCAN_MS, for complaints whose running
 * stage passed its deadline (the deadline set, src/status.ts), marks each overdue once per stage and queues an
 * `escalate` job for it. A restart, a second gateway or many workers neither miss nor double an escalation: the mark
 * is per stage in the record, the job id per stage and delivery generation, and a complaint leaves the deadline
 * set only once its job is queued. No timer per complaint: one sorted set for all.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { RedisClient } from '../src/redis.js';
import type { StatusStore } from '../src/status.js';
import { deliverJobOptions, escalateJobId, JOB, type EscalateJob, type Queues } from './topology.js';

const SCAN_BATCH = 200;

export function startClockScanner(deps: { connection: RedisClient; status: StatusStore; queues: Queues; metrics: Metrics; config: Config; logger: Logger }): { stop(): void } {
  const { status, queues, config, logger } = deps;
  const lock = `${status.keys.base}clock-scanner`;
  const token = randomUUID();
  let running = false;
  const scan = async () => {
    if (running) return;
    running = true;
    try {
      // Held a little longer than a round: another worker takes over if this one dies.
      if ((await deps.connection.set(lock, token, 'PX', config.CLOCK_SCAN_MS * 5, 'NX')) !== 'OK' && (await deps.connection.get(lock)) !== token) return;
      await deps.connection.pexpire(lock, config.CLOCK_SCAN_MS * 5);
      const now = Date.now();
      for (const trackingId of await status.due(now, SCAN_BATCH)) {
        const escalation = await status.escalate(trackingId, now);
        if (!escalation) continue;
        const job: EscalateJob = { trackingId, stage: escalation.stage, hop: escalation.hop, due: escalation.due };
        await queues.delivery.add(JOB.escalate, job, deliverJobOptions(config, escalateJobId(job), false));
        await status.escalationQueued(escalation);
        if (!escalation.again) logger.warn({ trackingId, stage: escalation.stage, route: escalation.routeCode, due: new Date(escalation.due).toISOString() }, 'complaint overdue: escalating to the agency above');
      }
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'clock scan failed; next round retries');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void scan(), config.CLOCK_SCAN_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
