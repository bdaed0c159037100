/**
 * One MO message, from SMPP or HTTP, into Pintu: a complaint (or held for review), a status request,
 * or the format help — and the reply queued. Resolves only once everything is in Redis; rejects
 * when Redis cannot keep it (the transport then refuses the message so it is sent again).
 */
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Pintu } from '../../src/pintu.js';
import { acceptedReply, FORMAT_HELP, statusAnswer } from '../../src/replies.js';
import { holdForReview, type HeldComplaint } from '../../queues/held.js';
import { ANSWER_DEDUP_SECONDS, type Submission } from '../../queues/intake.js';
import type { SmsConfig } from './config.js';
import { normalizeSms, type SmsMessage } from './normalize.js';

export type Transport = 'smpp' | 'http';

export interface InboundDeps {
  pintu: Pintu;
  config: SmsConfig;
  held: Queue<HeldComplaint>;
}

export type InboundResult =
  | { outcome: 'accepted' | 'duplicate'; trackingId: string }
  | { outcome: 'held' | 'status' | 'help' }
  | { outcome: 'invalid'; field: string; message: string };

export const heldReply = (cap: number) =>
  `Pesan Anda kami simpan, tetapi nomor Anda sudah mengirim ${cap} aduan dalam satu jam. Aduan ini diperiksa petugas dulu sebelum diteruskan.`;

/** Deterministic dedup key of a single-part message: a retransmit of it is the same complaint. */
export function messageDedupKey(transport: Transport, phone: string, to: string, text: string): string {
  return `${transport}:${phone}:${to}:${createHash('sha256').update(text).digest('hex')}`;
}

/** A message id for a transport that gives none: stable across retransmits. */
export const messageIdFor = (dedupKey: string) => createHash('sha256').update(dedupKey).digest('hex').slice(0, 20);

export async function receiveSms(deps: InboundDeps, message: SmsMessage, dedupKey: string, transport: Transport): Promise<InboundResult> {
  const { pintu, config } = deps;
  const outcome = normalizeSms(message, pintu.routes.index());
  if (outcome.kind === 'invalid') {
    pintu.metrics.rejected.inc({ channel: 'sms', reason: 'invalid' });
    return { outcome: 'invalid', field: outcome.field, message: outcome.message };
  }
  // Every answer goes back to the sender, from the number they wrote to; so does news of the follow-up.
  const address = { channel: 'sms', to: outcome.phone, extras: { transport, shortcode: message.to } };
  const answer = (text: string) => ({ ...address, text });
  const base: Pick<Submission, 'channel' | 'dedupKey'> = { channel: 'sms', dedupKey };
  const answerOnly = { ...base, draft: null, dedupSeconds: ANSWER_DEDUP_SECONDS };

  if (outcome.kind === 'status') {
    const text = await statusAnswer(pintu.status, outcome.trackingId);
    // A repeat gets an answer again once the status it reports has changed.
    await pintu.intake.submit({ ...answerOnly, dedupKey: `${dedupKey}|${text}`, reply: () => answer(text) });
    return { outcome: 'status' };
  }
  if (outcome.kind === 'help') {
    pintu.metrics.rejected.inc({ channel: 'sms', reason: outcome.reason });
    await pintu.intake.submit({ ...answerOnly, reply: () => answer(FORMAT_HELP) });
    return { outcome: 'help' };
  }

  const cap = config.SMS_FLOOD_PER_HOUR;
  const result = await pintu.intake.submit({
    ...base, draft: outcome.draft, notify: address,
    reply: (complaint) => answer(acceptedReply(complaint!, pintu.routes.index())),
    ...(cap > 0 && { flood: { sender: outcome.phone, perHour: cap } }),
  });
  if (result.outcome === 'held') {
    const { jobId } = await holdForReview(deps.held, outcome.draft, dedupKey, `more than ${cap} complaints from one phone number in an hour`);
    await pintu.replies.queue({ id: `held-${jobId}`, reply: answer(heldReply(cap)) });
    pintu.logger.warn({ heldJobId: jobId, cap }, 'sms over the flood cap: held for review');
    return { outcome: 'held' };
  }
  if (result.outcome === 'duplicate') return { outcome: 'duplicate', trackingId: result.trackingId ?? '' };
  const complaint = result.complaint!;
  pintu.logger.info({ trackingId: complaint.trackingId, region: complaint.region.code, transport }, 'sms complaint accepted');
  return { outcome: 'accepted', trackingId: complaint.trackingId };
}
