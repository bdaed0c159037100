/** The admin pages at /admin (sign-in, dashboard, language switch, static assets) and Bull Board at /admin/queues. */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pintu } from '../pintu.js';
import { cookie, sessionCookie } from './auth.js';
import { LANGUAGE_COOKIE, LANGUAGES, pageLanguage, type Language } from './i18n.js';
import { renderDashboard, renderSignIn } from './page.js';
import { findAdmin, type AdminToken } from './tokens.js';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const own = readdirSync(new URL('./assets/', import.meta.url)).map((file) => [file, new URL(`./assets/${file}`, import.meta.url)] as const);
/** The Kinerja chart's library, served from its npm package by Pintu itself: the pages' CSP allows scripts from 'self' only. */
const chartLibrary = ['uPlot.iife.min.js', 'uPlot.min.css'].map((file) => [file, pathToFileURL(createRequire(import.meta.url).resolve(`uplot/dist/${file}`))] as const);
const ASSETS = new Map([...own, ...chartLibrary].filter(([file]) => TYPES[extname(file)]).map(([file, url]) => [file, { type: TYPES[extname(file)]!, body: readFileSync(url, 'utf8') }]));
const html = 'text/html; charset=utf-8';
const YEAR_SECONDS = 365 * 86_400;

const languageOf = (req: FastifyRequest): Language => pageLanguage(cookie(req.headers.cookie, LANGUAGE_COOKIE), req.headers['accept-language']);
/** A page in the request's language; caches keep one copy per language. */
const sendPage = (reply: FastifyReply, page: string) => reply.type(html).header('vary', 'Accept-Language, Cookie').send(page);

export const adminUi = async (app: FastifyInstance, { pintu, tokens }: { pintu: Pintu; tokens: readonly AdminToken[] }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const open = { adminPublic: true };

  r.get('/', { schema: { hide: true } }, async (req, reply) => sendPage(reply.header('cache-control', 'no-store'), renderDashboard(req.admin!, languageOf(req))));

  r.get('/assets/:file', { config: open, schema: { hide: true, params: z.object({ file: z.enum([...ASSETS.keys()] as [string, ...string[]]) }) } }, async (req, reply) => {
    const asset = ASSETS.get(req.params.file)!;
    return reply.type(asset.type).send(asset.body);
  });

  r.get('/login', { config: open, schema: { hide: true } }, async (req, reply) => sendPage(reply, renderSignIn(languageOf(req))));

  // The ID | EN switch: the choice sticks (a cookie) and beats the browser's language. `next` stays under /admin.
  r.post('/language', {
    config: open,
    schema: { hide: true, body: z.object({ lang: z.enum(LANGUAGES), next: z.string().max(500).regex(/^\/admin(?:[/?#]\S*)?$/, 'next must be an /admin page').default('/admin') }) },
  }, async (req, reply) => {
    const secure = req.protocol === 'https' ? '; Secure' : '';
    return reply.header('set-cookie', `${LANGUAGE_COOKIE}=${req.body.lang}; Path=/admin; Max-Age=${YEAR_SECONDS}; HttpOnly; SameSite=Lax${secure}`).redirect(req.body.next, 303);
  });

  r.post('/session', { config: open, schema: { hide: true, body: z.object({ token: z.string().max(200) }) } }, async (req, reply) => {
    const token = req.body.token.trim();
    const admin = findAdmin(tokens, token);
    if (!admin) {
      req.log.warn({ ip: req.ip }, 'admin sign-in refused: unknown token');
      return sendPage(reply.code(401), renderSignIn(languageOf(req), 'signIn.invalid'));
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
