/** The X reply sender: posts answers as replies in the citizen's thread, within the write rate limit. */
import { RateLimited, Undeliverable, type Reply, type ReplySender } from '../../queues/replies.js';
import { classifyFailure, type XWriter } from './client.js';
import type { TwitterMetrics } from './metrics.js';

export function xReplySender(deps: { writer: XWriter; perSecond: number; metrics: TwitterMetrics }): ReplySender {
  return {
    channel: 'twitter',
    perSecond: deps.perSecond,
    ready: () => true,
    async send(reply: Reply): Promise<void> {
      try {
        await deps.writer.reply(reply.to, reply.text);
      } catch (err) {
        const failure = classifyFailure(err);
        deps.metrics.apiFailures.inc({ endpoint: 'tweets', kind: failure.kind });
        if (failure.kind === 'rate-limited') {
          deps.metrics.recordBudget('tweets', failure.budget);
          // Every gateway waits until X's window resets; the reply is not charged an attempt.
          throw new RateLimited(Math.max(1000, (failure.resetAt ?? Date.now() + 60_000) - Date.now()));
        }
        // A deleted tweet or a refused text will be refused again: do not retry.
        if (failure.kind === 'rejected') throw new Undeliverable(failure.message);
        throw err;
      }
    },
  };
}
