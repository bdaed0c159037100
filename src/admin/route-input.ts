/**
 * What an admin may write to a route: the rules on top of the Route schema (code decides level and parent,
 * webhook https or http to this machine, secret write-only), shared by the API, the import and the CLI.
 */
import { z } from 'zod';
import { Level } from '../complaint.js';
import { routeKey } from '../keyword.js';
import { Destination, NATIONAL_CODE, Route } from '../route.js';
import { isSeededCode, type PublicRoute } from '../route-registry.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export const WebhookUrl = Destination.shape.url.refine((url) => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || (protocol === 'http:' && LOCAL_HOSTS.has(hostname));
}, 'webhook URL must be https (plain http only to localhost)');

export const DestinationInput = z.object({
  url: WebhookUrl,
  secret: Destination.shape.secret.max(256).optional().describe('HMAC signing secret, write-only; omit to keep the current one for the same URL'),
});

const Aliases = z.array(z.string().min(1).max(60)).max(50)
  .refine((aliases) => aliases.every((a) => routeKey(a) !== ''), 'every alias needs a letter or digit');

const fields = {
  name: Route.shape.name,
  level: Level.optional().describe('Follows from the code; checked when given'),
  keyword: Route.shape.keyword,
  aliases: Aliases,
  parent: z.string().nullable().optional().describe('Follows from the code; checked when given'),
  active: z.boolean(),
  destination: DestinationInput.nullable().describe('null: no own webhook (the parent region’s or the national desk’s is used)'),
};

/** PUT body: the whole route. */
export const RouteInput = z.object({ ...fields, aliases: Aliases.default([]), active: z.boolean().default(true), destination: fields.destination.optional() });
/** PATCH body: only the fields that change. */
export const RoutePatch = z.object(fields).partial();
/** One route in an import file. */
export const ImportRow = RouteInput.extend({ code: Route.shape.code });
export type RouteInput = z.infer<typeof RouteInput>;
export type RoutePatch = z.infer<typeof RoutePatch>;

export const PublicRouteSchema = z.object({
  code: z.string(), name: z.string(), level: Level, keyword: z.string(), aliases: z.array(z.string()),
  parent: z.string().nullable(), active: z.boolean(), destination: z.object({ url: z.string() }).nullable(),
});
export const RouteView = PublicRouteSchema.extend({
  version: z.number().int().describe('Per-route version; revert to any earlier one'),
  seeded: z.boolean().describe('An official region: DELETE deactivates it'),
});
export type RouteView = z.infer<typeof RouteView>;

export function routeView(route: PublicRoute, version: number): RouteView {
  return { ...route, version, seeded: isSeededCode(route.code) };
}

const levelOf = (code: string): Level => (code === NATIONAL_CODE ? 'national' : code.includes('.') ? 'regency' : 'province');
const parentOf = (code: string): string | null => (code === NATIONAL_CODE ? null : code.includes('.') ? code.slice(0, 2) : NATIONAL_CODE);

export type Built = { ok: true; route: Route } | { ok: false; fields: Record<string, string> };

/** A full route from admin input, or the reasons per field. `table` is the route table it will join. */
export function buildRoute(code: string, input: RouteInput, existing: Route | undefined, table: ReadonlyMap<string, Route>): Built {
  const fieldErrors: Record<string, string> = {};
  const level = levelOf(code);
  const parent = parentOf(code);
  if (input.level && input.level !== level) fieldErrors.level = `code ${code} is a ${level}, not a ${input.level}`;
  if (input.parent !== undefined && input.parent !== parent) fieldErrors.parent = `the parent of ${code} is ${parent ?? 'null'}`;
  else if (parent && !table.has(parent)) fieldErrors.parent = `route ${parent} does not exist`;
  if (code === NATIONAL_CODE && !input.active) fieldErrors.active = 'the national desk cannot be deactivated: it is where every unmatched complaint goes';
  let destination: Route['destination'];
  if (input.destination) {
    const { url, secret } = input.destination;
    const kept = existing?.destination?.url === url ? existing.destination.secret : undefined;
    if (secret ?? kept) destination = { url, secret: (secret ?? kept)! };
    else fieldErrors['destination.secret'] = 'a signing secret is required for a new webhook URL (it is write-only: leave it out only to keep the current URL’s)';
  }
  if (Object.keys(fieldErrors).length) return { ok: false, fields: fieldErrors };
  const route: Route = { code, name: input.name, level, keyword: input.keyword, aliases: input.aliases, parent, active: input.active, ...(destination ? { destination } : {}) };
  return { ok: true, route };
}

/** The current route as a PATCH base: the stored secret stays unless the patch changes the URL. */
export function patchInput(existing: Route, patch: RoutePatch): RouteInput {
  const { code: _code, destination, ...rest } = existing;
  return { ...rest, destination: destination ?? null, ...patch };
}

/** What DELETE does: a seeded region is deactivated (its complaints go to its province), anything else removed. */
export function deletion(route: Route): Route | null {
  return isSeededCode(route.code) ? { ...route, active: false } : null;
}
