/**
 * Account Activity webhook: `GET` answers X's CRC challenge, `POST` takes signed events.
 * Signatures are over the exact bytes X sent, so this plugin reads JSON bodies raw (only here:
 * the parser is scoped to this encapsulated plugin) and parses them after verifying.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldErrors } from '../../src/app.js';
import type { Pintu } from '../../src/pintu.js';
import type { TwitterMetrics } from './metrics.js';
import { mentionFromActivity, type Account, type ActivityTweet, type Mention } from './normalize.js';

export const WEBHOOK_PATH = '/api/v1/x/webhook';
const SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

/** X's CRC tokens are short URL-safe strings; anything else is refused so the endpoint signs nothing chosen by a caller. */
export const CrcToken = z.string().regex(/^[A-Za-z0-9_\-+/=]{16,128}$/, 'crc_token must be 16–128 base64 characters');

/** The v1.1 tweet fields the channel reads, with their types; whatever else X sends is let through. */
const Entities = z.looseObject({ user_mentions: z.array(z.looseObject({ screen_name: z.string() })).optional() });
const ExtendedEntities = z.looseObject({
  media: z.array(z.looseObject({
    type: z.string(), url: z.string().optional(), media_url_https: z.string().optional(),
    video_info: z.looseObject({ variants: z.array(z.looseObject({ content_type: z.string(), url: z.string(), bitrate: z.number().optional() })) }).optional(),
  })).optional(),
});
const ActivityTweetShape = z.looseObject({
  id_str: z.string().regex(/^\d+$/),
  text: z.string().optional(),
  full_text: z.string().optional(),
  created_at: z.string().optional(),
  user: z.looseObject({ id_str: z.string(), screen_name: z.string().optional(), name: z.string().optional() }),
  entities: Entities.optional(),
  extended_tweet: z.looseObject({ full_text: z.string(), entities: Entities.optional(), extended_entities: ExtendedEntities.optional() }).optional(),
  extended_entities: ExtendedEntities.optional(),
  retweeted_status: z.unknown().optional(),
  get quoted_status() { return ActivityTweetShape.optional(); },
  coordinates: z.looseObject({ type: z.string(), coordinates: z.tuple([z.number(), z.number()]) }).nullish(),
  place: z.looseObject({ full_name: z.string().optional() }).nullish(),
});

const ActivityBody = z.object({
  for_user_id: z.string().optional(),
  tweet_create_events: z.array(z.unknown()).optional(),
});

/** Invalid bytes are refused, not turned into U+FFFD in a citizen's complaint. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

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
      parsed = ActivityBody.safeParse(JSON.parse(UTF8.decode(raw)));
    } catch {
      return reply.code(400).send({ error: 'invalid_request', message: 'Body is not JSON in UTF-8' });
    }
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: 'Not an Account Activity event', fields: { tweet_create_events: parsed.error.issues[0]?.message ?? 'invalid' } });
    // Each event on its own: one malformed tweet must not make X redeliver (and finally drop) the good ones beside it.
    const checked = (parsed.data.tweet_create_events ?? []).map((event) => ActivityTweetShape.safeParse(event));
    const events = checked.flatMap((c) => (c.success ? [c.data as ActivityTweet] : []));
    const malformed = fieldErrors(checked.flatMap((c, i) => (c.success ? [] : c.error.issues.map((issue) => ({ ...issue, path: ['tweet_create_events', i, ...issue.path] })))));
    if (Object.keys(malformed).length) {
      metrics.webhookRejected.inc({ reason: 'malformed-event' });
      if (!events.length) return reply.code(400).send({ error: 'invalid_request', message: 'Not an Account Activity tweet event', fields: malformed });
      pintu.logger.warn({ fields: malformed }, 'X webhook: skipped malformed tweet events, took the others');
    }
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
