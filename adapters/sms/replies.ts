/**
 * Sending replies to citizens (the SMS channel's ReplySender, see queues/replies.ts): each is submitted over
 * SMPP as GSM 03.38 when the text allows it else UCS-2, concatenated with an 8-bit UDH when longer than one
 * SMS — or posted to the aggregator's MT callback for HTTP MO.
 */
import { createHash } from 'node:crypto';
import { RateLimited, type Reply, type ReplyAttempt, type ReplySender } from '../../queues/replies.js';
import { encodeSms, fitSms, udhFor } from './codec.js';
import type { SmsConfig } from './config.js';
import type { SmppLink } from './link.js';
import { ESM, STATUS, type SubmitSm } from './smpp.js';

/** A reply is at most this many SMS (a long note is cut): one where possible, three at most. */
export const MAX_REPLY_PARTS = 3;

/** submit_sm bodies for a reply; the reference is derived from the reply's id so a retry reuses it. */
export function replyPdus(reply: Reply, shortcode: string, replyId: string): SubmitSm[] {
  const { dataCoding, parts } = encodeSms(fitSms(reply.text, MAX_REPLY_PARTS));
  const ref = createHash('sha256').update(replyId).digest()[0]!;
  return parts.map((body, i) => ({
    source_addr_ton: 0,
    source_addr_npi: 0,
    source_addr: reply.extras?.shortcode || shortcode,
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: reply.to.replace(/^\+/, ''),
    esm_class: parts.length > 1 ? ESM.UDHI : 0,
    data_coding: dataCoding,
    short_message: parts.length > 1 ? Buffer.concat([udhFor({ scheme: 'udh8', ref, total: parts.length, seq: i + 1 }), body]) : body,
  }));
}

/** Replies go out on the process's bound transmitters in turn, or to the aggregator for HTTP MO. */
export function smsSender(config: SmsConfig, transmitters: SmppLink[]): ReplySender {
  let turn = 0;
  return {
    channel: 'sms',
    perSecond: config.SMS_REPLY_PER_SECOND,
    ready: () => transmitters.some((t) => t.bound) || Boolean(config.SMS_HTTP_MT_URL),
    async send(reply: Reply, attempt: ReplyAttempt): Promise<void> {
      if (reply.extras?.transport === 'http') return postMt(config, reply, attempt.id);
      if (!transmitters.length) throw new Error('SMPP is not configured: this reply waits in replies-sms');
      const bound = transmitters.filter((t) => t.bound);
      // None bound: the first one's request fails with "not bound" and the reply is retried.
      const transmitter = bound.length ? bound[turn++ % bound.length]! : transmitters[0]!;
      const pdus = replyPdus(reply, config.SMPP_SHORTCODE, attempt.id);
      // Parts already accepted by the SMSC are not sent again when a later part's retry runs.
      for (let i = attempt.partsSent; i < pdus.length; i++) {
        const resp = await transmitter.submit(pdus[i]!);
        if (resp.command_status === STATUS.THROTTLED) throw new RateLimited(1000, 'the SMSC throttled submit_sm (0x58)');
        if (resp.command_status !== STATUS.OK) throw new Error(`submit_sm refused with status 0x${resp.command_status.toString(16)}`);
        // Progress matters only when a later part can still fail (a one-part reply is sent or not).
        if (i + 1 < pdus.length) await attempt.savePartsSent(i + 1);
      }
    },
  };
}

async function postMt(config: SmsConfig, reply: Reply, messageId: string): Promise<void> {
  if (!config.SMS_HTTP_MT_URL) throw new Error('SMS_HTTP_MT_URL is not set: this reply waits in replies-sms');
  const response = await fetch(config.SMS_HTTP_MT_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.SMS_HTTP_SECRET ?? ''}` },
    body: JSON.stringify({ id: messageId, from: reply.extras?.shortcode ?? config.SMPP_SHORTCODE, to: reply.to, text: fitSms(reply.text, MAX_REPLY_PARTS) }),
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel().catch(() => {});
  if (!response.ok) throw new Error(`MT callback answered HTTP ${response.status}`);
}
