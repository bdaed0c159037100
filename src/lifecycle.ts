/**
 * A complaint's life after intake: delivery statuses (received → routed → delivered | failed) and the agency's
 * statuses in SP4N-LAPOR!'s words, with the moves an agency may make between them (config/agency-statuses.json,
 * the table the tests read too), who may make them (the agency the complaint is with, or one above it), and where
 * "bukan wewenang" sends a complaint next.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { activeRoute, namedRegion, type RouteIndex } from './keyword.js';
import { NATIONAL_CODE, type Route } from './route.js';

export const DELIVERY_STATUSES = ['received', 'routed', 'delivered', 'failed'] as const;
export const AGENCY_STATUSES = ['diverifikasi', 'didisposisi', 'ditindaklanjuti', 'selesai', 'ditunda', 'bukan_wewenang', 'diarsipkan'] as const;
export const STATUSES = [...DELIVERY_STATUSES, ...AGENCY_STATUSES] as const;

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type AgencyStatus = (typeof AGENCY_STATUSES)[number];
export type Status = (typeof STATUSES)[number];

const StatusTable = z.object({
  statuses: z.array(z.enum(AGENCY_STATUSES)),
  final: z.array(z.enum(AGENCY_STATUSES)),
  notify: z.array(z.enum(AGENCY_STATUSES)),
  transitions: z.record(z.enum(STATUSES), z.array(z.enum(AGENCY_STATUSES))),
});
export type StatusTable = z.infer<typeof StatusTable>;

/** The shipped table; read once (a wrong file is a build error, caught by the tests). */
export const STATUS_TABLE: StatusTable = StatusTable.parse(JSON.parse(readFileSync(new URL('../config/agency-statuses.json', import.meta.url), 'utf8')));

export const isFinal = (status: Status) => (STATUS_TABLE.final as readonly Status[]).includes(status);

/** The statuses a complaint may be in for an agency to move it to `to`. */
export function movesFrom(to: AgencyStatus): Status[] {
  return (Object.entries(STATUS_TABLE.transitions) as Array<[Status, AgencyStatus[]]>).filter(([, targets]) => targets.includes(to)).map(([from]) => from);
}

export const canMove = (from: Status, to: AgencyStatus) => STATUS_TABLE.transitions[from]?.includes(to) ?? false;

/** A route and every route above it: "33.75" → ["33.75", "33", "national"]. */
export function lineage(code: string, index: RouteIndex): string[] {
  const out: string[] = [];
  for (let c: string | null | undefined = code; c && !out.includes(c); c = index.routes.get(c)?.parent) out.push(c);
  return out;
}

/** An agency may answer for a complaint that is with it, or with a region below it (a province for its regencies, the national desk for all). */
export const mayAnswerFor = (agency: string, routeCode: string, index: RouteIndex) => lineage(routeCode, index).includes(agency);

export type Reroute = { ok: true; route: Route } | { ok: false; field: 'region' | 'status'; message: string };

/**
 * Where a complaint goes when `agency` answers "bukan wewenang": the region it names (a code or keyword), else the
 * agency's parent (regency → province → national), each as its nearest active route. The national desk has no
 * one to pass it to: no complaint may end with nobody.
 */
export function rerouteTarget(agency: string, region: string | undefined, current: string, index: RouteIndex): Reroute {
  if (region) {
    const named = namedRegion(region, index);
    if (!named) return { ok: false, field: 'region', message: `Unknown region "${region}" (a region code such as "33" or a keyword such as "JawaTengahProv")` };
    const route = activeRoute(named.code, index);
    if (route.code === current) return { ok: false, field: 'region', message: `The complaint is already with ${route.name}` };
    return { ok: true, route };
  }
  if (agency === NATIONAL_CODE) return { ok: false, field: 'status', message: 'The national desk cannot answer bukan_wewenang: there is no one above it to take the complaint' };
  const parent = index.routes.get(agency)?.parent ?? NATIONAL_CODE;
  return { ok: true, route: activeRoute(parent, index) };
}
