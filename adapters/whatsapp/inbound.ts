/**
 * One message of a WhatsApp delivery (an outcome of normalize.ts) into Pintu: a complaint, a status request or
 * the format help, each with its answer; with it, the citizen's last message time (the 24-hour window) and a
 * location shared on its own, for their next complaint. Resolves once everything is in Redis; rejects when Redis
 * cannot keep it (the webhook then answers 503 and Meta resends the delivery).
 */
import type { Pintu } from '../../src/pintu.js';
import { acceptedReply, FORMAT_HELP, statusAnswer } from '../../src/replies.js';
import { ANSWER_DEDUP_SECONDS, type Submission } from '../../queues/intake.js';
import type { Reply } from '../../queues/replies.js';
import type { HelpReason, Location, MessageOutcome } from './normalize.js';
import type { WhatsAppStore } from './store.js';

/** The format help, after what was wrong with this kind of message where that helps the citizen. */
const HELP: Partial<Record<HelpReason, string>> = {
  'location-only': `Lokasi Anda kami simpan selama 1 jam untuk aduan Anda berikutnya. ${FORMAT_HELP}`,
  'no-caption': `Tuliskan aduan Anda sebagai keterangan foto atau dokumen. ${FORMAT_HELP}`,
  'unsupported-type': `Jenis pesan ini belum dapat kami baca; kirim aduan Anda sebagai teks. ${FORMAT_HELP}`,
};

type Answerable = Exclude<MessageOutcome, { kind: 'ignore' }>;

export class WhatsAppIntake {
  constructor(private readonly pintu: Pintu, private readonly store: WhatsAppStore) {}

  /** `earlier`: locations kept from the senders' earlier messages (normalize attached them to their complaints). */
  async take(outcome: MessageOutcome, earlier: ReadonlyMap<string, Location>): Promise<MessageOutcome['kind']> {
    if (outcome.kind === 'ignore') {
      this.pintu.metrics.rejected.inc({ channel: 'whatsapp', reason: outcome.reason });
      return outcome.kind;
    }
    const sentAt = outcome.sentAt ? Date.parse(outcome.sentAt) : Date.now();
    await Promise.all([this.store.messageFrom(outcome.sender.replyTo, sentAt), this.keep(outcome, earlier)]);
    return outcome.kind;
  }

  private async keep(outcome: Answerable, earlier: ReadonlyMap<string, Location>): Promise<void> {
    const { pintu, store } = this;
    const { sender, dedupKey } = outcome;
    // Answers quote the citizen's message; news of the follow-up (notify) comes later, on its own.
    const address = { channel: 'whatsapp', to: sender.replyTo };
    const answer = (text: string): Reply => ({ ...address, text, extras: { inReplyTo: dedupKey } });
    const base: Pick<Submission, 'channel' | 'dedupKey'> = { channel: 'whatsapp', dedupKey };
    const answerOnly = { ...base, draft: null, dedupSeconds: ANSWER_DEDUP_SECONDS };
    switch (outcome.kind) {
      case 'help': {
        pintu.metrics.rejected.inc({ channel: 'whatsapp', reason: outcome.reason });
        const text = HELP[outcome.reason] ?? FORMAT_HELP;
        await Promise.all([
          outcome.location && store.keepLocation(sender.replyTo, outcome.location),
          pintu.intake.submit({ ...answerOnly, reply: () => answer(text) }),
        ]);
        return;
      }
      case 'status': {
        const text = await statusAnswer(pintu.status, outcome.trackingId);
        await pintu.intake.submit({ ...answerOnly, reply: () => answer(text) });
        return;
      }
      case 'complaint':
        await pintu.intake.submit({
          ...base, draft: outcome.draft, notify: address,
          reply: (complaint) => answer(acceptedReply(complaint!, pintu.routes.index())),
        });
        // The complaint carries the location now: the next one must not.
        if (earlier.has(sender.replyTo)) await store.locationUsed(sender.replyTo);
    }
  }
}
