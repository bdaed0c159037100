/**
 * `/admin/api/performance/daily`: the performance table's period day by day — received per channel, delivered, and
 * the median first-response time of each day's responses — added up over the regions the filter selects, for the
 * Kinerja page's chart. Same query and defaults as `/admin/api/performance`; viewers may read it.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pintu } from '../pintu.js';
import { performanceDaily } from '../performance.js';
import { pipelineTag } from '../../queues/topology.js';
import { ADMIN_ERRORS } from './http.js';
import { answerPerformanceError, period, PerformanceQuery } from './performance-api.js';

const DailyBody = z.object({
  from: z.string(), to: z.string(),
  days: z.array(z.object({
    date: z.string(), received: z.number().int(), receivedByChannel: z.record(z.string(), z.number().int()), delivered: z.number().int(),
    firstResponse: z.object({ count: z.number().int(), medianHours: z.number().nullable() }),
  })),
});

export const performanceDailyApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/performance/daily', {
    schema: {
      tags: ['admin: performance'], summary: 'The period day by day over the selected regions: received per channel, delivered, median first-response hours (at most 366 days)',
      querystring: PerformanceQuery.omit({ format: true }), response: { 200: DailyBody, ...ADMIN_ERRORS },
    },
  }, async (req, reply) => {
    const { province, level } = req.query;
    try {
      return await performanceDaily(pintu.redis, {
        prefix: pipelineTag(pintu.config.PINTU_PREFIX), routes: pintu.routes.index().routes.values(), ...period(req.query),
        ...(province && { province }), ...(level && { level }),
      });
    } catch (err) {
      return answerPerformanceError(err, reply);
    }
  });
};
