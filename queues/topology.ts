/**
 * How a complaint moves, in one place:
 *
 *   channel adapter ──submit()──▶ intake batch ══ one MULTI per batch ══▶ complaint records + dedup keys + pending replies
 *   (normalize, pure)            (queues/intake.ts:                       │  + one `complaints` job naming the batch's
 *                                 group commit)                           │    tracking numbers (queue `delivery`)
 *                                        │ ack the channel (deliver_sm_resp, HTTP 202/200, X checkpoint) after EXEC
 *                                        ▼
 *   reply to the citizen ── sent at once on this process's channel session when it may (the reply queue's rate limiter);
 *                           otherwise moved from `pending` to the durable `replies-<channel>` queue (queues/replies.ts),
 *                           the replies moved together as one `replies` job; one that fails there becomes a `reply` job
 *
 *   delivery worker ── `complaints` job: claim the records (received → routed), POST each to its route's webhook
 *                      concurrently (signed, Idempotency-Key = complaint id), record deliveries in batches;
 *                      a failed one becomes its own `deliver` job (backoff; same id on every retry) …
 *                      … a permanent refusal or the last failed attempt ─▶ dead-letters (kept until an admin replays them)
 *   channel adapter ──over a sender's flood cap──▶ held (kept for review; releaseHeld() submits it again)
 *
 *   agency ──signed update──▶ src/agency-api.ts: status + timeline + the citizen's notification (a pending reply) + the
 *                             deadline clocks and performance counts, one script; bukan_wewenang ─▶ next delivery generation,
 *                             a `deliver` job for it
 *   clock scanner (queues/clocks.ts, one worker at a time) ── a running stage past its deadline ──▶ marked overdue once
 *                             per stage, an `escalate` job: delivered to the agency above like a complaint
 *
 * Guarantees: nothing is acknowledged before the MULTI that holds it has executed; every stage is at-least-once
 * (a killed worker's job stalls and runs again; records say what was already delivered); the agency sees one
 * complaint per citizen message because intake dedups on the channel's key inside the same script that writes the
 * record, and every delivery carries the complaint id as Idempotency-Key. A complaint that is never delivered
 * stays in the `undelivered` set, which the reconciler turns into `deliver` jobs (a lost batch job cannot lose it).
 *
 * Keys: everything a batch writes — BullMQ's `delivery` queue, records, dedup keys, flood counters, pending
 * replies, the reply queues' rate limiters — shares one hash tag (`pipelineTag`), because one MULTI writes them
 * together (a Redis Cluster runs a transaction only within one slot). Dead letters and held complaints have tags
 * of their own.
 */
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Stage } from '../src/clocks.js';
import type { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';

export const QUEUE_NAMES = { delivery: 'delivery', deadLetters: 'dead-letters', held: 'held' } as const;

/** Job names on the `delivery` queue. */
export const JOB = { batch: 'complaints', deliver: 'deliver', escalate: 'escalate' } as const;

/** The hash tag of everything one intake batch writes (see the header). */
export const pipelineTag = (prefix: string) => `{${prefix}:complaints}`;

/**
 * The BullMQ key prefix of one queue. A queue's Lua scripts use many of its keys at once, so the hash tag
 * keeps them in one Redis Cluster slot; the delivery queue shares the pipeline's tag, the others have their own.
 * Every Queue and Worker is made with it.
 */
export const bullPrefix = (prefix: string, queueName: string) =>
  sharesPipelineTag(queueName) ? pipelineTag(prefix) : `{${prefix}:${queueName}}`;

/** The delivery queue (intake adds its jobs) and the reply queues (intake shares their rate limiters) live with the records. */
const sharesPipelineTag = (queueName: string) => queueName === QUEUE_NAMES.delivery || queueName.startsWith('replies-');

/** A batch of complaints written by one intake MULTI: their tracking numbers (a number whose record was not written — a duplicate — is skipped). */
export interface BatchJob { trackingIds: string[] }
/** One complaint's own delivery: a retry after a failed attempt, a replay, a sweep by the reconciler. */
export interface DeliverJob {
  trackingId: string;
  /** The delivery generation it is for (a bukan_wewenang re-route starts the next); absent: the record's current one. */
  hop?: number;
  /** Attempts made before this job (its batch's): counted in a dead letter. */
  priorAttempts?: number;
}
/** An overdue complaint told to the agency above the one that has it (once per stage and delivery generation). */
export interface EscalateJob { trackingId: string; stage: Stage; hop: number; due: number }
export type DeliveryJob = BatchJob | DeliverJob | EscalateJob;
export interface DeadLetter {
  complaint: Complaint; routeCode: string; hop: number; reason: string; attempts: number; failedAt: string;
  /** Set when what failed was an escalation (the complaint itself was delivered): a replay escalates again. */
  escalation?: { stage: Stage; due: number };
}

export function batchJobOptions(): JobsOptions {
  return {
    // A batch fails only when Redis does (each complaint's own failure becomes a `deliver` job): retry it.
    attempts: 20,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: false,
  };
}

/**
 * Options of a complaint's own `deliver` job. After a failed attempt in its batch the job waits one backoff and
 * has one attempt fewer, and its backoff starts at twice the first delay: attempt k still waits 2^(k-1) × the
 * first delay, as if the batch attempt had been the job's own.
 */
export function deliverJobOptions(config: Config, jobId: string, afterFailedAttempt: boolean): JobsOptions {
  const first = config.DELIVERY_BACKOFF_MS;
  return {
    jobId,
    attempts: afterFailedAttempt ? Math.max(1, config.DELIVERY_ATTEMPTS - 1) : config.DELIVERY_ATTEMPTS,
    backoff: { type: 'exponential', delay: afterFailedAttempt ? 2 * first : first, jitter: 0.5 },
    ...(afterFailedAttempt && { delay: Math.round(first * (0.5 + Math.random() * 0.5)) }),
    removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
    removeOnFail: false,
  };
}

export const escalateJobId = (job: EscalateJob) => `e-${job.trackingId}-h${job.hop}-${job.stage}`;

/** The one `deliver` job of a complaint's delivery generation: a retry, the reconciler and a re-run batch all name it. */
export const deliverJobId = (trackingId: string, hop = 0) => (hop ? `d-${trackingId}-h${hop}` : `d-${trackingId}`);

export interface Queues {
  delivery: Queue<DeliveryJob>;
  deadLetters: Queue<DeadLetter>;
  close(): Promise<void>;
}

/** A queue's connection errors as log lines (without a listener BullMQ prints them raw on stderr). */
export function logQueueErrors(queue: Queue, logger: Logger | undefined): void {
  if (logger) queue.on('error', (err) => logger.warn({ queue: queue.name, err: err.message }, 'queue error'));
}

export function createQueues(connection: ConnectionOptions, prefix: string, logger?: Logger): Queues {
  const opts = (name: string) => ({ connection, prefix: bullPrefix(prefix, name) });
  const delivery = new Queue<DeliveryJob>(QUEUE_NAMES.delivery, opts(QUEUE_NAMES.delivery));
  const deadLetters = new Queue<DeadLetter>(QUEUE_NAMES.deadLetters, opts(QUEUE_NAMES.deadLetters));
  for (const queue of [delivery, deadLetters]) logQueueErrors(queue as Queue, logger);
  return {
    delivery, deadLetters,
    async close() { await Promise.all([delivery.close(), deadLetters.close()]); },
  };
}
