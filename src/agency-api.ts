/**
 * `POST /api/v1/agency/updates`: the way back. An agency answers with the same secret and scheme Pintu signs its
 * deliveries with (`X-Pintu-Agency: <route code>`, `X-Pintu-Signature: sha256=<hex HMAC of the raw body>`), and
 * moves a complaint along SP4N-LAPOR!'s statuses (src/lifecycle.ts). Each update is kept on the complaint's
 * timeline with the citizen's notification, in one step (src/status.ts); a repeated update id changes nothing.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldErrors } from './app.js';
import { canMove, isFinal, mayAnswerFor, movesFrom, rerouteTarget, AGENCY_STATUSES } from './lifecycle.js';
import type { Pintu } from './pintu.js';
import { updateNotice } from './replies.js';
import { NATIONAL_CODE } from './route.js';
import { parseRawJson, rawJsonBodies, validSignature } from './signed-http.js';
import type { AgencyRef, StatusRecord, TimelineEntry } from './status.js';
import { TRACKING_ID_PATTERN } from './complaint.js';
import { replyKeys, type Reply } from '../queues/replies.js';
import { deliverJobId, deliverJobOptions, JOB, pipelineTag } from '../queues/topology.js';
import { clockAtUpdate, recordChange } from './clocks.js';
import type { RedisOp } from './redis-ops.js';

export const AGENCY_UPDATES_PATH = '/api/v1/agency/updates';

export const AgencyUpdate = z.object({
  complaintId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'complaintId must be the complaint id Pintu delivered (a ULID)').optional(),
  trackingId: z.string().regex(TRACKING_ID_PATTERN, 'trackingId must be 8 characters, e.g. 7K3QX9MP').optional(),
  updateId: z.string({ error: 'updateId is required: your own id for this update (a repeat of it changes nothing)' }).regex(/^[\x21-\x7e]{1,128}$/, 'updateId must be 1–128 printable ASCII characters'),
  status: z.enum(AGENCY_STATUSES, { error: `status must be one of ${AGENCY_STATUSES.join(', ')}` }),
  note: z.string().max(4000, 'note must be at most 4000 characters').optional(),
  region: z.string().min(1).max(80).optional().describe('For bukan_wewenang: the region code or keyword to send the complaint to; default the agency above'),
}).refine((u) => u.complaintId || u.trackingId, { path: ['trackingId'], message: 'complaintId or trackingId is required' });
export type AgencyUpdate = z.infer<typeof AgencyUpdate>;

const Answer = z.object({ trackingId: z.string(), status: z.string() });
const ErrorBody = z.object({ error: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional(), currentStatus: z.string().optional() });

/** Tries when the complaint moves to another agency between reading it and writing the update. */
const ATTEMPTS = 3;

const error = (reply: FastifyReply, code: number, error: string, message: string, extra: Record<string, unknown> = {}) =>
  reply.code(code).send({ error, message, ...extra });

export const agencyApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  rawJsonBodies(app);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { config } = pintu;
  const limit = config.AGENCY_UPDATES_PER_MINUTE > 0
    ? { max: config.AGENCY_UPDATES_PER_MINUTE, timeWindow: 60_000, keyGenerator: (req: FastifyRequest) => `agency:${String(req.headers['x-pintu-agency'] ?? req.ip)}` }
    : false;

  /** The secret an agency signs with: its route's webhook secret (the national desk's is WEBHOOK_SECRET unless its route has one). */
  const secretOf = (agency: string): string | null => {
    const route = pintu.routes.index().routes.get(agency);
    return route?.destination?.secret ?? (agency === NATIONAL_CODE ? config.WEBHOOK_SECRET ?? null : null);
  };

  r.post(AGENCY_UPDATES_PATH, {
    config: { rateLimit: limit },
    schema: {
      summary: "An agency's follow-up on a complaint (signed like deliveries; see docs/agency.md)",
      tags: ['agencies'],
      headers: z.object({ 'x-pintu-agency': z.string().optional(), 'x-pintu-signature': z.string().optional() }),
      response: { 200: Answer, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
    },
  }, async (req, reply) => {
    const agency = req.headers['x-pintu-agency'];
    if (!agency) return error(reply, 401, 'unauthorized', 'X-Pintu-Agency is missing: the code of the route whose webhook received the complaint (national for the national desk)');
    const secret = secretOf(agency);
    if (!secret) return error(reply, 401, 'unauthorized', `No webhook secret for agency ${agency}: only a route with its own webhook can sign updates`);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!validSignature(secret, raw, req.headers['x-pintu-signature'])) {
      return error(reply, 401, 'unauthorized', 'X-Pintu-Signature is missing or does not match the body (sha256=<hex HMAC-SHA256 of the raw body with your webhook secret>)');
    }
    const parsed = AgencyUpdate.safeParse(parseRawJson(raw));
    if (!parsed.success) return error(reply, 400, 'invalid_request', 'Some fields are invalid', { fields: fieldErrors(parsed.error.issues) });
    const update = parsed.data;
    try {
      const trackingId = update.trackingId ?? (await pintu.status.trackingIdOf(update.complaintId!));
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const record = trackingId ? await pintu.status.get(trackingId) : null;
        if (!record || !trackingId || (update.complaintId && record.complaintId !== update.complaintId)) {
          return error(reply, 404, 'not_found', `No complaint ${update.trackingId ?? update.complaintId}`);
        }
        const outcome = await apply(pintu, agency, update, record);
        if (outcome.kind === 'answer') return reply.code(outcome.code).send(outcome.body);
        // 'moved': re-read and check the agency's authority against where the complaint is now.
      }
      return error(reply, 409, 'conflict', 'The complaint is being moved between agencies; send the update again');
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message, agency }, 'could not keep an agency update');
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'The update could not be kept; nothing changed. Send it again (same updateId).' });
    }
  });
};

