/**
 * Sending on the WhatsApp Cloud API: `POST {base}/{phone-number-id}/messages` with a bearer token, over
 * node's fetch with a timeout. Free text while the citizen's 24-hour customer-service window is open, an
 * approved template after it; failures classified in the terms a reply worker acts on.
 */
import type { TemplateField } from './config.js';

/** WhatsApp's limit for a text message body. */
export const MAX_TEXT = 4096;
/** Template body parameters are cut to this; the whole template body may not exceed 1024 characters. */
export const MAX_TEMPLATE_PARAMETER = 400;
export const SERVICE_WINDOW_MS = 24 * 3600_000;
/** A reply waits in the queue before it is sent: treat the window as closing this much earlier. */
export const WINDOW_MARGIN_MS = 10 * 60_000;
const DEFAULT_TIMEOUT_MS = 15_000;
const ELLIPSIS = '…';

export interface WhatsAppClientOptions {
  baseUrl: string;
  phoneNumberId: string;
  accessToken: string;
  timeoutMs?: number;
}

export interface SendOptions {
  /** Comes back on this message's status webhooks as `biz_opaque_callback_data` (≤ 512 characters). */
  callbackData?: string;
  /** The citizen's message this answers (shown as a quote in the chat). */
  inReplyTo?: string;
}

export interface TemplateMessage { name: string; language: string; parameters: string[] }

export interface SentMessage { messageId: string }

export interface WhatsAppSender {
  /** `to`: the citizen's WhatsApp id (digits, + allowed) or BSUID. Text longer than WhatsApp takes is cut. */
  sendText(to: string, text: string, options?: SendOptions): Promise<SentMessage>;
  sendTemplate(to: string, template: TemplateMessage, options?: SendOptions): Promise<SentMessage>;
}

/** An answer other than 2xx from the Cloud API (or a 2xx without a message id). */
export class WhatsAppApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: number,
    /** From a Retry-After header, when the answer had one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'WhatsAppApiError';
  }
}

export type RejectReason = 'outside-window' | 'undeliverable' | 'template' | 'account' | 'invalid-request';

/** What went wrong with a send, in the terms the reply worker acts on. */
export type WhatsAppFailure =
  /** Wait `retryAfterMs`: the whole number (`scope: number` — pause the queue) or only this citizen (`recipient`). */
  | { kind: 'rate-limited'; scope: 'number' | 'recipient'; retryAfterMs: number; code?: number }
  | { kind: 'transient'; message: string }
  /** Will be refused again: do not retry. `outside-window` → send the template instead. */
  | { kind: 'rejected'; reason: RejectReason; status: number; code?: number; message: string };

/** Cloud API error codes (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes). */
const RATE_LIMITS: Readonly<Record<number, { scope: 'number' | 'recipient'; waitMs: number }>> = {
  4: { scope: 'number', waitMs: 60_000 }, // app-level call limit
  80007: { scope: 'number', waitMs: 60_000 }, // business-account call limit
  130429: { scope: 'number', waitMs: 1_000 }, // throughput (messages per second)
  131048: { scope: 'number', waitMs: 60_000 }, // spam rate limit on the number
  131056: { scope: 'recipient', waitMs: 6_000 }, // pair rate limit: about one message per 6 s to one citizen
};
const TRANSIENT = new Set([1, 2, 131000, 131016, 133004]);
const REJECTED: Readonly<Record<number, RejectReason>> = {
  131047: 'outside-window',
  131026: 'undeliverable', 131049: 'undeliverable', 131050: 'undeliverable', 131021: 'undeliverable', 131030: 'undeliverable', 130472: 'undeliverable',
  0: 'account', 3: 'account', 10: 'account', 190: 'account', 368: 'account', 131005: 'account', 131031: 'account', 131042: 'account', 133010: 'account',
};
const isTemplateError = (code: number) => code >= 132000 && code < 133000;
const isPermissionError = (code: number) => code >= 200 && code < 300;

/** A Cloud API error code (from a failed send or a `failed` status webhook) → what to do about it. */
export function classifyErrorCode(code: number | undefined, status: number, message: string, retryAfterMs?: number): WhatsAppFailure {
  const limit = code !== undefined ? RATE_LIMITS[code] : undefined;
  if (limit) return { kind: 'rate-limited', scope: limit.scope, retryAfterMs: retryAfterMs ?? limit.waitMs, code: code! };
  if (status === 429) return { kind: 'rate-limited', scope: 'number', retryAfterMs: retryAfterMs ?? 1_000, ...(code !== undefined && { code }) };
  if (code !== undefined && TRANSIENT.has(code)) return { kind: 'transient', message };
  const reason = code === undefined ? undefined : REJECTED[code] ?? (isTemplateError(code) ? 'template' : isPermissionError(code) ? 'account' : undefined);
  if (reason) return { kind: 'rejected', reason, status, code: code!, message };
  if (status >= 500 || status === 408) return { kind: 'transient', message };
  return { kind: 'rejected', reason: 'invalid-request', status, ...(code !== undefined && { code }), message };
}

