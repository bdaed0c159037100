/**
 * Table-driven: the cases live in cases/*.json (the spec's own example requests and responses among them).
 * Every XML body is checked against XML 1.0 and read back; every draft against the Complaint schema.
 */
import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { Complaint, newComplaintId, type ComplaintDraft } from '../../src/complaint.js';
import { buildRouteIndex } from '../../src/keyword.js';
import { seedRoutes } from '../../src/route.js';
import { encodeTracking } from '../../src/tracking.js';
import * as format from './format.js';
import { findApiClient, loadOpen311ApiKeys, newOpen311ApiKey, Open311ApiKeys } from './keys.js';
import { normalizeServiceRequest, type Open311Outcome } from './normalize.js';
import { formFields, parseRequestQuery, parseRequestsQuery, parseServiceDefinitionQuery, parseServiceRequest, parseServicesQuery, splitFormat } from './request.js';
import { serviceRequestView, type ComplaintStatusRecord } from './status.js';

const read = <T>(file: string) => JSON.parse(readFileSync(new URL(`./cases/${file}`, import.meta.url), 'utf8')) as T;

const index = buildRouteIndex(seedRoutes());
const client = newOpen311ApiKey('lapor-mobile');
const keys = Open311ApiKeys.parse(client.entry);
const ctx = { index, receivedAt: '2026-11-24T05:00:00.000Z', address: '/open311/v2/requests.json' };

const withKey = (body: string) => body.replaceAll('{KEY_UPPER}', client.key.toUpperCase()).replaceAll('{KEY}', client.key);

function submit(body: string): Open311Outcome {
  const parsed = parseServiceRequest(formFields(withKey(body)), keys);
  return parsed.ok ? normalizeServiceRequest(parsed.value, ctx) : parsed;
}

function expectFailure(outcome: { ok: boolean }, status: number, fragments: string[]): void {
  expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
  const { errors, status: actual } = outcome as unknown as format.Open311Failure;
  expect(actual).toBe(status);
  const descriptions = errors.map((e) => e.description);
  for (const fragment of fragments) expect(descriptions.some((d) => d.includes(fragment)), `${fragment} in ${JSON.stringify(descriptions)}`).toBe(true);
  expect(errors.every((e) => e.code === status)).toBe(true);
}

