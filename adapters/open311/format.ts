/**
 * Open311 GeoReport v2 responses as `.json` and `.xml`. Every resource is built once as data and written in
 * either format by the spec's Spark convention: JSON is the value under the root (a list becomes an array),
 * XML wraps each list in its plural element with one singular element per item. XML is written by
 * fast-xml-parser's XMLBuilder, which escapes markup; characters XML 1.0 cannot carry at all are replaced
 * (see xmlText).
 */
import { XMLBuilder } from 'fast-xml-parser';
import { z } from 'zod';

export const FORMATS = ['json', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** A response body and the content type it is sent with. */
export interface Rendered { contentType: string; body: string }

/*
 * The resources as zod schemas: the types below are inferred from them, and the gateway's OpenAPI page (/docs)
 * shows them. They describe what Pintu writes; nothing is parsed with them.
 */

/** One entry of `GET services`. */
export const ServiceListEntry = z.object({
  service_code: z.string(),
  service_name: z.string(),
  description: z.string(),
  metadata: z.boolean(),
  type: z.enum(['realtime', 'batch', 'blackbox']),
  keywords: z.string(),
  group: z.string(),
});
export type ServiceListEntry = z.infer<typeof ServiceListEntry>;

export const ServiceAttributeValue = z.object({ key: z.string(), name: z.string() });
export type ServiceAttributeValue = z.infer<typeof ServiceAttributeValue>;

export const ServiceAttribute = z.object({
  variable: z.boolean(),
  code: z.string(),
  datatype: z.enum(['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist']),
  required: z.boolean(),
  datatype_description: z.string().nullable(),
  order: z.number(),
  description: z.string(),
  values: z.array(ServiceAttributeValue),
});
export type ServiceAttribute = z.infer<typeof ServiceAttribute>;

/** `GET services/{service_code}`. */
export const ServiceDefinition = z.object({ service_code: z.string(), attributes: z.array(ServiceAttribute) });
export type ServiceDefinition = z.infer<typeof ServiceDefinition>;

/** One entry of the `POST requests` answer. */
export const CreatedRequest = z.object({ service_request_id: z.string(), service_notice: z.string().nullable() });
export type CreatedRequest = z.infer<typeof CreatedRequest>;

/** One entry of `GET requests` and `GET requests/{id}`: the complaint as the public may see it. */
export const ServiceRequestView = z.object({
  service_request_id: z.string(),
  status: z.enum(['open', 'closed']),
  status_notes: z.string().nullable(),
  service_name: z.string(),
  service_code: z.string(),
  description: z.string().nullable(),
  agency_responsible: z.string().nullable(),
  service_notice: z.string().nullable(),
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  expected_datetime: z.string().nullable(),
  address: z.string().nullable(),
  lat: z.number().nullable(),
  long: z.number().nullable(),
  media_url: z.string().nullable(),
});
export type ServiceRequestView = z.infer<typeof ServiceRequestView>;

/** The spec's error entry; `code` is the HTTP status it comes with. */
export const Open311Error = z.object({ code: z.number(), description: z.string() });
export type Open311Error = z.infer<typeof Open311Error>;

/** The spec's HTTP statuses: 403 a missing or wrong api_key, 404 something that does not exist, 400 the rest. */
export interface Open311Failure { status: 400 | 403 | 404; errors: Open311Error[] }
export type Parsed<T> = { ok: true; value: T } | ({ ok: false } & Open311Failure);

export const failure = (status: Open311Failure['status'], ...descriptions: string[]): { ok: false } & Open311Failure =>
  ({ ok: false, status, errors: descriptions.map((description) => ({ code: status, description })) });

type Value = string | number | boolean | null | Value[] | { [field: string]: Value };

/** Each list's item element, as the spec names it. */
const ITEM_ELEMENT: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  attributes: 'attribute',
  values: 'value',
  errors: 'error',
};

/**
 * Characters outside XML 1.0's Char production: C0 controls other than tab, LF and CR, lone surrogates,
 * U+FFFE and U+FFFF. No escape can carry them, so they become U+FFFD. (With the u flag a surrogate pair
 * is one code point, so the surrogate range matches only lone halves.)
 */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

/** Text as every XML reader will see it: a reader turns CR LF and lone CR into LF, so it is written that way. */
export const xmlText = (text: string) => text.replace(/\r\n?/g, '\n').replace(NOT_XML_CHAR, '\uFFFD');

const xml = new XMLBuilder({
  format: true,
  indentBy: '  ',
  // Only the declaration has attributes: every other key is an element the spec names.
  ignoreAttributes: false,
  processEntities: true,
  tagValueProcessor: (_name, value) => (typeof value === 'string' ? xmlText(value) : value),
});

const DECLARATION = { '@_version': '1.0', '@_encoding': 'utf-8' };

/** XMLBuilder writes an array under a key as repeated elements of that key: lists get their item element. */
function sparkXml(name: string, value: Value): Value {
  if (Array.isArray(value)) {
    const item = ITEM_ELEMENT[name];
    if (!item) throw new Error(`no item element is defined for the list "${name}"`);
    return { [item]: value.map((v) => sparkXml(item, v)) };
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([field, v]) => [field, sparkXml(field, v)]));
  }
  return value;
}

function render(root: string, value: Value, format: Format): Rendered {
  if (format === 'json') return { contentType: CONTENT_TYPES.json, body: JSON.stringify(value) };
  return { contentType: CONTENT_TYPES.xml, body: xml.build({ '?xml': DECLARATION, [root]: sparkXml(root, value) }) };
}

// The views are plain data; the casts only widen them to the renderer's recursive value type.
export const renderServiceList = (services: ServiceListEntry[], format: Format) =>
  render('services', services as unknown as Value, format);

export const renderServiceDefinition = (definition: ServiceDefinition, format: Format) =>
  render('service_definition', definition as unknown as Value, format);

export const renderCreatedRequests = (created: CreatedRequest[], format: Format) =>
  render('service_requests', created as unknown as Value, format);

export const renderServiceRequests = (requests: ServiceRequestView[], format: Format) =>
  render('service_requests', requests as unknown as Value, format);

export const renderErrors = (errors: Open311Error[], format: Format) =>
  render('errors', errors as unknown as Value, format);