export function classifyFailure(err: unknown): WhatsAppFailure {
  if (err instanceof WhatsAppApiError) return classifyErrorCode(err.code, err.status, err.message, err.retryAfterMs);
  // Network errors, timeouts (AbortSignal), refused connections: try again later.
  return { kind: 'transient', message: (err as Error).message };
}

/** `text` within WhatsApp's limit: cut at `max` UTF-16 units with an ellipsis, never inside a surrogate pair. */
export function fitText(text: string, max = MAX_TEXT): string {
  if (text.length <= max) return text;
  return text.slice(0, max - ELLIPSIS.length).replace(/[\uD800-\uDBFF]$/, '').trimEnd() + ELLIPSIS;
}

/**
 * Free text is allowed only within 24 hours of the citizen's last message; later, only an approved
 * template. `lastCitizenMessageAt` unknown → template.
 */
export function replyKind(lastCitizenMessageAt: Date | string | number | null | undefined, now = Date.now(), marginMs = WINDOW_MARGIN_MS): 'text' | 'template' {
  if (lastCitizenMessageAt === null || lastCitizenMessageAt === undefined) return 'template';
  const at = new Date(lastCitizenMessageAt).getTime();
  return Number.isFinite(at) && now - at < SERVICE_WINDOW_MS - marginMs ? 'text' : 'template';
}

/**
 * The template's body parameters, in the configured order. WhatsApp refuses empty parameters and ones
 * with newlines, tabs or more than four spaces in a row.
 */
export function templateParameters(fields: readonly TemplateField[], values: Partial<Record<TemplateField, string>>): string[] {
  return fields.map((field) => fitText((values[field] ?? '').replace(/\s+/g, ' ').trim() || '-', MAX_TEMPLATE_PARAMETER));
}

/** Digits (a WhatsApp id, optionally with +) go in `to`; anything else is a BSUID and goes in `recipient`. */
const addressOf = (to: string) => (/^\+?\d{6,15}$/.test(to) ? { to: to.replace(/^\+/, '') } : { recipient: to });

/** Seconds or an HTTP date. */
function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms)) : undefined;
}

interface GraphError { error?: { message?: unknown; code?: unknown; error_data?: { details?: unknown } } }

export function createWhatsAppSender(options: WhatsAppClientOptions): WhatsAppSender {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.phoneNumberId)}/messages`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function post(to: string, content: Record<string, unknown>, send: SendOptions = {}): Promise<SentMessage> {
    const body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      ...addressOf(to),
      ...content,
      ...(send.inReplyTo && { context: { message_id: send.inReplyTo } }),
      ...(send.callbackData && { biz_opaque_callback_data: send.callbackData.slice(0, 512) }),
    };
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let answer: unknown;
    try { answer = JSON.parse(text); } catch { answer = undefined; }
    if (!res.ok) {
      const error = (answer as GraphError | undefined)?.error;
      const code = typeof error?.code === 'number' ? error.code : undefined;
      const details = typeof error?.error_data?.details === 'string' ? `: ${error.error_data.details}` : '';
      const what = typeof error?.message === 'string' ? `${error.message}${details}` : text.slice(0, 200);
      throw new WhatsAppApiError(`Cloud API answered HTTP ${res.status}${code !== undefined ? ` (code ${code})` : ''}: ${what.slice(0, 300)}`, res.status, code, retryAfterOf(res.headers.get('retry-after')));
    }
    const id = (answer as { messages?: Array<{ id?: unknown }> } | undefined)?.messages?.[0]?.id;
    // Sent or not is unknown: not retried, so the citizen never gets the same message twice.
    if (typeof id !== 'string' || !id) throw new WhatsAppApiError(`Cloud API answered HTTP ${res.status} without a message id`, res.status);
    return { messageId: id };
  }

  return {
    sendText: (to, text, send) => post(to, { type: 'text', text: { preview_url: false, body: fitText(text) } }, send),
    sendTemplate: (to, template, send) => post(to, {
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.language },
        ...(template.parameters.length && { components: [{ type: 'body', parameters: template.parameters.map((text) => ({ type: 'text', text })) }] }),
      },
    }, send),
  };
}
