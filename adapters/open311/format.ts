/**
 * Open311 GeoReport v2 responses as `.json` and `.xml`. Every resource is built once as data and written in
 * either format by the spec's Spark convention: JSON is the value under the root (a list becomes an array),
 * XML wraps each list in its plural element with one singular element per item. XML is written by
 * fast-xml-parser's XMLBuilder, which escapes markup; characters XML 1.0 cannot carry at all are replaced
 * (see xmlText).
 */
import { XMLBuilder } from 'fast-xml-parser';

export const FORMATS = ['json', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** A response body and the content type it is sent with. */
export interface Rendered { contentType: string; body: string }

/** One entry of `GET services`. */
export interface ServiceListEntry {
  service_code: string;
  service_name: string;
  description: string;
  metadata: boolean;
  type: 'realtime' | 'batch' | 'blackbox';
  keywords: string;
  group: string;
}

export interface ServiceAttributeValue { key: string; name: string }

export interface ServiceAttribute {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string | null;
  order: number;
  description: string;
  values: ServiceAttributeValue[];
}

/** `GET services/{service_code}`. */
export interface ServiceDefinition { service_code: string; attributes: ServiceAttribute[] }

/** One entry of the `POST requests` answer. */
export interface CreatedRequest { service_request_id: string; service_notice: string | null }

/** One entry of `GET requests` and `GET requests/{id}`: the complaint as the public may see it. */
export interface ServiceRequestView {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

/** The spec's error entry; `code` is the HTTP status it comes with. */
export interface Open311Error { code: number; description: string }

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
