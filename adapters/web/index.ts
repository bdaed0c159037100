/** Web channel: the citizen's form at `/`, the JSON API, and the public status lookup. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldErrors } from '../../src/app.js';
import type { ChannelAdapter } from '../../src/channel.js';
import { canonicalTrackingId, Channel, Level, newComplaintId } from '../../src/complaint.js';
import type { Pintu } from '../../src/pintu.js';
import { STATUSES, type Status } from '../../src/status.js';
import { normalizeWebSubmission, WebSubmission } from './normalize.js';
import { escapeHtml, renderForm, renderStatus, renderUnavailable } from './page.js';

const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1–255 printable ASCII characters');

const Accepted = z.object({ trackingId: z.string(), status: z.enum(STATUSES), statusUrl: z.string(), route: z.object({ code: z.string(), name: z.string() }) });
const ErrorBody = z.object({ error: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() });
const Agency = z.object({ code: z.string(), name: z.string() });
const StatusBody = z.object({
  trackingId: z.string(), channel: Channel, status: z.enum(STATUSES), statusAt: z.string().nullable(),
  route: Agency.nullable(),
  receivedAt: z.string(), routedAt: z.string().nullable(), deliveredAt: z.string().nullable(),
  timeline: z.array(z.object({ at: z.string(), status: z.enum(STATUSES), agency: Agency.optional(), note: z.string().optional(), to: Agency.optional() }))
    .describe('Everything that happened to the complaint, oldest first: received, delivered to an agency, the agency’s updates and re-routes'),
});

const statusUrl = (trackingId: string) => `/api/v1/complaints/${trackingId}`;

/** What a web submission became: a complaint (new, or the one a repeated key made), or field errors. */
type Submitted =
  | { ok: true; trackingId: string; status: Status; route: { code: string; name: string } }
  | { ok: false; fields: Record<string, string> };

/** Normalize and keep; the field errors when the submission cannot become a complaint. */
async function submit(pintu: Pintu, submission: WebSubmission, dedupKey: string | null, messageId: string): Promise<Submitted> {
  const result = normalizeWebSubmission(submission, { index: pintu.routes.index(), receivedAt: new Date().toISOString(), messageId, address: '/api/v1/complaints' });
  if (!result.ok) {
    pintu.metrics.rejected.inc({ channel: 'web', reason: 'invalid' });
    return result;
  }
  // A citizen who gave a phone number hears about the follow-up by SMS; everyone can read it on the status page.
  const { phone } = result.draft.reporter;
  const outcome = await pintu.intake.submit({ channel: 'web', dedupKey, draft: result.draft, ...(phone && { notify: { channel: 'sms', to: phone } }) });
  if (outcome.outcome === 'accepted') {
    const { trackingId, region } = outcome.complaint!;
    return { ok: true, trackingId, status: 'received', route: { code: region.code, name: region.name } };
  }
  if (outcome.outcome !== 'duplicate' || !outcome.trackingId) throw new Error(`unexpected intake outcome ${outcome.outcome}`);
  // A repeat may have moved on since; it answers as its record says now.
  return { ok: true, trackingId: outcome.trackingId, status: outcome.status ?? 'received', route: outcome.route ?? { code: result.draft.region.code, name: result.draft.region.name } };
}

function unavailable(reply: FastifyReply, err: unknown, pintu: Pintu) {
  pintu.logger.error({ err: (err as Error).message }, 'could not queue a web complaint');
  return reply.code(503).header('retry-after', '5');
}

