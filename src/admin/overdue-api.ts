/**
 * `/admin/api/overdue`: the complaints past a deadline now (the agency that has them neither answered nor followed
 * up in time), oldest deadline first, with where each was escalated. Viewers may read it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Level } from '../complaint.js';
import { lineage } from '../lifecycle.js';
import type { Pintu } from '../pintu.js';
import { ADMIN_ERRORS } from './http.js';

const Agency = z.object({ code: z.string(), name: z.string() });
const Overdue = z.object({
  total: z.number().int(),
  items: z.array(z.object({
    trackingId: z.string(), route: Agency, level: Level, province: z.string().nullable(),
    stage: z.enum(['firstResponse', 'followUp']), deadline: z.string(), overdueSince: z.string(), escalatedTo: Agency.nullable(),
  })),
});

export const overdueApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/overdue', {
    schema: {
      tags: ['admin: performance'], summary: 'Complaints past a deadline now, oldest first',
      querystring: z.object({ province: z.string().regex(/^\d{2}$/, 'province must be a province code, e.g. 33').optional(), level: Level.optional() }),
      response: { 200: Overdue, ...ADMIN_ERRORS },
    },
  }, async (req) => {
    const index = pintu.routes.index();
    const records = await Promise.all((await pintu.status.overdue()).map((trackingId) => pintu.status.get(trackingId)));
    const items = records.flatMap((record) => {
      const route = record?.routeCode ? index.routes.get(record.routeCode) : undefined;
      const { stage, due } = record?.clock ?? {};
      if (!record || !route || !stage || due === null || due === undefined) return [];
      const province = route.level === 'national' ? null : lineage(route.code, index).find((code) => index.routes.get(code)?.level === 'province') ?? null;
      if (req.query.level && route.level !== req.query.level) return [];
      if (req.query.province && province !== req.query.province) return [];
      const escalated = record.escalations.find((e) => e.stage === stage);
      const deadline = new Date(due).toISOString();
      return [{ trackingId: record.trackingId, route: { code: route.code, name: route.name }, level: route.level, province, stage, deadline, overdueSince: deadline, escalatedTo: escalated?.to ?? null }];
    });
    return { total: items.length, items };
  });
};
