/** Start the delivery worker and the reconciler; stop them letting in-flight jobs finish. */
import { randomUUID } from 'node:crypto';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { ClockSettings } from '../src/clocks.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { RedisClient } from '../src/redis.js';
import type { RouteRegistry } from '../src/route-registry.js';
import { claimedComplaint, type StatusStore } from '../src/status.js';
import { startClockScanner } from './clocks.js';
import { deliveryProcessor } from './delivery.js';
import { deadLetter } from './dead-letters.js';
import { bullPrefix, createQueues, deliverJobId, deliverJobOptions, JOB, QUEUE_NAMES, type DeliverJob, type DeliveryJob, type EscalateJob, type Queues } from './topology.js';

const MAX_STALLED = 10;
/** A complaint undelivered this long without a job of its own is given one (a batch job that was lost or deleted). */
const RECONCILE_AFTER_MS = 10 * 60_000;
const RECONCILE_EVERY_MS = 60_000;
const RECONCILE_BATCH = 500;

export interface Workers {
  running(): boolean;
  /** Waits for in-flight jobs: the caller bounds it (src/shutdown.ts); a job left running is retried elsewhere. */
  close(): Promise<void>;
}

interface WorkerDeps { connection: RedisClient; routes: RouteRegistry; status: StatusStore; metrics: Metrics; config: Config; logger: Logger; clocks: ClockSettings }

/** Workers get their own queue handles on the patient connection: they must wait out a Redis outage. */
export function startWorkers(base: WorkerDeps): Workers {
  const deps = { ...base, queues: createQueues(base.connection, base.config.PINTU_PREFIX, base.logger) };
  const worker = new Worker<DeliveryJob>(QUEUE_NAMES.delivery, deliveryProcessor(deps), {
    connection: deps.connection as ConnectionOptions, prefix: bullPrefix(deps.config.PINTU_PREFIX, QUEUE_NAMES.delivery), concurrency: deps.config.WORKER_CONCURRENCY,
    // A job whose worker died is run again; only one that kills its worker this often is given up on.
    maxStalledCount: MAX_STALLED,
  });
  worker.on('error', (err) => deps.logger.warn({ queue: worker.name, err: err.message }, 'worker error'));
  worker.on('failed', (job, err) => {
    if (!job) return;
    // BullMQ fails a job without running our processor when it stalled too often or ran out of attempts
    // on an error the processor did not handle: its complaints become dead letters or `deliver` jobs, never a loss.
    const givenUp = job.attemptsMade >= (job.opts.attempts ?? 1) || job.stalledCounter > MAX_STALLED || /stalled more than/.test(err.message);
    if (!givenUp) return deps.logger.warn({ queue: worker.name, jobId: job.id, attempts: job.attemptsMade, err: err.message }, 'job attempt failed; will retry');
    giveUp(deps, job, err).catch((e: Error) => deps.logger.error({ jobId: job.id, err: e.message }, 'could not hand on a failed job; the reconciler will'));
  });
  const reconciler = startReconciler(deps);
  const clocks = startClockScanner(deps);
  return {
    running: () => worker.isRunning(),
    async close() {
      reconciler.stop();
      clocks.stop();
      await worker.close();
      await deps.queues.close();
    },
  };
}

async function giveUp(deps: WorkerDeps & { queues: Queues }, job: Job<DeliveryJob>, err: Error): Promise<void> {
  if ('trackingIds' in job.data) {
    // A batch job stands for its complaints: each gets its own job, which retries and dead-letters as usual.
    await deps.queues.delivery.addBulk(job.data.trackingIds.map((trackingId) => ({ name: JOB.deliver, data: { trackingId, hop: 0 }, opts: deliverJobOptions(deps.config, deliverJobId(trackingId), false) })));
    return;
  }
  if (job.name === JOB.escalate) {
    const { trackingId, hop, stage, due } = job.data as EscalateJob;
    const complaint = await deps.status.complaint(trackingId);
    if (complaint) await deadLetter(deps, complaint, complaint.region.code, hop, `${job.queueName}: ${err.message}`, job.attemptsMade, { stage, due });
    return;
  }
  const { trackingId, hop, priorAttempts } = job.data as DeliverJob;
  const claimed = await deps.status.claimOne(trackingId, hop);
  if (claimed) await deadLetter(deps, claimedComplaint(claimed), claimed.routeCode, claimed.hop, `${job.queueName}: ${err.message}`, job.attemptsMade + (priorAttempts ?? 0));
}

/**
 * Complaints accepted long ago and still undelivered get a `deliver` job of their own (its id makes this a no-op
 * when they have one). One worker a round (a lock); skipped while batch jobs wait, so a backlog is not doubled.
 */
function startReconciler(deps: WorkerDeps & { queues: Queues }): { stop(): void } {
  const { status, queues, config, logger } = deps;
  const lock = `${status.keys.base}reconciler`;
  const token = randomUUID();
  const round = async () => {
    if ((await deps.connection.set(lock, token, 'PX', RECONCILE_EVERY_MS, 'NX')) !== 'OK') return;
    if ((await queues.delivery.getWaitingCount()) > 0) return;
    const now = Date.now();
    const stale = await deps.connection.zrangebyscore(status.keys.undelivered, '-inf', now - RECONCILE_AFTER_MS, 'LIMIT', 0, RECONCILE_BATCH);
    if (!stale.length) return;
    // Each for its delivery generation: a re-routed complaint's job is not its first delivery's.
    const hops = await Promise.all(stale.map(async (trackingId) => Number((await deps.connection.hget(status.keys.record(trackingId), 'hop')) ?? 0)));
    await queues.delivery.addBulk(stale.map((trackingId, i) => ({ name: JOB.deliver, data: { trackingId, hop: hops[i] }, opts: deliverJobOptions(config, deliverJobId(trackingId, hops[i]), false) })));
    // Looked at again only after another RECONCILE_AFTER_MS.
    await deps.connection.zadd(status.keys.undelivered, 'XX', ...stale.flatMap((trackingId) => [now, trackingId]));
    logger.info({ complaints: stale.length }, 'reconciler: long-undelivered complaints have a delivery job');
  };
  const timer = setInterval(() => { round().catch((err: Error) => logger.warn({ err: err.message }, 'reconciler round failed')); }, RECONCILE_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