const webRoutes = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const rateLimit = pintu.config.RATE_LIMIT_PER_MINUTE > 0 ? {} : false;

  r.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(renderForm(pintu.routes.index(), { values: {}, errors: {}, submissionId: newComplaintId() })));

  r.post('/', { schema: { hide: true }, config: { rateLimit } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, string>;
    const parsed = WebSubmission.safeParse(body);
    const submissionId = /^[0-9A-Z]{26}$/.test(body.submissionId ?? '') ? body.submissionId! : newComplaintId();
    const again = (errors: Record<string, string>) =>
      reply.code(400).type('text/html; charset=utf-8').send(renderForm(pintu.routes.index(), { values: body, errors, submissionId }));
    if (!parsed.success) return again(fieldErrors(parsed.error.issues));
    try {
      const outcome = await submit(pintu, parsed.data, `form:${submissionId}`, submissionId);
      if (!outcome.ok) return again(outcome.fields);
      // Post/Redirect/Get: a refresh shows the tracking number again instead of resubmitting.
      return reply.code(303).header('location', `/aduan/${outcome.trackingId}`).send();
    } catch (err) {
      return unavailable(reply, err, pintu).type('text/html; charset=utf-8').send(renderUnavailable());
    }
  });

  r.get('/aduan/:trackingId', { schema: { hide: true, params: z.object({ trackingId: z.string().max(20) }) } }, async (req, reply) => {
    const trackingId = canonicalTrackingId(req.params.trackingId);
    const record = trackingId ? await pintu.status.get(trackingId) : null;
    if (!record) return reply.code(404).type('text/html; charset=utf-8').send(`<!doctype html><html lang="id"><meta charset="utf-8"><title>Tidak ditemukan</title><p>Nomor lacak ${escapeHtml(req.params.trackingId)} tidak ditemukan. <a href="/">Kembali</a></p></html>`);
    return reply.type('text/html; charset=utf-8').send(renderStatus(record, await pintu.status.timeline(record.trackingId), statusUrl(record.trackingId)));
  });

  r.post('/api/v1/complaints', {
    config: { rateLimit },
    schema: {
      summary: 'Submit a complaint (JSON or urlencoded)',
      body: WebSubmission,
      headers: z.object({ 'idempotency-key': IdempotencyKey.optional() }),
      response: { 202: Accepted, 400: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const key = req.headers['idempotency-key'];
    const messageId = key ?? newComplaintId();
    try {
      const outcome = await submit(pintu, req.body, key ? `idem:${key}` : null, messageId);
      if (!outcome.ok) return reply.code(400).send({ error: 'invalid_request', message: 'Some fields are invalid', fields: outcome.fields });
      const { trackingId, status, route } = outcome;
      return reply.code(202).header('location', statusUrl(trackingId)).send({ trackingId, status, statusUrl: statusUrl(trackingId), route });
    } catch (err) {
      return unavailable(reply, err, pintu).send({ error: 'unavailable', message: 'The complaint could not be stored; nothing was kept. Retry with the same Idempotency-Key.' });
    }
  });

  r.get('/api/v1/complaints/:trackingId', {
    schema: {
      summary: 'Status and timeline of a complaint by tracking number (never the reporter identity)',
      params: z.object({ trackingId: z.string().max(20) }),
      response: { 200: StatusBody, 404: ErrorBody },
    },
  }, async (req, reply) => {
    const trackingId = canonicalTrackingId(req.params.trackingId);
    const record = trackingId ? await pintu.status.get(trackingId) : null;
    if (!record) return reply.code(404).send({ error: 'not_found', message: `No complaint with tracking number ${req.params.trackingId}` });
    const timeline = await pintu.status.timeline(record.trackingId);
    return {
      trackingId: record.trackingId,
      channel: record.channel,
      status: record.status,
      statusAt: record.statusAt,
      route: record.routeCode ? { code: record.routeCode, name: record.routeName ?? record.routeCode } : null,
      receivedAt: record.receivedAt,
      routedAt: record.routedAt,
      deliveredAt: record.deliveredAt,
      // What citizens may see: no update ids, no delivery failure reasons.
      timeline: [{ at: record.receivedAt, status: 'received' as const }, ...timeline.map(({ at, status, agency, note, to }) => ({ at, status, ...(agency && { agency }), ...(note && { note }), ...(to && { to }) }))],
    };
  });

  r.get('/api/v1/regions', {
    schema: {
      summary: 'Active regions a complaint can be addressed to',
      response: { 200: z.array(z.object({ code: z.string(), name: z.string(), level: Level, keyword: z.string(), parent: z.string().nullable() })) },
    },
  }, async () => [...pintu.routes.index().routes.values()].filter((route) => route.active)
    .map(({ code, name, level, keyword, parent }) => ({ code, name, level, keyword, parent })));
};

export const webChannel: ChannelAdapter = { name: 'web', http: webRoutes };
