/** HTTP MO for SMS aggregators: `POST /api/v1/sms/inbound` (form or JSON), shared-secret auth, same parsing and replies as SMPP. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pintu } from '../../src/pintu.js';
import type { SmsConfig } from './config.js';
import { messageDedupKey, messageIdFor, receiveSms, type InboundDeps } from './inbound.js';
import { cleanText } from './codec.js';
import { toE164 } from '../../src/phone.js';

const InboundSms = z.object({
  from: z.string({ error: 'from is required (the sender phone number)' }).min(1).max(32),
  to: z.string({ error: 'to is required (the shortcode the citizen wrote to)' }).regex(/^\+?\d{3,15}$/, 'to must be digits, e.g. 1708'),
  text: z.string({ error: 'text is required' }).max(10_000),
  id: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'id must be 1–128 printable ASCII characters').optional(),
  timestamp: z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().positive().max(253_402_300_799, 'timestamp must be before the year 10000')]).optional()
    .describe('ISO 8601 with offset, or Unix seconds'),
});

const Answer = z.object({
  status: z.enum(['accepted', 'duplicate', 'held', 'status', 'help']),
  trackingId: z.string().optional(),
});
const ErrorBody = z.object({ error: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() });

function authorized(header: string | undefined, secret: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function registerSmsHttp(app: FastifyInstance, pintu: Pintu, config: SmsConfig & { SMS_HTTP_SECRET: string }, deps: InboundDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/api/v1/sms/inbound', {
    schema: {
      summary: 'MO SMS from an aggregator (Authorization: Bearer <SMS_HTTP_SECRET>)',
      body: InboundSms,
      response: { 200: Answer, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    if (!authorized(req.headers.authorization, config.SMS_HTTP_SECRET)) {
      return reply.code(401).send({ error: 'unauthorized', message: 'Authorization: Bearer <shared secret> is missing or wrong' });
    }
    const { from, to, text, id, timestamp } = req.body;
    const phone = toE164(from);
    if (!phone) return reply.code(400).send({ error: 'invalid_request', message: 'Some fields are invalid', fields: { from: 'from must be a phone number (0812…, 62812… or +62812…)' } });
    const receivedAt = timestamp === undefined ? new Date().toISOString() : typeof timestamp === 'number' ? new Date(timestamp * 1000).toISOString() : timestamp;
    const dedupKey = id ? `http:id:${id}` : messageDedupKey('http', phone, to, cleanText(text));
    try {
      const result = await receiveSms(deps, { from, to, text, messageId: id ?? messageIdFor(dedupKey), receivedAt, extras: { transport: 'http' } }, dedupKey, 'http');
      if (result.outcome === 'invalid') return reply.code(400).send({ error: 'invalid_request', message: result.message, fields: { [result.field]: result.message } });
      return { status: result.outcome, ...('trackingId' in result && { trackingId: result.trackingId }) };
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message }, 'could not keep an HTTP MO sms');
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The message could not be stored; nothing was kept. Send it again (same id).' });
    }
  });
}
