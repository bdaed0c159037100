/** `/admin/api`: the route table (list, edit, import/export, revert), the audit log and a resolution tester. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Level, MatchType } from '../complaint.js';
import { normalizeKey, resolveMessage, routeKey } from '../keyword.js';
import type { Pintu } from '../pintu.js';
import { NATIONAL_CODE, Route } from '../route.js';
import { publicRoute, RouteConflictError, RouteVersionNotFoundError, type AppliedChange, type ChangeMeta, type RouteChange } from '../route-registry.js';
import { ADMIN_ERRORS, ErrorBody, notFound, page, PageQuery } from './http.js';
import { exportRoutes, planImport, ROUTE_FILE_FORMATS } from './route-io.js';
import { buildRoute, deletion, patchInput, PublicRouteSchema, RouteInput, RoutePatch, routeView, RouteView, type Built } from './route-input.js';

/** Import files are bigger than complaints: the whole table as JSON is ~150 KB. */
const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;

const CodeParams = z.object({ code: Route.shape.code });
const Conflict = ErrorBody.extend({ owner: z.object({ code: z.string(), name: z.string() }), word: z.string() });
const AuditEntry = z.object({
  id: z.string(), at: z.string(), actor: z.string(), action: z.string(), target: z.string(),
  version: z.number().int().optional(), before: PublicRouteSchema.nullable().optional(), after: PublicRouteSchema.nullable().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const Resolution = z.object({
  route: z.object({ code: z.string(), name: z.string(), level: Level, keyword: z.string() }).nullable()
    .describe('Where the complaint would go; null when there is no complaint text (the citizen gets the format help)'),
  matched: z.object({ code: z.string(), name: z.string(), active: z.boolean() }).describe('The route the keyword names (may be inactive)'),
  matchType: MatchType, keyword: z.string().nullable(), complaintText: z.string(), explanation: z.string(),
});
const ImportProblems = ErrorBody.extend({ problems: z.array(z.object({ line: z.number().int(), code: z.string().nullable(), reason: z.string() })) });
const FormatQuery = z.object({ format: z.enum(ROUTE_FILE_FORMATS).default('json') });

const tags = ['admin: routes'];

export const routesApi = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const registry = pintu.routes;
  const meta = (actor: string | undefined, action: string, details?: Record<string, unknown>): ChangeMeta => ({ actor: actor ?? 'unknown', action, ...(details ? { details } : {}) });
  const viewOf = async (code: string) => {
    const route = registry.index().routes.get(code);
    return route && routeView(publicRoute(route), (await registry.versions([code])).get(code)!);
  };

  /** Apply and answer: 409 naming the owner of a clashing keyword, else the route as it now is. */
  const write = async (changes: RouteChange[], changeMeta: ChangeMeta): Promise<{ status: 200; applied: AppliedChange[] } | { status: 409; body: z.infer<typeof Conflict> }> => {
    try {
      return { status: 200, applied: await registry.apply(changes, changeMeta) };
    } catch (err) {
      if (!(err instanceof RouteConflictError)) throw err;
      return { status: 409, body: { error: 'keyword_taken', message: err.message, owner: { code: err.owner.code, name: err.owner.name }, word: err.word } };
    }
  };
  const invalid = (built: Extract<Built, { ok: false }>) => ({ error: 'invalid_request', message: 'Some fields are invalid', fields: built.fields });

  r.get('/routes', {
    schema: {
      tags, summary: 'List routes (filter by level, province, text; paginated)',
      querystring: PageQuery.extend({
        level: Level.optional(),
        province: z.string().regex(/^\d{2}$/).optional().describe('A province code: the province and its regencies'),
        text: z.string().max(100).optional().describe('Matches code, name, keyword or alias (case, spaces, hyphens ignored)'),
        active: z.stringbool().optional(),
      }),
      response: { 200: page(RouteView), ...ADMIN_ERRORS },
    },
  }, async (req) => {
    const { offset, limit, level, province, text, active } = req.query;
    const needle = text ? normalizeKey(text) : '';
    const matches = [...registry.index().routes.values()].filter((route) =>
      (!level || route.level === level)
      && (!province || route.code === province || route.parent === province)
      && (active === undefined || route.active === active)
      && (!needle || route.code.startsWith(text!.trim()) || normalizeKey(route.name).includes(needle) || [route.keyword, ...route.aliases].some((w) => routeKey(w).includes(needle))));
    matches.sort((a, b) => (a.code === NATIONAL_CODE ? -1 : b.code === NATIONAL_CODE ? 1 : a.code.localeCompare(b.code)));
    const items = matches.slice(offset, offset + limit);
    const versions = await registry.versions(items.map((route) => route.code));
    return { total: matches.length, offset, limit, items: items.map((route) => routeView(publicRoute(route), versions.get(route.code)!)) };
  });

  r.get('/routes/export', {
    schema: { tags, summary: 'Export every route as JSON or CSV (secrets are never exported)', querystring: FormatQuery },
  }, async (req, reply) => {
    const { format } = req.query;
    return reply.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="pintu-routes.${format}"`)
      .send(exportRoutes(registry.index().routes.values(), format));
  });

  // The file is read as text so every bad row can be reported with its line.
  await app.register(async (raw) => {
    raw.removeContentTypeParser('application/json');
    raw.addContentTypeParser(['application/json', 'text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body));
    raw.withTypeProvider<ZodTypeProvider>().post('/routes/import', {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags, summary: 'Import routes (create or replace each row); validated whole, nothing applied unless every row is good',
        description: 'Body: a JSON array of routes, or CSV with the header `code,name,level,keyword,aliases,parent,active,webhook_url,webhook_secret` (aliases separated by ";"). A row without a secret keeps the stored one when its webhook URL is unchanged.',
        querystring: z.object({ format: z.enum(ROUTE_FILE_FORMATS).optional().describe('Default: from the content type') }),
        response: { 200: z.object({ rows: z.number().int(), changed: z.array(z.object({ code: z.string(), version: z.number().int() })) }), 400: ImportProblems, 409: Conflict, 401: ErrorBody, 403: ErrorBody },
      },
    }, async (req, reply) => {
      const format = req.query.format ?? (req.headers['content-type']?.includes('csv') ? 'csv' : 'json');
      const plan = planImport(String(req.body ?? ''), format, registry.index().routes);
      if (!plan.ok) return reply.code(400).send({ error: 'invalid_import', message: `${plan.problems.length} row(s) are invalid; nothing was applied`, problems: plan.problems });
      const result = await write(plan.changes, meta(req.admin?.name, 'route.import'));
      if (result.status === 409) return reply.code(409).send(result.body);
      return { rows: plan.rows, changed: result.applied.map(({ code, version }) => ({ code, version })) };
    });
  });

  r.get('/routes/:code', {
    schema: { tags, summary: 'One route', params: CodeParams, response: { 200: RouteView, 404: ErrorBody, ...ADMIN_ERRORS } },
  }, async (req, reply) => (await viewOf(req.params.code)) ?? reply.code(404).send(notFound(`No route ${req.params.code}`)));

  r.put('/routes/:code', {
    schema: { tags, summary: 'Create or replace a route', params: CodeParams, body: RouteInput, response: { 200: RouteView, 201: RouteView, 409: Conflict, ...ADMIN_ERRORS } },
  }, async (req, reply) => {
    const { code } = req.params;
    const existing = registry.index().routes.get(code);
    const built = buildRoute(code, req.body, existing, registry.index().routes);
    if (!built.ok) return reply.code(400).send(invalid(built));
    const result = await write([{ code, route: built.route }], meta(req.admin?.name, existing ? 'route.replace' : 'route.create'));
    if (result.status === 409) return reply.code(409).send(result.body);
    return reply.code(existing ? 200 : 201).send((await viewOf(code))!);
  });

  r.patch('/routes/:code', {
    schema: { tags, summary: 'Change some fields of a route', params: CodeParams, body: RoutePatch, response: { 200: RouteView, 404: ErrorBody, 409: Conflict, ...ADMIN_ERRORS } },
  }, async (req, reply) => {
    const { code } = req.params;
    const existing = registry.index().routes.get(code);
    if (!existing) return reply.code(404).send(notFound(`No route ${code}`));
    const built = buildRoute(code, patchInput(existing, req.body), existing, registry.index().routes);
    if (!built.ok) return reply.code(400).send(invalid(built));
    const result = await write([{ code, route: built.route }], meta(req.admin?.name, 'route.update'));
    if (result.status === 409) return reply.code(409).send(result.body);
    return (await viewOf(code))!;
  });

  r.delete('/routes/:code', {
    schema: {
      tags, summary: 'Delete a route (an official region is deactivated instead: its complaints go to its province)',
      params: CodeParams, response: { 200: z.object({ code: z.string(), deleted: z.boolean(), deactivated: z.boolean() }), 404: ErrorBody, 409: ErrorBody, ...ADMIN_ERRORS },
    },
  }, async (req, reply) => {
    const { code } = req.params;
    const existing = registry.index().routes.get(code);
    if (!existing) return reply.code(404).send(notFound(`No route ${code}`));
    if (code === NATIONAL_CODE) return reply.code(409).send({ error: 'national_desk', message: 'The national desk cannot be deleted: it is where every unmatched complaint goes' });
    const after = deletion(existing);
    await registry.apply([{ code, route: after }], meta(req.admin?.name, after ? 'route.deactivate' : 'route.delete'));
    return { code, deleted: after === null, deactivated: after !== null };
  });

  r.post('/routes/:code/revert', {
    schema: {
      tags, summary: 'Put a route back as it was at an earlier version (recorded as a new version)',
      params: CodeParams, body: z.object({ version: z.number().int().min(1) }),
      response: { 200: z.union([RouteView, z.object({ code: z.string(), deleted: z.literal(true) })]), 404: ErrorBody, 409: Conflict, ...ADMIN_ERRORS },
    },
  }, async (req, reply) => {
    const { code } = req.params;
    let snapshot: Route | null;
    try {
      snapshot = await registry.snapshot(code, req.body.version);
    } catch (err) {
      if (err instanceof RouteVersionNotFoundError) return reply.code(404).send(notFound(err.message));
      throw err;
    }
    const result = await write([{ code, route: snapshot }], meta(req.admin?.name, 'route.revert', { toVersion: req.body.version }));
    if (result.status === 409) return reply.code(409).send(result.body);
    return (await viewOf(code)) ?? { code, deleted: true as const };
  });

  r.post('/resolve', {
    config: { adminReadOnly: true },
    schema: {
      tags, summary: 'What would happen to this message, without queueing anything',
      body: z.object({ text: z.string().max(10_000) }), response: { 200: Resolution, ...ADMIN_ERRORS },
    },
  }, async (req) => {
    const resolution = resolveMessage(req.body.text, registry.index());
    const { route, matched, complaintText } = resolution;
    return {
      route: complaintText ? { code: route.code, name: route.name, level: route.level, keyword: route.keyword } : null,
      matched: { code: matched.code, name: matched.name, active: matched.active },
      matchType: resolution.matchType, keyword: resolution.keyword, complaintText,
      explanation: complaintText ? resolution.explanation : `${resolution.explanation} There is no complaint text, so nothing is queued: the citizen gets the format help.`,
    };
  });

  r.get('/audit', {
    schema: {
      tags: ['admin: audit'], summary: 'Audit log, newest first: who changed what, when, before and after',
      querystring: PageQuery.extend({ target: z.string().max(100).optional().describe('A route code or dead letter id') }),
      response: { 200: page(AuditEntry), ...ADMIN_ERRORS },
    },
  }, async (req) => {
    const { offset, limit, target } = req.query;
    return { offset, limit, ...(await registry.auditLog({ offset, limit, ...(target ? { target } : {}) })) };
  });
};
