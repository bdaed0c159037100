/** The admin pages at /admin (sign-in, dashboard, static assets) and Bull Board at /admin/queues. */
import { readFileSync } from 'node:fs';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pintu } from '../pintu.js';
import { sessionCookie } from './auth.js';
import { renderDashboard, renderSignIn } from './page.js';
import { findAdmin, type AdminToken } from './tokens.js';

const ASSETS = {
  'admin.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./assets/admin.js', import.meta.url), 'utf8') },
  'admin.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./assets/admin.css', import.meta.url), 'utf8') },
};
const html = 'text/html; charset=utf-8';

export const adminUi = async (app: FastifyInstance, { pintu, tokens }: { pintu: Pintu; tokens: readonly AdminToken[] }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const open = { adminPublic: true };

  r.get('/', { schema: { hide: true } }, async (req, reply) => reply.type(html).header('cache-control', 'no-store').send(renderDashboard(req.admin!)));

  r.get('/assets/:file', { config: open, schema: { hide: true, params: z.object({ file: z.enum(Object.keys(ASSETS) as [keyof typeof ASSETS]) }) } }, async (req, reply) => {
    const asset = ASSETS[req.params.file];
    return reply.type(asset.type).send(asset.body);
  });

  r.get('/login', { config: open, schema: { hide: true } }, async (_req, reply) => reply.type(html).send(renderSignIn()));

  r.post('/session', { config: open, schema: { hide: true, body: z.object({ token: z.string().max(200) }) } }, async (req, reply) => {
    const token = req.body.token.trim();
    const admin = findAdmin(tokens, token);
    if (!admin) {
      req.log.warn({ ip: req.ip }, 'admin sign-in refused: unknown token');
      return reply.code(401).type(html).send(renderSignIn('That token is not valid.'));
    }
    req.log.info({ admin: admin.name, role: admin.role }, 'admin signed in');
    return reply.header('set-cookie', sessionCookie(req, token)).redirect('/admin', 303);
  });

  r.post('/logout', { config: open, schema: { hide: true } }, async (req, reply) =>
    reply.header('set-cookie', sessionCookie(req, null)).redirect('/admin/login', 303));

  const board = new FastifyAdapter();
  board.setBasePath('/admin/queues');
  const { delivery, deadLetters } = pintu.queues;
  // @bull-board/fastify pins its own copy of @bull-board/api: same shape, separate type declarations.
  const serverAdapter = board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'];
  createBullBoard({ queues: [delivery, deadLetters].map((q) => new BullMQAdapter(q)), serverAdapter });
  // Job data carries reporters' identities: the queue dashboard is for admins, not viewers.
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (req, reply) => {
      if (req.admin?.role !== 'admin') return reply.code(403).send({ error: 'forbidden', message: 'The queue dashboard shows reporters\' identities: admins only' });
    });
    await scope.register(board.registerPlugin());
  }, { prefix: '/queues' });
};
