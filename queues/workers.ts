/** Start the router and delivery workers; stop them letting in-flight jobs finish. */
import { Worker, type ConnectionOptions } from 'bullmq';
import type { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { RouteRegistry } from '../src/route-registry.js';
import type { StatusStore } from '../src/status.js';
import { deliveryProcessor } from './delivery.js';
import { routerProcessor } from './router.js';
import { deadLetter } from './dead-letters.js';
import { bullPrefix, createQueues, QUEUE_NAMES, type DeliveryJob } from './topology.js';

const MAX_STALLED = 10;

export interface Workers {
  running(): boolean;
  /** Waits for in-flight jobs: the caller bounds it (src/shutdown.ts); a job left running is retried elsewhere. */
  close(): Promise<void>;
}

/** Workers get their own queue handles on the patient connection: they must wait out a Redis outage. */
export function startWorkers(base: { connection: ConnectionOptions; routes: RouteRegistry; status: StatusStore; metrics: Metrics; config: Config; logger: Logger }): Workers {
  const deps = { ...base, queues: createQueues(base.connection, base.config.PINTU_PREFIX) };
  const opts = (name: string) => ({
    connection: deps.connection, prefix: bullPrefix(deps.config.PINTU_PREFIX, name), concurrency: deps.config.WORKER_CONCURRENCY,
    // A job whose worker died is run again; only one that kills its worker this often is given up on.
    maxStalledCount: MAX_STALLED,
  });
  const workers = [
    new Worker(QUEUE_NAMES.intake, routerProcessor(deps), opts(QUEUE_NAMES.intake)),
    new Worker(QUEUE_NAMES.delivery, deliveryProcessor(deps), opts(QUEUE_NAMES.delivery)),
  ];
  for (const w of workers) {
    w.on('error', (err) => deps.logger.warn({ queue: w.name, err: err.message }, 'worker error'));
    w.on('failed', (job, err) => {
      if (!job) return;
      // BullMQ fails a job without running our processor when it stalled too often or ran out of attempts
      // on an error the processor did not handle: such a complaint becomes a dead letter, never a loss.
      const givenUp = job.attemptsMade >= (job.opts.attempts ?? 1) || job.stalledCounter > MAX_STALLED || /stalled more than/.test(err.message);
      if (!givenUp) return deps.logger.warn({ queue: w.name, jobId: job.id, attempts: job.attemptsMade, err: err.message }, 'job attempt failed; will retry');
      const { complaint, routeCode } = w.name === QUEUE_NAMES.delivery ? (job.data as DeliveryJob) : { complaint: job.data as Complaint, routeCode: (job.data as Complaint).region.code };
      deadLetter(deps, complaint, routeCode, `${w.name}: ${err.message}`, job.attemptsMade)
        .catch((e: Error) => deps.logger.error({ queue: w.name, jobId: job.id, err: e.message }, 'could not dead-letter a failed job; it stays in the failed set'));
    });
  }
  return {
    running: () => workers.every((w) => w.isRunning()),
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await deps.queues.close();
    },
  };
}
