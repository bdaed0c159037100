/**
 * What Open311 clients send, read and checked: the form-encoded `POST requests` and the queries of the
 * GET methods. Pure: the API keys are passed in. Failures carry the spec's errors and HTTP status:
 * 403 for a missing or unknown api_key, 400 for bad input (the description names the field), 404 for
 * something that does not exist.
 */
import { z } from 'zod';
import { canonicalTrackingId, type Region } from '../../src/complaint.js';
import { namedRegion, type RouteIndex } from '../../src/keyword.js';
import { toE164 } from '../../src/phone.js';
import { failure, FORMATS, type Format, type Parsed, type ServiceDefinition, type ServiceListEntry } from './format.js';
import { findApiClient, type ApiClientKey } from './keys.js';
import { serviceDefinition, serviceList } from './services.js';

/** A decoded form or query: a repeated name gives an array (the shape @fastify/formbody and fastify's query parser give). */
export type FormFields = Record<string, string | string[] | undefined>;

/**
 * A form body decoded as WHATWG URLSearchParams does (the channel's own body parser uses it): `+` is a space, a
 * malformed escape stays as written, an escape that is not UTF-8 becomes U+FFFD (which the parser refuses).
 */
export function formFields(body: string): FormFields {
  const fields: FormFields = Object.create(null);
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = fields[name];
    // Pushed, not copied: a body of thousands of one repeated name stays linear.
    if (seen === undefined) fields[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else fields[name] = [seen, value];
  }
  return fields;
}

/** `json`, `XML` → the format; anything else is none Pintu offers. */
export function formatNamed(extension: string): Format | null {
  const format = extension.toLowerCase();
  return (FORMATS as readonly string[]).includes(format) ? (format as Format) : null;
}

/** `requests.json` → requests, json; the name may itself hold dots (a service code), the format is after the last. */
export function splitFormat(segment: string): { name: string; format: Format } | null {
  const dot = segment.lastIndexOf('.');
  const format = formatNamed(segment.slice(dot + 1));
  return dot > 0 && format ? { name: segment.slice(0, dot), format } : null;
}

/** The spec: an empty parameter means the same as an absent one. */
const blankIsAbsent = (v: unknown) => (typeof v === 'string' ? v.trim() || undefined : v);
const optional = (max: number) => z.preprocess(blankIsAbsent, z.string().max(max, `must be at most ${max} characters`).optional());

/** A field the request cannot do without; absent (or empty) is this error. */
const required = (max: number, message: string) =>
  z.preprocess(blankIsAbsent, z.string({ error: message }).max(max, `must be at most ${max} characters`));

/** A WGS84 coordinate as decimal degrees: digits, an optional sign and fraction, nothing else. */
const coordinate = (limit: number) => optional(32)
  .refine((v) => v === undefined || /^[+-]?\d{1,3}(\.\d{1,15})?$/.test(v), 'must be decimal degrees, e.g. -6.8886')
  .transform((v) => (v === undefined ? undefined : Number(v)))
  .refine((v) => v === undefined || Math.abs(v) <= limit, `must be between -${limit} and ${limit}`);

/** Attribute answers: `attribute[code]=value`, several values as `attribute[code][]=value`. */
const ATTRIBUTE = /^attribute\[([^\]]{1,64})\](\[\])?$/;
const MAX_ATTRIBUTES = 20;
const MAX_ANSWER = 200;

export const ServiceRequestForm = z.object({
  service_code: required(64, 'is required (the codes are listed by GET services)'),
  jurisdiction_id: optional(80).describe('Region code ("33.75") or keyword ("PekalonganKota"); absent → read from the start of the description'),
  lat: coordinate(90),
  long: coordinate(180),
  address_string: optional(500),
  address_id: optional(64),
  email: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v), z.email('is not an email address').max(254, 'must be at most 254 characters').optional()),
  first_name: optional(100),
  last_name: optional(100),
  phone: optional(32).refine((v) => v === undefined || toE164(v) !== null, 'is not a phone number (e.g. 081234567890 or +6281234567890)'),
  description: required(4000, 'Isi aduan wajib diisi (the complaint text is required)'),
  media_url: optional(2048).refine((v) => v === undefined || z.url({ protocol: /^https?$/ }).safeParse(v).success, 'must be an http(s) URL'),
  device_id: optional(128),
  account_id: optional(128),
}).superRefine((form, ctx) => {
  // The spec sends a point as two parameters; one without the other says nowhere.
  if ((form.lat === undefined) !== (form.long === undefined)) {
    const missing = form.lat === undefined ? 'lat' : 'long';
    ctx.addIssue({ code: 'custom', path: [missing], message: `is required with ${missing === 'lat' ? 'long' : 'lat'}` });
  }
  // They become one name, which a complaint keeps up to 200 characters.
  if ((form.first_name?.length ?? 0) + (form.last_name?.length ?? 0) >= 200) {
    ctx.addIssue({ code: 'custom', path: ['last_name'], message: 'and first_name together must be at most 199 characters' });
  }
});

/**
 * A `POST requests` that passed its checks; `apiClient` is the name of the app whose key was presented.
 * The attribute answers are checked against the service's questions when it is known (see normalize).
 */
export type ServiceRequest = z.infer<typeof ServiceRequestForm> & { attributes: Record<string, string[]>; apiClient: string };

const single = (value: string | string[] | undefined): string | undefined | null =>
  (Array.isArray(value) ? (value.length === 1 ? value[0] : null) : value);

/**
 * Read a `POST requests` form. The key is checked first: a client without a valid key learns nothing
 * about its input. A field given twice is an error, not a guess; fields the spec does not name are ignored.
 */
