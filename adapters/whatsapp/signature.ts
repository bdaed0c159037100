/**
 * The two checks Meta's webhooks ask of us: the `GET` subscription handshake, and `X-Hub-Signature-256`
 * on every `POST` — `sha256=<hex HMAC-SHA256 of the raw body with the app secret>`. Meta signs the bytes it
 * sends (non-ASCII escaped as \uXXXX), so the check runs over the raw body, never over re-serialized JSON.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sign, validSignature } from '../../src/signed-http.js';

export const WEBHOOK_PATH = '/api/v1/whatsapp/webhook';
export const SIGNATURE_HEADER = 'x-hub-signature-256';

/** Meta's scheme is Pintu's own (src/signed-http.ts): the same signing and constant-time check. */
export const signBody = (appSecret: string, rawBody: Buffer | string) => sign(rawBody, appSecret);
export { validSignature };

export type Handshake =
  | { ok: true; challenge: string }
  | { ok: false; status: 400 | 403; field: string; message: string };

/** Meta's challenges are numbers; anything else is refused so the endpoint never echoes text a caller chose. */
const CHALLENGE = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The verification request Meta sends when the webhook URL is saved:
 * `?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>` → answer the challenge as plain text.
 */
export function verifySubscription(query: Record<string, unknown>, verifyToken: string): Handshake {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe') return { ok: false, status: 400, field: 'hub.mode', message: 'hub.mode must be subscribe' };
  if (typeof challenge !== 'string' || !CHALLENGE.test(challenge)) {
    return { ok: false, status: 400, field: 'hub.challenge', message: 'hub.challenge must be 1–128 letters, digits, - or _' };
  }
  if (typeof token !== 'string' || !sameText(token, verifyToken)) return { ok: false, status: 403, field: 'hub.verify_token', message: 'hub.verify_token does not match' };
  return { ok: true, challenge };
}

/** Equal strings, compared in constant time over their digests (so a length difference leaks nothing either). */
function sameText(a: string, b: string): boolean {
  const digest = (s: string) => createHmac('sha256', 'pintu-verify-token').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
