/** One mention in, from the poller or the webhook: normalize, then keep the complaint with its answer. */
import type { Pintu } from '../../src/pintu.js';
import { acceptedReply, FORMAT_HELP, statusAnswer } from '../../src/replies.js';
import { ANSWER_DEDUP_SECONDS } from '../../queues/intake.js';
import type { Reply } from '../../queues/replies.js';
import { normalizeMention, type Account, type Mention, type MentionOutcome } from './normalize.js';

const TWEET_MAX_CHARS = 280;

/** X counts characters, not bytes; the texts are short, but a long region name must not make a reply fail. */
export function fitTweet(text: string): string {
  const chars = [...text];
  return chars.length <= TWEET_MAX_CHARS ? text : `${chars.slice(0, TWEET_MAX_CHARS - 1).join('')}…`;
}

export class MentionIntake {
  /** `answers` is false when the channel has no user-context credentials: nothing is answered. */
  constructor(private readonly pintu: Pintu, private readonly answers: boolean) {}

  /** Resolves once the complaint (and its answer) are in Redis; rejects when Redis cannot keep them. */
  async take(mention: Mention, account: Account): Promise<MentionOutcome['kind']> {
    const { pintu } = this;
    const outcome = normalizeMention(mention, { account, index: pintu.routes.index(), receivedAt: new Date().toISOString() });
    // Answers, and later news of the follow-up, go in the tweet's thread: public, so a confidential complaint's news is not.
    const address = { channel: 'twitter', to: mention.tweetId, public: true };
    const answer = (text: string) => (this.answers ? { reply: (): Reply => ({ ...address, text: fitTweet(text) }) } : {});
    const base = { channel: 'twitter' as const, dedupKey: mention.tweetId };
    const answerOnly = { ...base, draft: null, dedupSeconds: ANSWER_DEDUP_SECONDS };
    switch (outcome.kind) {
      case 'ignore':
        pintu.metrics.rejected.inc({ channel: 'twitter', reason: outcome.reason });
        break;
      case 'help':
        pintu.metrics.rejected.inc({ channel: 'twitter', reason: 'help' });
        await pintu.intake.submit({ ...answerOnly, ...answer(FORMAT_HELP) });
        break;
      case 'status': {
        const text = await statusAnswer(pintu.status, outcome.trackingId);
        await pintu.intake.submit({ ...answerOnly, ...answer(text) });
        break;
      }
      case 'complaint':
        await pintu.intake.submit({
          ...base, draft: outcome.draft,
          ...(this.answers && { notify: address, reply: (complaint) => ({ ...address, text: fitTweet(acceptedReply(complaint!, pintu.routes.index())) }) }),
        });
    }
    return outcome.kind;
  }
}