export function parseServiceRequest(fields: FormFields, keys: readonly ApiClientKey[]): Parsed<ServiceRequest> {
  const apiKey = single(fields.api_key);
  if (apiKey === null) return failure(403, 'api_key is given more than once');
  if (!apiKey) return failure(403, 'api_key is missing: every POST needs the key Pintu gave your app');
  const apiClient = findApiClient(keys, apiKey);
  if (!apiClient) return failure(403, 'api_key is not valid');

  // Null prototypes: a field or attribute named __proto__ is data like any other.
  const form: Record<string, unknown> = Object.create(null);
  const attributes: Record<string, string[]> = Object.create(null);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || name === 'api_key') continue;
    const attribute = ATTRIBUTE.exec(name);
    if (attribute) {
      const [, code, many] = attribute as unknown as [string, string, string | undefined];
      const values = Array.isArray(value) ? value : [value];
      if (!many && values.length > 1) problems.push(`${name} is given more than once (several values go as attribute[${code}][])`);
      if (values.some((v) => v.length > MAX_ANSWER)) problems.push(`attribute[${code}] must be at most ${MAX_ANSWER} characters`);
      attributes[code] = values;
    } else if (Object.hasOwn(ServiceRequestForm.shape, name)) {
      const one = single(value);
      if (one === null) problems.push(`${name} is given more than once`);
      else form[name] = one;
    }
  }
  if (Object.keys(attributes).length > MAX_ATTRIBUTES) problems.push(`attribute: at most ${MAX_ATTRIBUTES} attributes`);
  const parsed = ServiceRequestForm.safeParse(form);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${String(issue.path[0] ?? 'request')} ${issue.message}`);
  }
  if (problems.length > 0 || !parsed.success) return failure(400, ...problems);
  // Sorted, so the same answers always make the same request (the dedup key hashes it).
  const sorted = Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { ok: true, value: { ...parsed.data, attributes: sorted, apiClient } };
}

/** A region given as `jurisdiction_id`; absent is null (the description names it, or nothing does). */
export function jurisdictionRegion(jurisdictionId: string | undefined, index: RouteIndex): Parsed<Region | null> {
  if (jurisdictionId === undefined) return { ok: true, value: null };
  const region = namedRegion(jurisdictionId, index);
  return region ? { ok: true, value: region } : failure(404, `jurisdiction_id "${jurisdictionId}" was not found: use a region code (e.g. 33.75) or keyword (e.g. PekalonganKota)`);
}

/** The `jurisdiction_id` of a GET, resolved: every GET checks it, since the spec answers an unknown one with 404. */
function queryJurisdiction(query: FormFields, index: RouteIndex): Parsed<Region | null> {
  const value = single(query.jurisdiction_id);
  if (value === null) return failure(400, 'jurisdiction_id is given more than once');
  const parsed = optional(80).safeParse(value);
  if (!parsed.success) return failure(400, `jurisdiction_id ${parsed.error.issues[0]!.message}`);
  return jurisdictionRegion(parsed.data, index);
}

/** `GET services`: the catalogue, as the jurisdiction (if any) sees it. */
export function parseServicesQuery(query: FormFields, index: RouteIndex): Parsed<ServiceListEntry[]> {
  const region = queryJurisdiction(query, index);
  return region.ok ? { ok: true, value: serviceList(region.value) } : region;
}

/** `GET services/{service_code}`. */
export function parseServiceDefinitionQuery(serviceCode: string, query: FormFields, index: RouteIndex): Parsed<ServiceDefinition> {
  const region = queryJurisdiction(query, index);
  return region.ok ? serviceDefinition(serviceCode) : region;
}

/** One query answers at most this many complaints (the spec's default limit is 1000). */
export const MAX_REQUEST_IDS = 100;

/**
 * `GET requests`: the tracking numbers asked for. Pintu never lists complaints (they can be personal and
 * some are confidential), so `service_request_id` is required; the spec lets it override every other filter
 * (service_code, start_date, end_date, status), which are therefore not read.
 */
export function parseRequestsQuery(query: FormFields, index: RouteIndex): Parsed<string[]> {
  const region = queryJurisdiction(query, index);
  if (!region.ok) return region;
  const raw = [query.service_request_id ?? []].flat().join(',');
  const given = raw.split(',').map((id) => id.trim()).filter(Boolean);
  if (given.length === 0) return failure(400, 'service_request_id is required: Pintu answers only for tracking numbers you know (comma-separated, e.g. 7K3M9QXA,5T2BW8RD)');
  if (given.length > MAX_REQUEST_IDS) return failure(400, `service_request_id: at most ${MAX_REQUEST_IDS} tracking numbers at once`);
  const ids: string[] = [];
  for (const id of given) {
    const trackingId = canonicalTrackingId(id);
    if (!trackingId) return failure(400, `service_request_id: "${id.slice(0, 40)}" is not a tracking number (8 letters and digits, e.g. 7K3M9QXA)`);
    if (!ids.includes(trackingId)) ids.push(trackingId);
  }
  return { ok: true, value: ids };
}

/** `GET requests/{service_request_id}`: a malformed number names nothing that exists, so it is a 404 like an unknown one. */
export function parseRequestQuery(serviceRequestId: string, query: FormFields, index: RouteIndex): Parsed<string> {
  const region = queryJurisdiction(query, index);
  if (!region.ok) return region;
  const trackingId = canonicalTrackingId(serviceRequestId.slice(0, 40));
  return trackingId ? { ok: true, value: trackingId } : failure(404, `service_request_id ${serviceRequestId.slice(0, 40)} was not found`);
}
