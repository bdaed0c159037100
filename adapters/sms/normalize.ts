/** An SMS (from SMPP or an HTTP aggregator) → what to do with it. Pure: no I/O, the route index is passed in. */
import type { ComplaintDraft } from '../../src/complaint.js';
import { resolveMessage, type RouteIndex } from '../../src/keyword.js';
import { toE164 } from '../../src/phone.js';
import { statusRequest } from '../../src/replies.js';
import { cleanText } from './codec.js';

/** The Complaint schema's limit; a 255-part SMS can exceed it, and the complaint must still be kept. */
const MAX_TEXT = 10_000;

export interface SmsMessage {
  /** The sender as the SMSC or aggregator gave it (0812…, 62812…, +62812…). */
  from: string;
  /** The number the citizen wrote to (the shortcode). */
  to: string;
  /** Decoded text, before cleaning. */
  text: string;
  messageId: string;
  receivedAt: string;
  /** Channel details kept with the complaint: transport, encoding, flags, parts. */
  extras: Record<string, unknown>;
}

export type SmsOutcome =
  | { kind: 'complaint'; phone: string; draft: ComplaintDraft }
  | { kind: 'status'; phone: string; trackingId: string }
  | { kind: 'help'; phone: string; reason: 'empty' | 'keyword-only' }
  | { kind: 'invalid'; field: 'from' | 'to'; message: string };

export function normalizeSms(message: SmsMessage, index: RouteIndex): SmsOutcome {
  const phone = toE164(message.from);
  if (!phone) return { kind: 'invalid', field: 'from', message: 'from must be a phone number (0812…, 62812… or +62812…)' };
  if (!message.to) return { kind: 'invalid', field: 'to', message: 'to must be the number the citizen wrote to, e.g. 1708' };
  let rawText = cleanText(message.text);
  if (!rawText) return { kind: 'help', phone, reason: 'empty' };
  const trackingId = statusRequest(rawText);
  if (trackingId) return { kind: 'status', phone, trackingId };
  const extras = { ...message.extras };
  if (rawText.length > MAX_TEXT) {
    rawText = rawText.slice(0, MAX_TEXT).replace(/[\uD800-\uDBFF]$/, '');
    extras.truncated = true;
  }
  const resolution = resolveMessage(rawText, index);
  if (!resolution.complaintText) return { kind: 'help', phone, reason: 'keyword-only' };
  const { matched } = resolution;
  return {
    kind: 'complaint',
    phone,
    draft: {
      channel: 'sms',
      receivedAt: message.receivedAt,
      text: resolution.complaintText,
      rawText,
      region: { keyword: resolution.keyword, code: matched.code, name: matched.name, level: matched.level, matchType: resolution.matchType },
      reporter: { phone, anonymous: false, confidential: false },
      source: { messageId: message.messageId, address: message.to, extras },
      attachments: [],
    },
  };
}
