/**
 * `/admin/api/complaints/:trackingId`: one complaint as admins follow it — the complaint, where it is, its whole
 * timeline (deliveries, the agency's updates, re-routes, a dead letter), the agency's own ticket number. The
 * reporter's identity is shown to admins only (viewers get the complaint without it), and every view that shows it
 * is audited: connected agencies have leaked reporters' identities before.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canonicalTrackingId, Complaint, Reporter } from '../complaint.js';
import type { Pintu } from '../pintu.js';
import { STATUSES } from '../lifecycle.js';
import { ADMIN_ERRORS, ErrorBody, notFound } from './http.js';

const tags = ['admin: complaints'];
const Agency = z.object({ code: z.string(), name: z.string() });

const ComplaintView = z.object({
  trackingId: z.string(),
  complaintId: z.string(),
  status: z.enum(STATUSES),
  statusAt: z.string().nullable(),
  route: Agency.nullable(),
  reference: z.string().nullable().describe("The agency's own ticket number (from its answer to the delivery)"),
  hop: z.number().int().describe('Deliveries to a new agency after bukan_wewenang'),
  receivedAt: z.string(),
  routedAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  failedAt: z.string().nullable(),
  failReason: z.string().nullable(),
  deadline: z.object({
    stage: z.enum(['firstResponse', 'followUp']).describe('The clock running at the agency that has it'),
    due: z.string(), paused: z.boolean().describe('ditunda: the clock stands still'), overdue: z.boolean(),
  }).nullable().describe('null when no clock runs (not yet delivered, followed up, or final)'),
  escalations: z.array(z.object({ stage: z.enum(['firstResponse', 'followUp']), to: Agency, at: z.string() })),
  notifies: z.object({ channel: z.string(), public: z.boolean() }).nullable().describe('Where the citizen hears about the follow-up (the address is never shown)'),
  identityShown: z.boolean().describe('Whether `complaint.reporter` carries the identity (admins) or only the anonymous/confidential flags (viewers)'),
  complaint: Complaint.omit({ reporter: true }).extend({ reporter: Reporter.partial().extend({ anonymous: z.boolean(), confidential: z.boolean() }) }),
  timeline: z.array(z.object({
    at: z.string(), status: z.enum(STATUSES), agency: Agency.optional(), note: z.string().optional(), to: Agency.optional(), updateId: z.string().optional(), reason: z.string().optional(),
  })),
});

export const complaintsApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/complaints/:trackingId', {
    schema: {
      tags, summary: "One complaint with its whole timeline; the reporter's identity for admins only (each such view is audited)",
      params: z.object({ trackingId: z.string().max(20) }), response: { 200: ComplaintView, 404: ErrorBody, ...ADMIN_ERRORS },
    },
  }, async (req, reply) => {
    const trackingId = canonicalTrackingId(req.params.trackingId);
    const [record, complaint, timeline] = trackingId
      ? await Promise.all([pintu.status.get(trackingId), pintu.status.complaint(trackingId), pintu.status.timeline(trackingId)])
      : [null, null, []];
    if (!record || !complaint || !trackingId) return reply.code(404).send(notFound(`No complaint with tracking number ${req.params.trackingId}`));
    const admin = req.admin!;
    const identityShown = admin.role === 'admin';
    const { anonymous, confidential } = complaint.reporter;
    if (identityShown) {
      const fields = Object.keys(complaint.reporter).filter((k) => k !== 'anonymous' && k !== 'confidential');
      if (fields.length) await pintu.routes.audit({ actor: admin.name, action: 'complaint.identity-viewed', target: trackingId, details: { fields, anonymous } });
    }
    return {
      trackingId, complaintId: record.complaintId, status: record.status, statusAt: record.statusAt,
      route: record.routeCode ? { code: record.routeCode, name: record.routeName ?? record.routeCode } : null,
      reference: record.reference, hop: record.hop, receivedAt: record.receivedAt, routedAt: record.routedAt, deliveredAt: record.deliveredAt,
      failedAt: record.failedAt, failReason: record.failReason,
      deadline: record.clock.stage && record.clock.due !== null
        ? { stage: record.clock.stage, due: new Date(record.clock.due).toISOString(), paused: record.clock.pausedAt !== null, overdue: record.overdue }
        : null,
      escalations: record.escalations,
      notifies: record.notify ? { channel: record.notify.channel, public: record.notify.public === true } : null,
      identityShown,
      complaint: { ...complaint, reporter: identityShown ? complaint.reporter : { anonymous, confidential } },
      timeline,
    };
  });
};
