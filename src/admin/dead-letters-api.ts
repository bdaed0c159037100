/**
 * `/admin/api/dead-letters`: complaints whose delivery failed for good, and their replay. A replay keeps
 * the complaint id (the agency's Idempotency-Key) and tracking number; every replay is audited.
 */
import type { Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Channel, Complaint } from '../complaint.js';
import type { Pintu } from '../pintu.js';
import { replayDeadLetter } from '../../queues/dead-letters.js';
import type { DeadLetter } from '../../queues/topology.js';
import { ADMIN_ERRORS, ErrorBody, notFound, page, PageQuery } from './http.js';

const tags = ['admin: dead letters'];
/** Two admins pressing replay at once must not queue the letter twice. */
const REPLAY_LOCK_MS = 60_000;

const Letter = z.object({
  id: z.string(), complaintId: z.string(), trackingId: z.string(), channel: Channel,
  routeCode: z.string(), routeName: z.string().nullable(),
  reason: z.string(), attempts: z.number().int(), failedAt: z.string(), receivedAt: z.string(), text: z.string(),
});
/** The reporter's identity stays out of the admin API: replaying needs none of it. */
const LetterDetail = Letter.extend({ complaint: Complaint.omit({ reporter: true }).extend({ reporter: z.object({ anonymous: z.boolean(), confidential: z.boolean() }) }) });
const Replayed = z.object({ replayed: z.array(z.object({ id: z.string(), trackingId: z.string() })) });
const RouteFilter = z.string().regex(/^(national|\d{2}(\.\d{2})?)$/).optional().describe('A route code; a province code also matches its regencies');

const matchesRoute = (letter: DeadLetter, route: string | undefined) => !route || letter.routeCode === route || letter.routeCode.startsWith(`${route}.`);

export const deadLettersApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { deadLetters } = pintu.queues;

  const summary = (job: Job<DeadLetter>): z.infer<typeof Letter> => {
    const { complaint, routeCode, reason, attempts, failedAt } = job.data;
    return {
      id: job.id!, complaintId: complaint.id, trackingId: complaint.trackingId, channel: complaint.channel,
      routeCode, routeName: pintu.routes.index().routes.get(routeCode)?.name ?? null,
      reason, attempts, failedAt, receivedAt: complaint.receivedAt, text: complaint.text,
    };
  };

  /** Replay one letter under a lock; null when it is gone or someone else is replaying it. */
  const replay = async (job: Job<DeadLetter>, actor: string) => {
    const lock = `${pintu.config.PINTU_PREFIX}:dead-letters:replaying:${job.id}`;
    if ((await pintu.redis.set(lock, actor, 'PX', REPLAY_LOCK_MS, 'NX')) !== 'OK') return null;
    try {
      if (!(await replayDeadLetter(pintu.queues, pintu.config, job.id!))) return null;
    } finally {
      await pintu.redis.del(lock);
    }
    const { complaint, routeCode, reason, attempts } = job.data;
    await pintu.routes.audit({ actor, action: 'dead-letter.replay', target: job.id!, details: { complaintId: complaint.id, trackingId: complaint.trackingId, routeCode, reason, attempts } });
    pintu.logger.info({ deadLetter: job.id, complaintId: complaint.id, route: routeCode, actor }, 'dead letter replayed');
    return { id: job.id!, trackingId: complaint.trackingId };
  };

  r.get('/dead-letters', {
    schema: {
      tags, summary: 'Dead letters, newest first, with the reason and the number of attempts',
      querystring: PageQuery.extend({ route: RouteFilter }), response: { 200: page(Letter), ...ADMIN_ERRORS },
    },
  }, async (req) => {
    const { offset, limit, route } = req.query;
    if (!route) {
      const [total, jobs] = await Promise.all([deadLetters.getWaitingCount(), deadLetters.getJobs(['waiting'], offset, offset + limit - 1)]);
      return { total, offset, limit, items: jobs.filter(Boolean).map(summary) };
    }
    const jobs = (await deadLetters.getJobs(['waiting'])).filter((job) => job && matchesRoute(job.data, route));
    return { total: jobs.length, offset, limit, items: jobs.slice(offset, offset + limit).map(summary) };
  });

  r.get('/dead-letters/:id', {
    schema: { tags, summary: 'One dead letter with its complaint (without the reporter’s identity)', params: z.object({ id: z.string().max(100) }), response: { 200: LetterDetail, 404: ErrorBody, ...ADMIN_ERRORS } },
  }, async (req, reply) => {
    const job = await deadLetters.getJob(req.params.id);
    if (!job) return reply.code(404).send(notFound(`No dead letter ${req.params.id}`));
    const { reporter, ...complaint } = job.data.complaint;
    return { ...summary(job), complaint: { ...complaint, reporter: { anonymous: reporter.anonymous, confidential: reporter.confidential } } };
  });

  r.post('/dead-letters/:id/replay', {
    schema: { tags, summary: 'Deliver a dead letter again (same complaint id and tracking number)', params: z.object({ id: z.string().max(100) }), response: { 202: Replayed, 404: ErrorBody, ...ADMIN_ERRORS } },
  }, async (req, reply) => {
    const job = await deadLetters.getJob(req.params.id);
    const replayed = job && (await replay(job, req.admin!.name));
    if (!replayed) return reply.code(404).send(notFound(`No dead letter ${req.params.id} waiting for replay`));
    return reply.code(202).send({ replayed: [replayed] });
  });

  r.post('/dead-letters/replay', {
    schema: {
      tags, summary: 'Deliver every dead letter again, or those of one route',
      body: z.object({ route: RouteFilter }).nullish().describe('No body: every dead letter'), response: { 202: Replayed, ...ADMIN_ERRORS },
    },
  }, async (req, reply) => {
    const jobs = (await deadLetters.getJobs(['waiting'])).filter((job) => job && matchesRoute(job.data, req.body?.route));
    const replayed = [];
    for (const job of jobs) {
      const done = await replay(job, req.admin!.name);
      if (done) replayed.push(done);
    }
    return reply.code(202).send({ replayed });
  });
};
