/** The fastify app, assembled from encapsulated plugins: core operations routes plus each channel's routes. */
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ChannelAdapter } from './channel.js';
import { complaintJsonSchema } from './complaint.js';
import { adminPlugin } from './admin/index.js';
import { agencyApi } from './agency-api.js';
import { lazyChildLogger, type Logger } from './logger.js';
import type { Pintu } from './pintu.js';

const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Bodies must have been valid UTF-8. The body parsers decode invalid bytes to U+FFFD, which no citizen
 * types: a body carrying it gets a 400 instead of becoming a complaint full of replacement characters.
 */
function hasReplacementCharacter(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\uFFFD');
  if (depth > 3 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  for (const v of Object.values(value)) if (hasReplacementCharacter(v, depth + 1)) return true;
  return false;
}

/** 400 body: one message per field, so a form or client can show each next to its input. */
export function fieldErrors(issues: Array<{ path: PropertyKey[]; message: string }>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join('.') || '_';
    fields[key] ??= issue.message;
  }
  return fields;
}

/**
 * helmet's security headers, computed once. (@fastify/helmet rebuilds helmet's middleware, CSP parsing
 * included, on every request: that was a third of the CPU of a web complaint.)
 */
function securityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => { headers[name.toLowerCase()] = String(value); },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()]; },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}

const opsPlugin = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  r.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, boolean> = {};
    checks.redis = await pintu.redis.ping().then(() => true, () => false);
    if (pintu.workers) checks.workers = pintu.workers.running();
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
  r.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const { queueDepth, overdue, registry } = pintu.metrics;
    const byLevel = { regency: 0, province: 0, national: 0 };
    for (const [code, n] of Object.entries(await pintu.status.overdueCounts().catch(() => ({})))) {
      const level = pintu.routes.index().routes.get(code)?.level;
      if (level) byLevel[level] += n;
    }
    for (const [level, n] of Object.entries(byLevel)) overdue.set({ level }, n);
    await Promise.all([pintu.queues.delivery, pintu.queues.deadLetters].map(async (q) => {
      const counts: Record<string, number> = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed').catch(() => ({}));
      for (const [state, n] of Object.entries(counts)) queueDepth.set({ queue: q.name, state }, n);
    }));
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  r.get('/api/v1/complaint.schema.json', { schema: { hide: true } }, async () => complaintJsonSchema());
};

export async function buildApp(pintu: Pintu, channels: ChannelAdapter[]): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: pintu.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: pintu.config.TRUST_PROXY,
    childLoggerFactory: (logger, bindings, options) => lazyChildLogger(logger as Logger, bindings, options) as FastifyBaseLogger,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Responses are built field by field by the handlers; their zod schemas document the API. Validating every
  // response again on the way out cost more than the rest of a web complaint's JSON handling.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addHook('preValidation', (request, reply, done) => {
    if (hasReplacementCharacter(request.body)) return reply.code(400).send({ error: 'bad_request', message: 'The body is not valid UTF-8' });
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields = fieldErrors(error.validation.map((v) => ({ path: v.instancePath.split('/').filter(Boolean), message: v.message ?? 'invalid' })));
      return reply.code(400).send({ error: 'invalid_request', message: 'Some fields are invalid', fields });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const code = status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : status === 429 ? 'rate_limited' : status >= 500 ? 'internal_error' : 'bad_request';
    return reply.code(status).send({ error: code, message: status >= 500 ? 'Internal error; nothing was lost, please retry.' : error.message });
  });

  const pageHeaders = securityHeaders({
    contentSecurityPolicy: { directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'form-action': ["'self'"] } },
  });
  // What is not HTML is never rendered as a document (JSON and XML APIs, webhooks, metrics, scripts): it gets the
  // headers that matter for an API (OWASP REST
  // Security): no framing, no content sniffing, no referrer, HSTS, and a CSP that allows nothing. The document
  // headers (COOP, Origin-Agent-Cluster, DNS prefetch, X-XSS-Protection, …) were a kilobyte on every answer.
  const apiHeaders = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    frameguard: { action: 'deny' },
    crossOriginOpenerPolicy: false, originAgentCluster: false, xDnsPrefetchControl: false, xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false, xXssProtection: false,
  });
  // Chosen by what is sent, so a channel's own endpoints (Open311, webhooks) need no list here.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(String(reply.getHeader('content-type') ?? '').startsWith('text/html') ? pageHeaders : apiHeaders);
    done(null, payload);
  });
  await app.register(formbody, { bodyLimit: BODY_LIMIT_BYTES });
  await app.register(rateLimit, {
    global: false,
    max: pintu.config.RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    redis: pintu.redis,
    nameSpace: `${pintu.config.PINTU_PREFIX}:ratelimit:`,
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: 'rate_limited', message: `Too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s` }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Pintu — SP4N-LAPOR! intake gateway', version: '1.0.0', description: 'Complaint intake for SMS 1708, X @lapor1708, WhatsApp, the web form and Open311 GeoReport v2; agency follow-up, deadlines and the performance table.' },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(opsPlugin, { pintu });
  await app.register(agencyApi, { pintu });
  await app.register(adminPlugin, { pintu });
  for (const channel of channels) {
    if (channel.http) await app.register(channel.http, { pintu });
  }
  return app;
}
