/**
 * Sending replies to citizens: the `replies-sms` worker (queues/replies.ts, rate-limited per SMSC)
 * submits each over SMPP as GSM 03.38 when the text allows it else UCS-2, concatenated with an
 * 8-bit UDH when longer than one SMS — or posts it to the aggregator's MT callback for HTTP MO.
 */
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import type { ReplyJob } from '../../queues/replies.js';
import { encodeSms, udhFor } from './codec.js';
import type { SmsConfig } from './config.js';
import type { SmppLink } from './link.js';
import { ESM, STATUS } from './smpp.js';

/** submit_sm bodies for a reply; the reference is derived from the job so a retry reuses it. */
export function replyPdus(reply: ReplyJob, shortcode: string, jobId: string): Array<Record<string, unknown>> {
  const { dataCoding, parts } = encodeSms(reply.text);
  const ref = createHash('sha256').update(jobId).digest()[0]!;
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

/** Replies go out on the process's bound transmitters in turn. */
export function smsSender(config: SmsConfig, transmitters: SmppLink[]) {
  let turn = 0;
  return async (reply: ReplyJob, job: Job<ReplyJob>): Promise<void> => {
    if (reply.extras?.transport === 'http') return postMt(config, reply, job.id!);
    if (!transmitters.length) throw new Error('SMPP is not configured: this reply waits in replies-sms');
    const bound = transmitters.filter((t) => t.bound);
    // None bound: the first one's request fails with "not bound" and the job is retried.
    const transmitter = bound.length ? bound[turn++ % bound.length]! : transmitters[0]!;
    const pdus = replyPdus(reply, config.SMPP_SHORTCODE, job.id!);
    // Parts already accepted by the SMSC are not sent again when a later part's retry runs.
    const done = typeof job.progress === 'number' ? job.progress : 0;
    for (let i = done; i < pdus.length; i++) {
      const resp = await transmitter.request('submit_sm', pdus[i]!);
      if (resp.command_status !== STATUS.OK) throw new Error(`submit_sm refused with status 0x${resp.command_status.toString(16)}`);
      // Progress matters only when a later part can still fail (a one-part reply is sent or not).
      if (i + 1 < pdus.length) await job.updateProgress(i + 1);
    }
  };
}

async function postMt(config: SmsConfig, reply: ReplyJob, messageId: string): Promise<void> {
  if (!config.SMS_HTTP_MT_URL) throw new Error('SMS_HTTP_MT_URL is not set: this reply waits in replies-sms');
  const response = await fetch(config.SMS_HTTP_MT_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.SMS_HTTP_SECRET ?? ''}` },
    body: JSON.stringify({ id: messageId, from: reply.extras?.shortcode ?? config.SMPP_SHORTCODE, to: reply.to, text: reply.text }),
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel().catch(() => {});
  if (!response.ok) throw new Error(`MT callback answered HTTP ${response.status}`);
}