type Applied = { kind: 'answer'; code: 200 | 400 | 403 | 404 | 409; body: z.infer<typeof Answer> | z.infer<typeof ErrorBody> } | { kind: 'moved' };

async function apply(pintu: Pintu, agency: string, update: AgencyUpdate, record: StatusRecord): Promise<Applied> {
  const index = pintu.routes.index();
  const answer = (code: Extract<Applied, { kind: 'answer' }>['code'], body: Extract<Applied, { kind: 'answer' }>['body']): Applied => ({ kind: 'answer', code, body });
  const route = record.routeCode ?? NATIONAL_CODE;
  if (!mayAnswerFor(agency, route, index)) {
    return answer(403, { error: 'forbidden', message: `Complaint ${record.trackingId} is with ${record.routeName ?? route}: agency ${agency} is neither that agency nor one above it` });
  }
  const agencyRef: AgencyRef = { code: agency, name: index.routes.get(agency)?.name ?? agency };
  let reroute = null;
  if (update.status === 'bukan_wewenang') {
    const target = rerouteTarget(agency, update.region, route, index);
    if (!target.ok) return answer(target.field === 'status' ? 409 : 400, { error: target.field === 'status' ? 'conflict' : 'invalid_request', message: target.message, fields: { [target.field]: target.message } });
    reroute = { route: { code: target.route.code, name: target.route.name }, from: { from: agencyRef, status: 'bukan_wewenang' as const, at: new Date().toISOString(), ...(update.note && { note: update.note }) } };
  }
  const at = new Date().toISOString();
  const entry: TimelineEntry = { at, status: update.status, agency: agencyRef, updateId: update.updateId, ...(update.note && { note: update.note }), ...(reroute && { to: reroute.route }) };
  const notice = notification(pintu, record, update, agencyRef, reroute?.route);
  const clock = clockAtUpdate(record.clock, update.status, new Date(at), route, pintu.clocks);
  const outcome = await pintu.status.update({
    trackingId: record.trackingId, updateId: update.updateId, expectedRoute: route, expectedStatus: record.status, status: update.status, from: movesFrom(update.status), entry, reroute,
    notification: notice, replyKeys: replyKeys(pintu.config.PINTU_PREFIX),
    change: recordChange(pipelineTag(pintu.config.PINTU_PREFIX), clock, isFinal(update.status) ? retention(pintu, record) : []),
  });
  switch (outcome.outcome) {
    case 'moved': return { kind: 'moved' };
    case 'missing': return answer(404, { error: 'not_found', message: `No complaint ${record.trackingId}` });
    case 'conflict': {
      const why = isFinal(outcome.status) ? `it is ${outcome.status}, which is final` : canMove(outcome.status, update.status) ? 'try again' : `it is ${outcome.status}`;
      return answer(409, { error: 'conflict', message: `Complaint ${record.trackingId} cannot move to ${update.status}: ${why}`, currentStatus: outcome.status });
    }
    default:
      if (outcome.outcome === 'ok') {
        for (const { stage, hours } of clock.completed) pintu.metrics.responseHours.observe({ stage, level: index.routes.get(route)?.level ?? 'national' }, hours);
        if (reroute) {
          await pintu.queues.delivery.add(JOB.deliver, { trackingId: record.trackingId, hop: outcome.hop }, deliverJobOptions(pintu.config, deliverJobId(record.trackingId, outcome.hop), false));
          pintu.logger.info({ trackingId: record.trackingId, from: agency, to: reroute.route.code }, 'complaint re-routed (bukan wewenang)');
        }
        // The notification is due now: queue it at once rather than at the sweeper's next round.
        if (notice) pintu.replies.sweep([notice.id]).catch((err: Error) => pintu.logger.warn({ err: err.message }, 'notification left for the sweeper'));
      }
      return answer(200, { trackingId: record.trackingId, status: outcome.status });
  }
}

/** A complaint in a final status is kept STATUS_RETENTION_DAYS more, then its record and timeline go (the aggregates stay). */
function retention(pintu: Pintu, record: StatusRecord): RedisOp[] {
  const seconds = pintu.config.STATUS_RETENTION_DAYS * 86_400;
  const { keys } = pintu.status;
  return [keys.record(record.trackingId), keys.timeline(record.trackingId), keys.byId(record.complaintId)].map((key) => ({ command: 'EXPIRE', key, args: [seconds] }));
}

const notificationId = (trackingId: string, updateId: string) => `n-${trackingId}-${createHash('sha256').update(updateId).digest('hex').slice(0, 24)}`;

/** The citizen's notification for an update they are to hear about, on the channel they used; null when not. */
function notification(pintu: Pintu, record: StatusRecord, update: AgencyUpdate, agency: AgencyRef, to: AgencyRef | undefined): { id: string; reply: Reply } | null {
  if (!record.notify || !pintu.config.NOTIFY_STATUSES.includes(update.status)) return null;
  const statusPage = pintu.config.PUBLIC_URL ? `${pintu.config.PUBLIC_URL.replace(/\/$/, '')}/aduan/${record.trackingId}` : null;
  const notice = { trackingId: record.trackingId, status: update.status, agency, ...(update.note && { note: update.note }), ...(to && { to }) };
  const text = updateNotice(notice, { public: record.notify.public === true, confidential: record.confidential, statusPage });
  const params = { trackingId: record.trackingId, status: update.status, agency: agency.name, note: record.confidential && record.notify.public ? '' : (update.note ?? '') };
  return { id: notificationId(record.trackingId, update.updateId), reply: { ...record.notify, text, params } };
}
