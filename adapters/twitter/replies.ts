/** The X reply worker: posts queued answers as replies, within the write rate limit. */
import { UnrecoverableError, Worker } from 'bullmq';
import type { RedisClient } from '../../src/redis.js';
import type { Logger } from '../../src/logger.js';
import { startReplyWorker, type ReplyJob } from '../../queues/replies.js';
import { classifyFailure, type XWriter } from './client.js';
import type { TwitterMetrics } from './metrics.js';

export function startXReplyWorker(deps: { connection: RedisClient; prefix: string; writer: XWriter; perSecond: number; logger: Logger; metrics: TwitterMetrics }): Worker<ReplyJob> {
  const worker: Worker<ReplyJob> = startReplyWorker(deps.connection, deps.prefix, 'twitter', async (reply) => {
    try {
      await deps.writer.reply(reply.to, reply.text);
    } catch (err) {
      const failure = classifyFailure(err);
      deps.metrics.apiFailures.inc({ endpoint: 'tweets', kind: failure.kind });
      if (failure.kind === 'rate-limited') {
        deps.metrics.recordBudget('tweets', failure.budget);
        // Pause the whole queue (every gateway's worker) until X's window resets; the job is not charged an attempt.
        await worker.rateLimit(Math.max(1000, (failure.resetAt ?? Date.now() + 60_000) - Date.now()));
        throw Worker.RateLimitError();
      }
      // A deleted tweet or a refused text will be refused again: do not retry.
      if (failure.kind === 'rejected') throw new UnrecoverableError(failure.message);
      throw err;
    }
  }, { perSecond: deps.perSecond, logger: deps.logger });
  return worker;
}
