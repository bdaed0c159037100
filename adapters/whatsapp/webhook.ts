/**
 * `/api/v1/whatsapp/webhook`: `GET` is Meta's subscription handshake, `POST` takes signed deliveries. A delivery
 * is answered 200 only once every message in it is kept in Redis (its complaint or answer, the citizen's last
 * message time, a location shared on its own), 503 otherwise so that Meta sends it again; the wamid makes a resent
 * message the same complaint. Delivery reports (`statuses[]`) on our own messages are counted, never complaints;
 * a notification WhatsApp failed outside the 24-hour window is sent again as the template.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pintu } from '../../src/pintu.js';
import { parseRawJson, rawJsonBodies } from '../../src/signed-http.js';
import { classifyErrorCode } from './client.js';
import type { WhatsAppIntake } from './inbound.js';
import type { WhatsAppMetrics } from './metrics.js';
import { normalizeDelivery, type Location, type NormalizeContext, type StatusEvent } from './normalize.js';
import { SIGNATURE_HEADER, validSignature, verifySubscription, WEBHOOK_PATH } from './signature.js';
import type { WhatsAppStore } from './store.js';

/** Meta's webhook payloads can be up to 3 MB; more is not a delivery from Meta. */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024;

const ErrorBody = z.object({ error: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() });
const Accepted = z.object({ messages: z.number().int().describe('Messages taken (complaints, status requests, help)'), statuses: z.number().int() });
const Handshake = z.object({
  'hub.mode': z.string().optional().describe('subscribe'),
  'hub.verify_token': z.string().optional().describe('WHATSAPP_VERIFY_TOKEN'),
  'hub.challenge': z.string().optional().describe('Echoed back as text/plain when the token matches'),
});

export interface WebhookDeps {
  pintu: Pintu;
  appSecret: string;
  verifyToken: string;
  phoneNumberId: string;
  intake: WhatsAppIntake;
  store: WhatsAppStore;
  metrics: WhatsAppMetrics;
}

export async function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const { pintu, appSecret, metrics, store } = deps;
  rawJsonBodies(app);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(WEBHOOK_PATH, {
    schema: {
      summary: 'WhatsApp Cloud API webhook verification (Meta calls it when the callback URL is saved)',
      tags: ['whatsapp'],
      querystring: Handshake,
      response: { 200: z.string().describe('hub.challenge, as text/plain'), 400: ErrorBody, 403: ErrorBody },
    },
  }, async (req, reply) => {
    const handshake = verifySubscription(req.query, deps.verifyToken);
    if (!handshake.ok) {
      return reply.code(handshake.status).send({ error: handshake.status === 403 ? 'forbidden' : 'invalid_request', message: handshake.message, fields: { [handshake.field]: handshake.message } });
    }
    return reply.type('text/plain; charset=utf-8').send(handshake.challenge);
  });

  /** A delivery report on one of our messages: counted; a failed one logged, and a notification refused for the window sent again as the template. */
  async function statusOf(event: StatusEvent): Promise<void> {
    metrics.statuses.inc({ status: event.status });
    if (event.status !== 'failed') return;
    const [first] = event.errors;
    const failure = first ? classifyErrorCode(first.code, 400, first.title ?? '') : null;
    const reason = failure?.kind === 'rejected' ? failure.reason : failure?.kind ?? 'unknown';
    metrics.failedReplies.inc({ reason });
    // The reply id we sent as callback data; never the recipient (a phone number) or the wamid (it encodes one).
    pintu.logger.warn({ replyId: event.callbackData, reason, codes: event.errors.map((e) => e.code) }, 'WhatsApp reports a message of ours failed');
    if (reason !== 'outside-window' || !event.callbackData) return;
    const sent = await store.sentNotification(event.callbackData);
    if (!sent) return;
    await store.windowClosed(sent.reply.to);
    // A job id of its own: a repeat of this report queues nothing more.
    await pintu.replies.queue({ id: `${sent.id}-template`, reply: sent.reply });
    pintu.logger.info({ replyId: sent.id }, 'WhatsApp notification refused outside the 24-hour window: queued again as the template');
  }

  r.post(WEBHOOK_PATH, {
    bodyLimit: WEBHOOK_BODY_LIMIT,
    schema: {
      summary: 'WhatsApp Cloud API events: citizens\' messages and delivery reports (signed by Meta, X-Hub-Signature-256)',
      tags: ['whatsapp'],
      response: { 200: Accepted, 400: ErrorBody, 401: ErrorBody, 415: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const refuse = (status: 400 | 401 | 415, error: string, message: string, fields?: Record<string, string>) =>
      reply.code(status).send({ error, message, ...(fields && { fields }) });
    if (req.body !== undefined && !Buffer.isBuffer(req.body)) return refuse(415, 'unsupported_media_type', 'Content-Type must be application/json');
    const raw = req.body ?? Buffer.alloc(0);
    const header = req.headers[SIGNATURE_HEADER];
    if (!validSignature(appSecret, raw, typeof header === 'string' ? header : undefined)) {
      metrics.webhookRejected.inc({ reason: 'signature' });
      return refuse(401, 'unauthorized', `${SIGNATURE_HEADER} is missing or does not match the body (sha256=<hex HMAC-SHA256 of the raw body with the app secret>)`);
    }
    const payload = parseRawJson(raw);
    if (payload === null) {
      metrics.webhookRejected.inc({ reason: 'not-json' });
      return refuse(400, 'invalid_request', 'The body is not JSON in UTF-8', { body: 'must be JSON in UTF-8' });
    }
    const ctx: NormalizeContext = { index: pintu.routes.index(), receivedAt: new Date().toISOString(), phoneNumberId: deps.phoneNumberId };
    const read = normalizeDelivery(payload, ctx);
    if (!read.ok) {
      metrics.webhookRejected.inc({ reason: 'not-whatsapp' });
      return refuse(400, 'invalid_request', `Not a WhatsApp Business Account delivery: ${read.message}`, { [read.field]: read.message });
    }
    if (read.delivery.problems.length) {
      metrics.webhookRejected.inc({ reason: 'unreadable' }, read.delivery.problems.length);
      // Resending would not make them readable: the rest of the delivery is taken.
      pintu.logger.warn({ fields: read.delivery.problems.map((p) => `${p.field}: ${p.message}`) }, 'WhatsApp webhook: skipped messages that cannot be read');
    }
    if (read.delivery.metaErrors.length) pintu.logger.warn({ codes: read.delivery.metaErrors.map((e) => e.code) }, 'WhatsApp webhook: Meta reports errors');
    try {
      // A complaint without a location takes one its sender shared on its own earlier (kept up to an hour).
      const senders = [...new Set(read.delivery.messages.flatMap((m) => (m.kind === 'complaint' && !m.draft.location ? [m.sender.replyTo] : [])))];
      const earlier: Map<string, Location> = senders.length ? await store.locations(senders) : new Map();
      const again = earlier.size ? normalizeDelivery(payload, { ...ctx, earlierLocation: (replyTo) => earlier.get(replyTo) }) : read;
      const { messages, statuses } = again.ok ? again.delivery : read.delivery;
      // Answer 200 only once every message is kept: otherwise Meta sends the delivery again.
      await Promise.all([...messages.map((m) => deps.intake.take(m, earlier)), ...statuses.map(statusOf)]);
      return { messages: messages.filter((m) => m.kind !== 'ignore').length, statuses: statuses.length };
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message }, 'could not keep a WhatsApp delivery');
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The delivery could not be stored; send it again.' });
    }
  });
}
