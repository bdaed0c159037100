/**
 * Outbound replies to citizens, one queue per channel (`replies-sms`, `replies-twitter`) so each
 * channel's send rate is limited on its own. The channel's session runs the worker: only it can send.
 */
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '../src/logger.js';
import { bullPrefix } from './topology.js';

export interface ReplyJob {
  channel: string;
  /** The citizen's address on the channel: E.164 number, tweet id to reply to, … */
  to: string;
  text: string;
  /** Channel-specific routing details (SMSC id, conversation id, …). */
  extras?: Record<string, string>;
}

export const replyQueueName = (channel: string) => `replies-${channel}`;

export function createReplyQueue(connection: ConnectionOptions, prefix: string, channel: string): Queue<ReplyJob> {
  return new Queue<ReplyJob>(replyQueueName(channel), {
    connection,
    prefix: bullPrefix(prefix, replyQueueName(channel)),
    defaultJobOptions: { attempts: 8, backoff: { type: 'exponential', delay: 2000, jitter: 0.5 }, removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } },
  });
}

/** Queue a reply once per key (a retransmitted message does not get two answers). */
export async function queueReply(queue: Queue<ReplyJob>, key: string, reply: ReplyJob): Promise<void> {
  await queue.add('reply', reply, { jobId: `r-${key.replace(/:/g, '_')}` });
}

export function startReplyWorker(
  connection: ConnectionOptions,
  prefix: string,
  channel: string,
  send: (reply: ReplyJob, job: Job<ReplyJob>) => Promise<void>,
  options: { perSecond: number; logger: Logger },
): Worker<ReplyJob> {
  const worker = new Worker<ReplyJob>(replyQueueName(channel), (job) => send(job.data, job), {
    connection,
    prefix: bullPrefix(prefix, replyQueueName(channel)),
    concurrency: Math.max(1, Math.ceil(options.perSecond)),
    // Below one per second (a strict SMSC), one message per 1/rate seconds.
    limiter: options.perSecond >= 1 ? { max: Math.floor(options.perSecond), duration: 1000 } : { max: 1, duration: Math.round(1000 / options.perSecond) },
  });
  worker.on('failed', (job, err) => options.logger.warn({ channel, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'reply not sent; will retry'));
  worker.on('error', (err) => options.logger.warn({ channel, err: err.message }, 'reply worker error'));
  return worker;
}
