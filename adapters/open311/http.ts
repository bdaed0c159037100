/**
 * The GeoReport v2 routes under `/open311/v2`, every resource as `.json` or `.xml`. An encapsulated plugin with its
 * own body parser, error and not-found handlers: every answer, a refused body or a rate limit included, is the
 * spec's document in the format the path asks for (XML, the spec's required format, when it names none).
 * The protocol layer checks the input (request.ts: the key first, each problem its own error entry); the schemas
 * on the routes document the API at /docs.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { z } from 'zod';
import type { Pintu } from '../../src/pintu.js';
import { channelMetrics } from '../../src/metrics.js';
import type { Open311Config } from './config.js';
import {
  CreatedRequest, Open311Error, renderCreatedRequests, renderErrors, renderServiceDefinition, renderServiceList,
  renderServiceRequests, ServiceDefinition, ServiceListEntry, ServiceRequestView,
  type Format, type Open311Failure, type Rendered,
} from './format.js';
import { findApiClient } from './keys.js';
import { normalizeServiceRequest } from './normalize.js';
import {
  formatNamed, formFields, parseRequestQuery, parseRequestsQuery, parseServiceDefinitionQuery, parseServiceRequest, parseServicesQuery,
  ServiceRequestForm, splitFormat, type FormFields,
} from './request.js';
import { ATTRIBUTES } from './services.js';
import { complaintStatusRecord, serviceRequestView } from './status.js';

export const OPEN311_PREFIX = '/open311/v2';

/** Each route's resource, as the metrics name it. */
type Resource = 'services' | 'service_definition' | 'create' | 'requests' | 'request' | 'none';

/** What a request came to, for the metrics: the client app and, for a POST, whether it made a complaint. */
interface Seen { client: string; outcome?: 'accepted' | 'duplicate' }

const OUTCOMES: Record<number, string> = {
  200: 'ok', 400: 'invalid', 403: 'forbidden', 404: 'not_found', 413: 'too_large', 415: 'unsupported_media_type', 429: 'rate_limited', 503: 'unavailable',
};

/** The format a path asks for: `…/requests.json` → json; none (or one not offered) → XML. */
function formatOf(url: string): Format {
  const path = url.split('?', 1)[0]!;
  return splitFormat(path.slice(path.lastIndexOf('/') + 1))?.format ?? 'xml';
}

const send = (reply: FastifyReply, status: number, rendered: Rendered) => reply.code(status).type(rendered.contentType).send(rendered.body);

/** The spec's errors, each carrying the HTTP status. */
const refuse = (reply: FastifyReply, format: Format, status: number, ...descriptions: string[]) =>
  send(reply, status, renderErrors(descriptions.map((description) => ({ code: status, description })), format));

const fail = (reply: FastifyReply, format: Format, failure: Open311Failure) => send(reply, failure.status, renderErrors(failure.errors, format));

const unavailable = (reply: FastifyReply, format: Format) =>
  refuse(reply.header('retry-after', '5'), format, 503, 'Pintu cannot keep or read complaints right now; nothing was kept. Retry in a few seconds (a repeat gets the same service_request_id).');

const notOffered = (reply: FastifyReply, url: string) =>
  refuse(reply, 'xml', 404, `${url.split('?', 1)[0]!.slice(0, 200)} names no format Pintu offers: end the resource with .json or .xml`);

/** An error with the HTTP status the error handler answers with. */
const httpError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

// ---- documentation (/docs): the routes' schemas; request.ts does the checking ----

const TAGS = ['Open311 GeoReport v2'];
const PRODUCES = ['application/json', 'text/xml'];
const FormatParam = z.object({ format: z.enum(['json', 'xml']).describe('json or xml') });
const FileParam = (name: string) => z.object({ file: z.string().describe(`{${name}}.json or {${name}}.xml`) });
const Jurisdiction = z.object({ jurisdiction_id: z.string().optional().describe('Region code ("33.75") or keyword ("PekalonganKota")') });
const Errors = z.array(Open311Error).describe('The spec\'s errors (in XML: <errors><error>…)');
const errorResponses = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, Errors]));
const RequestBody = z.object({
  api_key: z.string().describe('The key Pintu gave your app (pintu open311 key NAME)'),
  ...ServiceRequestForm.shape,
  ...Object.fromEntries(ATTRIBUTES.map((a) => [`attribute[${a.code}]`, z.enum(['ya', 'tidak']).optional().describe(a.description)])),
});

// ---- the routes ----

