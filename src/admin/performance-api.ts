/**
 * `/admin/api/performance`: the regional performance table (monev) — received, delivered, how fast and how often
 * within the deadline each region answered, resolved, re-routed, overdue now, and the ranks — for a period, as JSON
 * or CSV. Built from the aggregates kept as events happen (src/performance.ts); viewers may read it.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Level } from '../complaint.js';
import type { Pintu } from '../pintu.js';
import { localDate } from '../calendar.js';
import { performanceCsv, performanceTable, PerformanceError } from '../performance.js';
import { pipelineTag } from '../../queues/topology.js';
import { ADMIN_ERRORS } from './http.js';

const tags = ['admin: performance'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const PerformanceQuery = z.object({
  from: z.string().regex(DATE, 'from must be a date, YYYY-MM-DD').optional().describe('First day (each region’s own local day); default: 30 days before `to`'),
  to: z.string().regex(DATE, 'to must be a date, YYYY-MM-DD').optional().describe('Last day, inclusive; default: today in WIT, the latest local day in Indonesia'),
  province: z.string().regex(/^\d{2}$/, 'province must be a province code, e.g. 33').optional(),
  level: Level.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/**
 * The query's period, with its defaults: the last 30 days to today. Events count on each region's local day, so
 * "today" is the date in WIT, Indonesia's easternmost zone: from 00:00 WIT (15:00 UTC) a Papua region's complaints
 * are already on the next date, and a UTC default would leave them out of the table until 00:00 UTC.
 */
export function period(query: { from?: string | undefined; to?: string | undefined }, now = new Date()): { from: string; to: string } {
  const to = query.to ?? localDate(now, 'WIT');
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

const Stage = z.object({ count: z.number().int(), withinDeadline: z.number().int(), medianHours: z.number().nullable(), p90Hours: z.number().nullable() });
const PerformanceTableBody = z.object({
  from: z.string(), to: z.string(),
  regions: z.array(z.object({
    code: z.string(), name: z.string(), level: Level, province: z.string().nullable(),
    received: z.number().int(), receivedByChannel: z.record(z.string(), z.number().int()), delivered: z.number().int(),
    firstResponse: Stage, followUp: Stage, resolved: z.number().int(), reRouted: z.number().int(), overdueNow: z.number().int(),
    rankInProvince: z.number().int().nullable(), rankNational: z.number().int().nullable(),
  })),
});

export const performanceApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/performance', {
    schema: { tags, summary: 'The regional performance table for a period (JSON, or CSV with format=csv)', querystring: PerformanceQuery, response: { 200: z.union([PerformanceTableBody, z.string().describe('CSV')]), ...ADMIN_ERRORS } },
  }, async (req, reply) => {
    const { province, level, format } = req.query;
    try {
      const table = await performanceTable(pintu.redis, {
        prefix: pipelineTag(pintu.config.PINTU_PREFIX), routes: pintu.routes.index().routes.values(), ...period(req.query),
        ...(province && { province }), ...(level && { level }), minComplaints: pintu.config.PERFORMANCE_MIN_COMPLAINTS,
      });
      if (format === 'csv') {
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="kinerja-${table.from}-${table.to}.csv"`).send(performanceCsv(table));
      }
      return table;
    } catch (err) {
      return answerPerformanceError(err, reply);
    }
  });
};

/** A bad period is the caller's (400 naming the field: the message starts with it); anything else is ours. */
export function answerPerformanceError(err: unknown, reply: FastifyReply) {
  if (!(err instanceof PerformanceError)) throw err;
  const field = /^\w+/.exec(err.message)?.[0] ?? 'from';
  return reply.code(400).send({ error: 'invalid_request', message: err.message, fields: { [field]: err.message } });
}
