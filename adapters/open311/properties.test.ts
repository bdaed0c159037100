/**
 * Property-based: for any form an Open311 client can send, the channel answers with the spec's errors or a
 * complaint the schema accepts, and whatever text it holds comes back out as well-formed XML.
 */
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { Complaint, newComplaintId } from '../../src/complaint.js';
import { buildRouteIndex } from '../../src/keyword.js';
import { seedRoutes } from '../../src/route.js';
import { renderErrors, renderServiceRequests, xmlText } from './format.js';
import { newOpen311ApiKey, Open311ApiKeys } from './keys.js';
import { normalizeServiceRequest } from './normalize.js';
import { parseServiceRequest, type FormFields } from './request.js';
import { SERVICES } from './services.js';
import { serviceRequestView } from './status.js';

const routes = seedRoutes();
const index = buildRouteIndex(routes);
const client = newOpen311ApiKey('lapor-mobile');
const keys = Open311ApiKeys.parse(client.entry);
const ctx = { index, receivedAt: '2026-11-24T05:00:00.000Z', address: '/open311/v2/requests.xml' };

/** Any UTF-16 code unit, lone surrogates included: more than a form can carry, as much as a record might. */
const anyText = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const text = (maxLength: number) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), anyText(maxLength));

/** Mostly what a client sends, now and then anything: so both the complaints and the errors are reached. */
const mostly = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: hostile, weight: 1 });
const degrees = (limit: number) => fc.double({ min: -limit, max: limit, noNaN: true }).map((d) => d.toFixed(6));

const form = fc.record({
  api_key: mostly(fc.constant(client.key), fc.constantFrom('', 'o311_wrong')),
  service_code: mostly(fc.constantFrom(...SERVICES.map((s) => s.code)), fc.string({ maxLength: 70 })),
  jurisdiction_id: maybe(mostly(fc.constantFrom(...routes.flatMap((r) => [r.code, r.keyword, ...r.aliases])), fc.string({ maxLength: 90 }))),
  point: maybe(mostly(fc.tuple(degrees(90), degrees(180)), fc.tuple(fc.oneof(degrees(95), fc.string({ maxLength: 12 })), fc.string({ maxLength: 12 })))),
  address_string: maybe(mostly(text(500), text(520))),
  address_id: maybe(fc.string({ maxLength: 70 })),
  email: maybe(mostly(
    fc.tuple(fc.stringMatching(/^[a-z0-9]{1,10}([._-][a-z0-9]{1,10})?$/), fc.constantFrom('example.org', 'mail.go.id')).map(([user, domain]) => `${user}@${domain}`),
    fc.oneof(fc.emailAddress(), fc.string({ maxLength: 40 })),
  )),
  first_name: maybe(mostly(text(99), text(110))),
  last_name: maybe(mostly(text(99), text(110))),
  phone: maybe(mostly(fc.constantFrom('081234567890', '+62 812-3456-7890', '6281234567890', '+1 415 555 0100'), fc.string({ maxLength: 40 }))),
  description: mostly(
    fc.tuple(fc.constantFrom(...routes.map((r) => r.keyword), 'LAPOR', ''), fc.constantFrom(' ', ': ', ''), text(300)).map(([k, s, t]) => `${k}${s}${t}`),
    text(4100),
  ),
  media_url: maybe(mostly(fc.webUrl(), fc.string({ maxLength: 40 }))),
  device_id: maybe(fc.string({ maxLength: 130 })),
  account_id: maybe(fc.string({ maxLength: 130 })),
  'attribute[anonim]': maybe(mostly(fc.constantFrom('ya', 'tidak', 'YA', ' Tidak '), fc.constantFrom('x', ''))),
  'attribute[rahasia]': maybe(mostly(fc.constantFrom('ya', 'tidak'), fc.constant('mungkin'))),
  'attribute[other]': maybe(mostly(fc.constant(undefined), fc.string({ maxLength: 5 }))),
}, { requiredKeys: ['api_key', 'service_code', 'description'] });

/** Sometimes a field arrives twice, as a repeated form field does. */
const fields = fc.tuple(form, mostly(fc.constant(false), fc.constant(true))).map(([{ point, ...values }, repeat]): FormFields => {
  const out: FormFields = Object.create(null);
  if (point) [out.lat, out.long] = repeat ? [[point[0], point[0]], point[1]] : point;
  for (const [name, value] of Object.entries(values)) if (value !== undefined) out[name] = value;
  return out;
});

const xml = new XMLParser({ parseTagValue: false, trimValues: false, ignoreDeclaration: true });

function expectWellFormed(body: string): void {
  expect(XMLValidator.validate(body)).toBe(true);
  expect(body).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/u);
}

describe('Open311 POST requests, for any form', () => {
  it('answers with the spec’s errors or a complaint that the schema accepts', () => {
    fc.assert(fc.property(fields, (input) => {
      const parsed = parseServiceRequest(input, keys);
      const outcome = parsed.ok ? normalizeServiceRequest(parsed.value, ctx) : parsed;
      if (!outcome.ok) {
        expect([400, 403, 404]).toContain(outcome.status);
        expect(outcome.errors.length).toBeGreaterThan(0);
        expectWellFormed(renderErrors(outcome.errors, 'xml').body);
        return;
      }
      const complaint = Complaint.safeParse({ ...outcome.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
      expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
      expect(outcome.draft.channel).toBe('open311');
      expect(outcome.dedupKey.startsWith('lapor-mobile:')).toBe(true);
    }), { numRuns: 3000 });
  });
});

describe('Open311 XML, for any text', () => {
  it('is well-formed and reads back as the text, less only what XML cannot carry', () => {
    fc.assert(fc.property(anyText(300), anyText(100), (description, note) => {
      const view = serviceRequestView({
        trackingId: 'TESTTRK1', status: 'ditindaklanjuti', routeName: note, receivedAt: '2026-11-24T05:00:00Z',
        timeline: [{ status: 'ditindaklanjuti', note, at: '2026-11-25T05:00:00Z' }], description, serviceCode: null, confidential: false,
        location: { address: description },
      });
      const body = renderServiceRequests([view], 'xml').body;
      expectWellFormed(body);
      const request = (xml.parse(body) as { service_requests: { request: Record<string, string> } }).service_requests.request;
      expect(request.description).toBe(xmlText(description));
      expect(request.address).toBe(xmlText(description));
      expect(request.agency_responsible).toBe(xmlText(note));
      expect(JSON.parse(renderServiceRequests([view], 'json').body)).toEqual([view]);
    }), { numRuns: 2000 });
  });
});
