/**
 * One MO message, from SMPP or HTTP, into Pintu: a complaint (or held for review), a status request,
 * or the format help — and the reply queued. Resolves only once everything is in Redis; rejects
 * when Redis cannot keep it (the transport then refuses the message so it is sent again).
 */
import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Pintu } from '../../src/pintu.js';
import { acceptedReply, FORMAT_HELP, statusReply } from '../../src/replies.js';
import { holdForReview, type HeldComplaint } from '../../queues/held.js';
import { queueReply, type ReplyJob } from '../../queues/replies.js';
import { jobIdFor } from '../../queues/topology.js';
import type { SmsConfig } from './config.js';
import { normalizeSms, type SmsMessage } from './normalize.js';

export type Transport = 'smpp' | 'http';

export interface InboundDeps {
  pintu: Pintu;
  config: SmsConfig;
  replies: Queue<ReplyJob>;
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

/** Complaints this sender made in the current hour, counted only for new complaints. */
function floodKey(prefix: string, phone: string): string {
  const hour = Math.floor(Date.now() / 3_600_000);
  return `${prefix}:sms:flood:${createHash('sha256').update(phone).digest('hex').slice(0, 24)}:${hour}`;
}

export async function receiveSms(deps: InboundDeps, message: SmsMessage, dedupKey: string, transport: Transport): Promise<InboundResult> {
  const { pintu, config } = deps;
  const outcome = normalizeSms(message, pintu.routes.index());
  if (outcome.kind === 'invalid') {
    pintu.metrics.rejected.inc({ channel: 'sms', reason: 'invalid' });
    return { outcome: 'invalid', field: outcome.field, message: outcome.message };
  }
  // One reply per message: a retransmit finds its reply job already there.
  const reply = (text: string) => queueReply(deps.replies, jobIdFor('sms', dedupKey), { channel: 'sms', to: outcome.phone, text, extras: { transport, shortcode: message.to } });

  if (outcome.kind === 'status') {
    await reply(statusReply(await pintu.status.get(outcome.trackingId), outcome.trackingId));
    return { outcome: 'status' };
  }
  if (outcome.kind === 'help') {
    pintu.metrics.rejected.inc({ channel: 'sms', reason: outcome.reason });
    await reply(FORMAT_HELP);
    return { outcome: 'help' };
  }

  const cap = config.SMS_FLOOD_PER_HOUR;
  const counter = floodKey(pintu.config.PINTU_PREFIX, outcome.phone);
  if (cap > 0 && Number(await pintu.redis.get(counter)) >= cap && !(await pintu.queues.intake.getJob(jobIdFor('sms', dedupKey)))) {
    await holdForReview(deps.held, outcome.draft, dedupKey, `more than ${cap} complaints from one phone number in an hour`);
    await reply(heldReply(cap));
    pintu.logger.warn({ dedupJobId: jobIdFor('sms', dedupKey), cap }, 'sms over the flood cap: held for review');
    return { outcome: 'held' };
  }
  const { complaint, duplicate } = await pintu.intake.accept(outcome.draft, dedupKey);
  // Independent writes, one round trip: the sender's count and the reply.
  await Promise.all([
    !duplicate && cap > 0 && pintu.redis.multi().incr(counter).expire(counter, 3600).exec(),
    reply(acceptedReply(complaint)),
  ]);
  if (!duplicate) pintu.logger.info({ trackingId: complaint.trackingId, region: complaint.region.code, transport }, 'sms complaint accepted');
  return { outcome: duplicate ? 'duplicate' : 'accepted', trackingId: complaint.trackingId };
}
