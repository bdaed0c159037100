/**
 * Account Activity webhook: `GET` answers X's CRC challenge, `POST` takes signed events.
 * Signatures are over the exact bytes X sent, so this plugin reads JSON bodies raw (only here:
 * the parser is scoped to this encapsulated plugin) and parses them after verifying.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pintu } from '../../src/pintu.js';
import type { TwitterMetrics } from './metrics.js';
import { mentionFromActivity, type Account, type ActivityTweet, type Mention } from './normalize.js';

export const WEBHOOK_PATH = '/api/v1/x/webhook';
const SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

/** X's CRC tokens are short URL-safe strings; anything else is refused so the endpoint signs nothing chosen by a caller. */
export const CrcToken = z.string().regex(/^[A-Za-z0-9_\-+/=]{16,128}$/, 'crc_token must be 16–128 base64 characters');

const ActivityBody = z.object({
  for_user_id: z.string().optional(),
  tweet_create_events: z.array(z.looseObject({ id_str: z.string().regex(/^\d+$/), user: z.looseObject({ id_str: z.string() }) })).optional(),
});

const ErrorBody = z.object({ error: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() });

export const sign = (secret: string, data: string | Buffer) => `sha256=${createHmac('sha256', secret).update(data).digest('base64')}`;

/** Constant-time check of `sha256=<base64>` against the HMAC of the raw body. */
export function validSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'base64');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebhookDeps {
  pintu: Pintu;
  consumerSecret: string;
  account: Account;
  metrics: TwitterMetrics;
  take(mention: Mention, account: Account): Promise<unknown>;
}

export async function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const { pintu, consumerSecret, metrics } = deps;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(WEBHOOK_PATH, {
    schema: {
      summary: 'X Account Activity CRC check',
      querystring: z.object({ crc_token: CrcToken }),
      response: { 200: z.object({ response_token: z.string() }), 400: ErrorBody },
    },
  }, async (req) => ({ response_token: sign(consumerSecret, req.query.crc_token) }));

  r.post(WEBHOOK_PATH, {
    schema: { summary: 'X Account Activity events (signed by X)', response: { 200: z.object({ accepted: z.number().int() }), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody } },
  }, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const header = req.headers[SIGNATURE_HEADER];
    if (!validSignature(consumerSecret, raw, typeof header === 'string' ? header : undefined)) {
      metrics.webhookRejected.inc({ reason: 'signature' });
      return reply.code(401).send({ error: 'unauthorized', message: `${SIGNATURE_HEADER} does not match the body` });
    }
    let parsed;
    try {
      parsed = ActivityBody.safeParse(JSON.parse(raw.toString('utf8')));
    } catch {
      return reply.code(400).send({ error: 'invalid_request', message: 'Body is not JSON' });
    }
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: 'Not an Account Activity event', fields: { tweet_create_events: parsed.error.issues[0]?.message ?? 'invalid' } });
    const events = (parsed.data.tweet_create_events ?? []) as unknown as ActivityTweet[];
    const account = { ...deps.account, ...(parsed.data.for_user_id && { userId: deps.account.userId ?? parsed.data.for_user_id }) };
    try {
      // Answer 200 only once every mention is queued: otherwise X delivers the event again.
      const kinds = await Promise.all(events.map((event) => deps.take(mentionFromActivity(event), account)));
      return { accepted: kinds.filter((k) => k === 'complaint').length };
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message }, 'could not queue an X webhook event');
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The event could not be stored; nothing was kept.' });
    }
  });
}
