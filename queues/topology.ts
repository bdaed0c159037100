/**
 * How a complaint moves, in one place:
 *
 *   channel adapter ──add(jobId = channel dedup key)──▶ intake ──router worker──▶ delivery ──delivery worker──▶ agency webhook
 *                                                                                     │ permanent failure / attempts exhausted
 *                                                                                     ▼
 *                                                                                dead-letters (kept until an admin replays them)
 *   channel adapter ──over a sender's flood cap──▶ held (kept for review; releaseHeld() puts it into intake)
 *
 * Every stage is at-least-once; the complaint id travels as the Idempotency-Key so the agency sees one complaint.
 * A complaint without a dedup key (a web post without Idempotency-Key) is added as t-<trackingId> instead.
 */
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';

export const QUEUE_NAMES = { intake: 'intake', delivery: 'delivery', deadLetters: 'dead-letters', held: 'held' } as const;

/**
 * The BullMQ key prefix of one queue. A queue's Lua scripts use many of its keys at once, so the hash tag
 * keeps them in one Redis Cluster slot; different queues get different tags and spread over the masters.
 * Every Queue and Worker is made with it.
 */
export const bullPrefix = (prefix: string, queueName: string) => `{${prefix}:${queueName}}`;

export interface DeliveryJob { complaint: Complaint; routeCode: string }
export interface DeadLetter { complaint: Complaint; routeCode: string; reason: string; attempts: number; failedAt: string }

export function intakeJobOptions(config: Config): JobsOptions {
  return {
    attempts: 10,
    backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
    // Completed intake jobs are the dedup memory: a retransmit inside the window finds its job id taken.
    removeOnComplete: { age: config.DEDUP_WINDOW_SECONDS },
    removeOnFail: false,
  };
}

export function deliveryJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.DELIVERY_ATTEMPTS,
    backoff: { type: 'exponential', delay: config.DELIVERY_BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
    removeOnFail: false,
  };
}

/** A BullMQ job id from a channel's dedup key (ids may not contain ':' or be integers). */
export function jobIdFor(channel: string, dedupKey: string): string {
  return `${channel}-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 32)}`;
}

/**
 * The intake job id of a complaint that came without a dedup key: found again from its tracking number, so the
 * job can stand in for the status record until the router writes one (see StatusStore.get).
 */
export const unkeyedJobId = (trackingId: string) => `t-${trackingId}`;

export interface Queues {
  intake: Queue<Complaint>;
  delivery: Queue<DeliveryJob>;
  deadLetters: Queue<DeadLetter>;
  close(): Promise<void>;
}

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const opts = (name: string) => ({ connection, prefix: bullPrefix(prefix, name) });
  const intake = new Queue<Complaint>(QUEUE_NAMES.intake, opts(QUEUE_NAMES.intake));
  const delivery = new Queue<DeliveryJob>(QUEUE_NAMES.delivery, opts(QUEUE_NAMES.delivery));
  const deadLetters = new Queue<DeadLetter>(QUEUE_NAMES.deadLetters, opts(QUEUE_NAMES.deadLetters));
  return {
    intake, delivery, deadLetters,
    async close() { await Promise.all([intake.close(), delivery.close(), deadLetters.close()]); },
  };
}
