/** One mention in, from the poller or the webhook: normalize, queue the complaint, queue the answer. */
import type { Queue } from 'bullmq';
import { ZodError } from 'zod';
import type { Pintu } from '../../src/pintu.js';
import { acceptedReply, FORMAT_HELP, statusReply } from '../../src/replies.js';
import { queueReply, type ReplyJob } from '../../queues/replies.js';
import { normalizeMention, type Account, type Mention, type MentionOutcome } from './normalize.js';

const TWEET_MAX_CHARS = 280;

/** X counts characters, not bytes; the texts are short, but a long region name must not make a reply fail. */
export function fitTweet(text: string): string {
  const chars = [...text];
  return chars.length <= TWEET_MAX_CHARS ? text : `${chars.slice(0, TWEET_MAX_CHARS - 1).join('')}…`;
}

export class MentionIntake {
  /** `replies` is null when the channel has no user-context credentials: nothing is answered. */
  constructor(private readonly pintu: Pintu, private readonly replies: Queue<ReplyJob> | null) {}

  /** Resolves once the complaint (and its answer) are in Redis; rejects when Redis cannot keep them. */
  async take(mention: Mention, account: Account): Promise<MentionOutcome['kind']> {
    const { pintu } = this;
    const outcome = normalizeMention(mention, { account, index: pintu.routes.index(), receivedAt: new Date().toISOString() });
    switch (outcome.kind) {
      case 'ignore':
        pintu.metrics.rejected.inc({ channel: 'twitter', reason: outcome.reason });
        break;
      case 'help':
        pintu.metrics.rejected.inc({ channel: 'twitter', reason: 'help' });
        await this.answer(mention, FORMAT_HELP);
        break;
      case 'status':
        await this.answer(mention, statusReply(await pintu.status.get(outcome.trackingId), outcome.trackingId));
        break;
      case 'complaint': {
        let accepted;
        try {
          accepted = await pintu.intake.accept(outcome.draft, mention.tweetId);
        } catch (err) {
          if (!(err instanceof ZodError)) throw err;
          // Not a Redis problem: this tweet can never become a complaint, so it must not block the timeline.
          pintu.metrics.rejected.inc({ channel: 'twitter', reason: 'invalid' });
          pintu.logger.error({ tweetId: mention.tweetId, err: err.message }, 'X mention could not become a complaint');
          return 'ignore';
        }
        // Also on a duplicate: the first attempt may have stopped before its answer was queued.
        await this.answer(mention, acceptedReply(accepted.complaint));
      }
    }
    return outcome.kind;
  }

  private async answer(mention: Mention, text: string): Promise<void> {
    if (!this.replies) return;
    await queueReply(this.replies, `tweet-${mention.tweetId}`, { channel: 'twitter', to: mention.tweetId, text: fitTweet(text) });
  }
}