export async function open311Routes(app: FastifyInstance, { pintu, config }: { pintu: Pintu; config: Open311Config }): Promise<void> {
  const { keys } = config;
  const requests = channelMetrics(pintu.metrics, 'open311', (registry) => new Counter({
    name: 'pintu_open311_requests_total',
    help: 'Open311 requests by client app (public: a GET, which needs no key; unknown: a POST without a valid key), resource and outcome',
    labelNames: ['client', 'resource', 'outcome'] as const, registers: [registry],
  }));
  const seen = new WeakMap<FastifyRequest, Seen>();
  /** The client app a POST's api_key names; memoized, since the rate limit and the metrics both ask. */
  const clientOf = (req: FastifyRequest): string => {
    let found = seen.get(req);
    if (!found) {
      // A key given twice is refused by request.ts: it names no client here either.
      const key = (req.body as FormFields | undefined)?.api_key;
      found = { client: req.method !== 'POST' ? 'public' : (typeof key === 'string' && findApiClient(keys, key)) || 'unknown' };
      seen.set(req, found);
    }
    return found.client;
  };

  // Only the spec's form encoding. URLSearchParams decodes a byte that is not UTF-8 to U+FFFD: such a body is
  // refused here, in the spec's shape, before the gateway's own UTF-8 check would answer in its.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const fields = formFields(body as string);
    const text = Object.entries(fields).flat(2).join('');
    if (text.includes('\uFFFD')) return done(httpError(400, 'the body is not valid UTF-8 (form fields are percent-encoded UTF-8)'), undefined);
    done(null, fields);
  });
  // Input is read by request.ts, with the spec's errors; the schemas below are documentation only.
  app.setValidatorCompiler(() => (data) => ({ value: data }));

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) req.log.error({ err: error }, 'open311 request failed');
    const description = status === 413 ? `the body is larger than ${req.routeOptions.bodyLimit} bytes`
      : status === 415 ? 'POST requests is form-encoded: Content-Type: application/x-www-form-urlencoded'
        : status >= 500 ? 'internal error; nothing was kept, please retry' : error.message;
    return refuse(reply, formatOf(req.url), status, description);
  });
  app.setNotFoundHandler((req, reply) => refuse(reply, formatOf(req.url), 404,
    `${req.method} ${req.url.split('?', 1)[0]!.slice(0, 200)} is not a resource: services, services/{service_code}, requests and requests/{service_request_id}, each .json or .xml`));

  app.addHook('onResponse', async (req, reply) => {
    const resource = (req.routeOptions.config as { resource?: Resource }).resource ?? 'none';
    const outcome = seen.get(req)?.outcome ?? OUTCOMES[reply.statusCode] ?? (reply.statusCode >= 500 ? 'error' : 'invalid');
    requests.inc({ client: clientOf(req), resource, outcome });
  });

  const index = () => pintu.routes.index();
  const perMinute = config.OPEN311_REQUESTS_PER_MINUTE;

  /** One complaint as the public may see it; null when there is none with that tracking number. */
  async function lookUp(trackingId: string) {
    const record = await pintu.status.get(trackingId);
    if (!record) return null;
    const [timeline, complaint] = await Promise.all([pintu.status.timeline(trackingId), pintu.status.complaint(trackingId)]);
    return serviceRequestView(complaintStatusRecord(record, timeline, complaint));
  }

  app.get('/services.:format', {
    config: { resource: 'services' satisfies Resource },
    schema: {
      summary: 'Open311: the services (kinds of report) a client may submit', tags: TAGS, produces: PRODUCES,
      params: FormatParam, querystring: Jurisdiction, response: { 200: z.array(ServiceListEntry), ...errorResponses(404) },
    },
  }, async (req, reply) => {
    const format = formatNamed((req.params as { format: string }).format);
    if (!format) return notOffered(reply, req.url);
    const list = parseServicesQuery(req.query as FormFields, index());
    return list.ok ? send(reply, 200, renderServiceList(list.value, format)) : fail(reply, format, list);
  });

  app.get('/services/:file', {
    config: { resource: 'service_definition' satisfies Resource },
    schema: {
      summary: 'Open311: a service\'s definition (its questions: anonim, rahasia)', tags: TAGS, produces: PRODUCES,
      params: FileParam('service_code'), querystring: Jurisdiction, response: { 200: ServiceDefinition, ...errorResponses(404) },
    },
  }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const wanted = splitFormat(file);
    if (!wanted) return notOffered(reply, req.url);
    const definition = parseServiceDefinitionQuery(wanted.name, req.query as FormFields, index());
    return definition.ok ? send(reply, 200, renderServiceDefinition(definition.value, wanted.format)) : fail(reply, wanted.format, definition);
  });

  app.post('/requests.:format', {
    config: {
      resource: 'create' satisfies Resource,
      // Per client app, counted after the body is read (the key is in it); requests without a valid key per address.
      rateLimit: perMinute > 0 ? {
        max: perMinute, timeWindow: 60_000, hook: 'preHandler',
        keyGenerator: (req: FastifyRequest) => { const client = clientOf(req); return client === 'unknown' ? `ip:${req.ip}` : `client:${client}`; },
        errorResponseBuilder: (req: FastifyRequest, ctx: { max: number; ttl: number }) =>
          httpError(429, `${clientOf(req)} made more than ${ctx.max} requests in a minute; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
      } : false,
    },
    schema: {
      summary: 'Open311: submit a complaint (form-encoded, api_key required); the answer is its tracking number', tags: TAGS, produces: PRODUCES,
      consumes: ['application/x-www-form-urlencoded'],
      params: FormatParam, body: RequestBody, response: { 200: z.array(CreatedRequest), ...errorResponses(400, 403, 404, 413, 415, 429, 503) },
    },
  }, async (req, reply) => {
    const format = formatNamed((req.params as { format: string }).format);
    if (!format) return notOffered(reply, req.url);
    const parsed = parseServiceRequest((req.body ?? {}) as FormFields, keys);
    const outcome = parsed.ok ? normalizeServiceRequest(parsed.value, { index: index(), receivedAt: new Date().toISOString(), address: req.url.split('?', 1)[0]! }) : parsed;
    if (!outcome.ok) {
      pintu.metrics.rejected.inc({ channel: 'open311', reason: outcome.status === 403 ? 'forbidden' : 'invalid' });
      return fail(reply, format, outcome);
    }
    let trackingId: string | null;
    try {
      const kept = await pintu.intake.submit({ channel: 'open311', dedupKey: outcome.dedupKey, draft: outcome.draft });
      trackingId = kept.outcome === 'accepted' ? kept.complaint?.trackingId ?? null : kept.outcome === 'duplicate' ? kept.trackingId : null;
      if (!trackingId) throw new Error(`unexpected intake outcome ${kept.outcome}`);
      clientOf(req);
      seen.get(req)!.outcome = kept.outcome as 'accepted' | 'duplicate';
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message, client: parsed.ok ? parsed.value.apiClient : undefined }, 'could not keep an Open311 request');
      return unavailable(reply, format);
    }
    return send(reply, 200, renderCreatedRequests([{ service_request_id: trackingId, service_notice: outcome.service.notice }], format));
  });

  app.get('/requests.:format', {
    config: { resource: 'requests' satisfies Resource },
    schema: {
      summary: 'Open311: complaints by tracking number (service_request_id=a,b; Pintu never lists complaints)', tags: TAGS, produces: PRODUCES,
      params: FormatParam,
      querystring: Jurisdiction.extend({ service_request_id: z.string().describe('Tracking numbers, comma-separated (at most 100)') }),
      response: { 200: z.array(ServiceRequestView), ...errorResponses(400, 404, 503) },
    },
  }, async (req, reply) => {
    const format = formatNamed((req.params as { format: string }).format);
    if (!format) return notOffered(reply, req.url);
    const ids = parseRequestsQuery(req.query as FormFields, index());
    if (!ids.ok) return fail(reply, format, ids);
    try {
      // Unknown numbers are not in the answer: what is known is only told to whoever holds the number.
      const views = (await Promise.all(ids.value.map(lookUp))).filter((v) => v !== null);
      return send(reply, 200, renderServiceRequests(views, format));
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message }, 'could not read Open311 requests');
      return unavailable(reply, format);
    }
  });

  app.get('/requests/:file', {
    config: { resource: 'request' satisfies Resource },
    schema: {
      summary: 'Open311: one complaint by tracking number (status open/closed, the agency\'s latest note; never the reporter)', tags: TAGS, produces: PRODUCES,
      params: FileParam('service_request_id'), querystring: Jurisdiction, response: { 200: z.array(ServiceRequestView), ...errorResponses(404, 503) },
    },
  }, async (req, reply) => {
    const { file } = req.params as { file: string };
    const wanted = splitFormat(file);
    if (!wanted) return notOffered(reply, req.url);
    const trackingId = parseRequestQuery(wanted.name, req.query as FormFields, index());
    if (!trackingId.ok) return fail(reply, wanted.format, trackingId);
    try {
      const view = await lookUp(trackingId.value);
      if (!view) return refuse(reply, wanted.format, 404, `service_request_id ${wanted.name.slice(0, 40)} was not found`);
      return send(reply, 200, renderServiceRequests([view], wanted.format));
    } catch (err) {
      pintu.logger.error({ err: (err as Error).message }, 'could not read an Open311 request');
      return unavailable(reply, wanted.format);
    }
  });
}