function expectValidComplaint(draft: ComplaintDraft): void {
  const complaint = Complaint.safeParse({ ...draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
  expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
}

const strictXml = new XMLParser({ parseTagValue: false, trimValues: false, ignoreDeclaration: true });
const lenientXml = new XMLParser({ parseTagValue: false, trimValues: true, ignoreDeclaration: true });

/** An XML body as any reader sees it; fails unless it is well-formed XML 1.0 with the spec's declaration. */
function readXml(body: string, parser = strictXml): Record<string, unknown> {
  expect(body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n')).toBe(true);
  expect(XMLValidator.validate(body)).toBe(true);
  expect(body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/u);
  return parser.parse(body) as Record<string, unknown>;
}

/** The view a new complaint gets, so every accepted request is also rendered. */
const viewOf = (draft: ComplaintDraft, serviceCode: string) => serviceRequestView({
  trackingId: 'TESTTRK1', status: 'received', routeName: draft.region.name, receivedAt: draft.receivedAt, timeline: [],
  description: draft.text, location: draft.location, attachments: draft.attachments, serviceCode, confidential: false,
});

const renderers = {
  services: format.renderServiceList,
  definition: format.renderServiceDefinition,
  created: format.renderCreatedRequests,
  requests: format.renderServiceRequests,
  errors: format.renderErrors,
} as Record<string, (data: never, f: format.Format) => format.Rendered>;

describe("the spec's example responses", () => {
  interface SpecExample { label: string; resource: keyof typeof renderers; data: unknown; xml: string; specOnly: string[] }
  const without = (value: unknown, fields: string[]): unknown => {
    if (Array.isArray(value)) return value.map((v) => without(v, fields));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).filter(([k]) => !fields.includes(k)).map(([k, v]) => [k, without(v, fields)]));
  };

  it.each(read<SpecExample[]>('spec-examples.json'))('$label', (c) => {
    const render = renderers[c.resource]!;
    const json = render(c.data as never, 'json');
    expect(json.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(json.body)).toEqual(c.data);
    const xml = render(c.data as never, 'xml');
    expect(xml.contentType).toBe('text/xml; charset=utf-8');
    expect(readXml(xml.body, lenientXml)).toEqual(without(lenientXml.parse(c.xml), c.specOnly));
  });

  it('writes the error example byte for byte as the builder formats it', () => {
    expect(format.renderErrors([{ code: 403, description: 'api_key is not valid' }], 'xml').body).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<errors>\n  <error>\n    <code>403</code>\n    <description>api_key is not valid</description>\n  </error>\n</errors>\n');
  });

  it('writes empty lists as empty elements and empty arrays', () => {
    expect(format.renderServiceRequests([], 'json').body).toBe('[]');
    expect(readXml(format.renderServiceRequests([], 'xml').body)).toEqual({ service_requests: '' });
  });
});

describe('POST requests', () => {
  interface PostCase {
    label: string; body: string;
    expect?: { text?: string; rawText?: string; region?: object; reporter?: object; location?: object | null; attachments?: object[]; extras?: object };
    error?: { status: number; descriptions: string[] };
  }

  it.each(read<PostCase[]>('post-requests.json'))('$label', (c) => {
    const outcome = submit(c.body);
    if (c.error) return expectFailure(outcome, c.error.status, c.error.descriptions);
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (!outcome.ok) return;
    const { draft } = outcome;
    const { extras, location, reporter, attachments, ...rest } = c.expect!;
    expect(draft).toMatchObject({ channel: 'open311', receivedAt: ctx.receivedAt, source: { address: ctx.address }, ...rest });
    if (reporter) expect(draft.reporter).toEqual(reporter);
    if (location !== undefined) expect(draft.location ?? null).toEqual(location);
    if (attachments) expect(draft.attachments).toEqual(attachments);
    if (extras) expect(draft.source.extras).toEqual(extras);
    expectValidComplaint(draft);
  });

  const body = 'api_key={KEY}&service_code=pengaduan-umum&device_id=d1&description=BatangKab+jembatan+ambruk&attribute[rahasia]=ya&attribute[anonim]=tidak';
  const keyOf = (b: string) => { const o = submit(b); if (!o.ok) throw new Error(JSON.stringify(o)); return o; };

  it('makes a resent request the same request: the same dedup key and message id, whatever the field order and spacing', () => {
    const first = keyOf(body);
    const again = keyOf('attribute[anonim]=tidak&description=++BatangKab+jembatan+ambruk+&device_id=d1&attribute[rahasia]=ya&service_code=pengaduan-umum&api_key={KEY}');
    expect(again.dedupKey).toBe(first.dedupKey);
    expect(again.draft.source.messageId).toBe(first.draft.source.messageId);
    expect(first.dedupKey).toMatch(/^lapor-mobile:[0-9a-f]{64}$/);
  });

  it('makes any other field, or another app, another request', () => {
    const first = keyOf(body).dedupKey;
    expect(keyOf(body.replace('device_id=d1', 'device_id=d2')).dedupKey).not.toBe(first);
    expect(keyOf(body.replace('rahasia]=ya', 'rahasia]=tidak')).dedupKey).not.toBe(first);
    expect(keyOf(`${body}&account_id=a1`).dedupKey).not.toBe(first);
    const other = newOpen311ApiKey('kota-app');
    const parsed = parseServiceRequest(formFields(withKey(body).replace(client.key, other.key)), [...keys, ...Open311ApiKeys.parse(other.entry)]);
    const outcome = parsed.ok ? normalizeServiceRequest(parsed.value, ctx) : parsed;
    expect(outcome.ok && outcome.dedupKey).toBe(`kota-app:${first.split(':')[1]}`);
  });

  it('answers with the tracking number and what happens next', () => {
    const outcome = keyOf(body);
    const created = [{ service_request_id: 'TESTTRK1', service_notice: outcome.service.notice }];
    expect(JSON.parse(format.renderCreatedRequests(created, 'json').body)).toEqual(created);
    expect(readXml(format.renderCreatedRequests(created, 'xml').body, lenientXml)).toEqual({ service_requests: { request: created[0] } });
    expect(outcome.service.notice).toContain('3 hari kerja');
  });
});

describe('GET queries', () => {
  interface QueryCase {
    label: string; method: 'requests' | 'request' | 'services' | 'definition'; query?: string; path?: string;
    ids?: string[]; services?: string[]; destination?: string | null; attributes?: string[];
    error?: { status: number; descriptions: string[] };
  }
  const manyIds = Array.from({ length: 101 }, (_, i) => encodeTracking(i)).join(',');

  it.each(read<QueryCase[]>('queries.json'))('$label', (c) => {
    const query = formFields((c.query ?? '').replace('{101 IDS}', manyIds));
    const result = c.method === 'requests' ? parseRequestsQuery(query, index)
      : c.method === 'request' ? parseRequestQuery(c.path!, query, index)
        : c.method === 'services' ? parseServicesQuery(query, index)
          : parseServiceDefinitionQuery(c.path!, query, index);
    if (c.error) return expectFailure(result, c.error.status, c.error.descriptions);
    expect(result.ok, JSON.stringify(result)).toBe(true);
    if (!result.ok) return;
    if (c.ids) expect([result.value].flat()).toEqual(c.ids);
    if (c.services) {
      const services = result.value as format.ServiceListEntry[];
      expect(services.map((s) => s.service_code)).toEqual(c.services);
      for (const s of services) {
        expect(s).toMatchObject({ metadata: true, type: 'realtime' });
        if (c.destination) expect(s.description.endsWith(` Laporan diteruskan ke ${c.destination}.`)).toBe(true);
        else expect(s.description).not.toContain('diteruskan ke');
      }
    }
    if (c.attributes) expect((result.value as format.ServiceDefinition).attributes.map((a) => a.code)).toEqual(c.attributes);
  });

  it('reads the format from the last dot of a path segment', () => {
    expect(splitFormat('requests.json')).toEqual({ name: 'requests', format: 'json' });
    expect(splitFormat('services.XML')).toEqual({ name: 'services', format: 'xml' });
    expect(splitFormat('v1.2.xml')).toEqual({ name: 'v1.2', format: 'xml' });
    for (const bad of ['requests', 'requests.html', '.json', 'requests.']) expect(splitFormat(bad)).toBeNull();
  });
});

describe('status for GET requests', () => {
  interface StatusCase { label: string; record: ComplaintStatusRecord; expect: Partial<format.ServiceRequestView> }
  const FIELDS = ['service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible', 'service_notice',
    'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'lat', 'long', 'media_url'];

  it.each(read<StatusCase[]>('status.json'))('$label', (c) => {
    const view = serviceRequestView(c.record);
    expect(view).toMatchObject(c.expect);
    expect(Object.keys(view)).toEqual(FIELDS);
    for (const f of ['json', 'xml'] as const) expect(format.renderServiceRequests([view], f).body).not.toMatch(/reporter|phone|email|first_name|last_name/);
  });

  it('never shows the reporter, even when the record carries them', () => {
    const record = { trackingId: 'TESTTRK1', status: 'received', routeName: null, receivedAt: '2026-11-24T05:00:00Z', timeline: [], description: 'x',
      serviceCode: null, confidential: false, reporter: { name: 'Siti Aminah', phone: '+6281234567890', email: 'siti@example.org' } } as ComplaintStatusRecord;
    const body = format.renderServiceRequests([serviceRequestView(record)], 'xml').body;
    expect(body).not.toMatch(/Siti|6281234567890|example\.org/);
  });

  it('clips a description to the spec’s 4,000 characters without splitting a character', () => {
    const record = { trackingId: 'TESTTRK1', status: 'received', routeName: null, receivedAt: '2026-11-24T05:00:00Z', timeline: [], serviceCode: null, confidential: false } as const;
    expect(serviceRequestView({ ...record, description: 'x'.repeat(9000) }).description).toHaveLength(4000);
    expect(serviceRequestView({ ...record, description: `${'x'.repeat(3999)}💩` }).description).toBe('x'.repeat(3999));
  });
});

describe('API keys', () => {
  it('makes a key whose entry admits it, and only it', () => {
    const other = newOpen311ApiKey('kota.pekalongan@pemda');
    const all = loadOpen311ApiKeys({ OPEN311_API_KEYS: `${client.entry}, ${other.entry}` });
    expect(client.key).toMatch(/^o311_[A-Za-z0-9_-]{43}$/);
    expect(client.entry).toMatch(/^lapor-mobile:[0-9a-f]{64}$/);
    expect(client.entry).not.toContain(client.key);
    expect(findApiClient(all, client.key)).toBe('lapor-mobile');
    expect(findApiClient(all, other.key)).toBe('kota.pekalongan@pemda');
    for (const wrong of ['', client.key.slice(0, -1), `${client.key} `, client.entry]) expect(findApiClient(all, wrong)).toBeNull();
  });

  it('means nobody may submit when unset', () => {
    expect(loadOpen311ApiKeys({})).toEqual([]);
    expectFailure(parseServiceRequest(formFields('api_key=anything&service_code=pengaduan-umum&description=x'), []), 403, ['api_key is not valid']);
  });

  it('stops start-up on a bad entry, naming the variable and never echoing a hash', () => {
    expect(() => loadOpen311ApiKeys({ OPEN311_API_KEYS: 'app:abc' })).toThrow(/OPEN311_API_KEYS: entry "app:…" is not name:sha256/);
    expect(() => loadOpen311ApiKeys({ OPEN311_API_KEYS: `${client.entry},${client.entry}` })).toThrow(/the name "lapor-mobile" appears twice/);
    expect(() => loadOpen311ApiKeys({ OPEN311_API_KEYS: client.entry.replace('lapor-mobile', 'lapor mobile') })).toThrow(/OPEN311_API_KEYS/);
    expect(() => newOpen311ApiKey('bad name')).toThrow(/1–64 letters/);
  });
});

describe('hostile input', () => {
  interface HostileCase { label: string; body: string; pad?: { text: string; times: number }; status: number; descriptions?: string[]; text?: string }

  it.each(read<HostileCase[]>('hostile.json'))('$label → $status', (c) => {
    const outcome = submit(c.pad ? c.body.replaceAll('{PAD}', c.pad.text.repeat(c.pad.times)) : c.body);
    if (c.status !== 200) {
      expectFailure(outcome, c.status, c.descriptions ?? []);
      const { errors } = outcome as format.Open311Failure;
      expect(JSON.parse(format.renderErrors(errors, 'json').body)).toEqual(errors);
      const xml = readXml(format.renderErrors(errors, 'xml').body) as { errors: { error: unknown } };
      const read = [xml.errors.error].flat() as Array<{ code: string; description: string }>;
      expect(read.map((e) => e.description)).toEqual(errors.map((e) => format.xmlText(e.description)));
      return;
    }
    expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.draft.text).toBe(c.text);
    expectValidComplaint(outcome.draft);
    const view = viewOf(outcome.draft, outcome.service.code);
    expect(JSON.parse(format.renderServiceRequests([view], 'json').body)).toEqual([view]);
    const xml = readXml(format.renderServiceRequests([view], 'xml').body) as { service_requests: { request: { description: string } } };
    expect(xml.service_requests.request.description).toBe(format.xmlText(c.text!));
  });

  it('replaces what XML cannot carry and keeps everything else, lone surrogates included', () => {
    const hostile = 'a\u0000b\ud800c\udc00d\ufffe\uffff\u0085\u2028 💩 e\r\nf\rg';
    expect(format.xmlText(hostile)).toBe('a\ufffdb\ufffdc\ufffdd\ufffd\ufffd\u0085\u2028 💩 e\nf\ng');
    const errors = [{ code: 400, description: hostile }];
    const xml = readXml(format.renderErrors(errors, 'xml').body) as { errors: { error: { description: string } } };
    expect(xml.errors.error.description).toBe(format.xmlText(hostile));
    expect(JSON.parse(format.renderErrors(errors, 'json').body)).toEqual(errors);
  });
});
