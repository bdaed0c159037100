/** Property-based: the resolver and the web normalize() never throw and never produce an invalid complaint. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeWebSubmission, WebSubmission } from '../adapters/web/normalize.js';
import { Complaint, newComplaintId } from '../src/complaint.js';
import { buildRouteIndex, resolveMessage } from '../src/keyword.js';
import { seedRoutes } from '../src/route.js';

const routes = seedRoutes();
const index = buildRouteIndex(routes);
const keywords = routes.flatMap((r) => [r.keyword, ...r.aliases]);

/** Messages shaped like what citizens send: maybe LAPOR, maybe a keyword (mangled), then anything. */
const message = fc.tuple(
  fc.constantFrom('', 'LAPOR ', 'lapor! ', '  '),
  fc.oneof(fc.constantFrom(...keywords), fc.string({ maxLength: 20 }), fc.constant('')),
  fc.constantFrom(' ', ': ', '-', ',', '\n', ''),
  fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constant('')),
).map(([prefix, keyword, separator, rest]) => `${prefix}${keyword}${separator}${rest}`);

describe('keyword resolution, for any text', () => {
  it('never throws, always names an existing active route, and keeps the complaint inside the message', () => {
    fc.assert(fc.property(message, (text) => {
      const r = resolveMessage(text, index);
      expect(index.routes.get(r.route.code)?.active).toBe(true);
      expect(text.normalize('NFC')).toContain(r.complaintText);
      if (r.keyword !== null) expect(text.normalize('NFC')).toContain(r.keyword);
      else expect(r.matchType).toBe('none');
    }), { numRuns: 3000 });
  });

  it('finds every keyword whatever the case and the separator after it', () => {
    fc.assert(fc.property(fc.constantFrom(...routes), fc.constantFrom(' ', ': ', ' - ', ', ', '\n'), fc.boolean(), (route, sep, upper) => {
      const word = upper ? route.keyword.toUpperCase() : route.keyword.toLowerCase();
      const r = resolveMessage(`${word}${sep}jalan rusak parah`, index);
      expect(r.matched.code).toBe(route.code);
      expect(r.complaintText).toBe('jalan rusak parah');
    }), { numRuns: 1000 });
  });
});

describe('web normalize(), for any submission', () => {
  const submission = fc.record({
    text: fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 4100 }), message),
    region: fc.option(fc.oneof(fc.constantFrom(...keywords, ...routes.map((r) => r.code)), fc.string({ maxLength: 90 })), { nil: undefined }),
    name: fc.option(fc.string({ unit: 'grapheme', maxLength: 210 }), { nil: undefined }),
    phone: fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('081234567890', '+62 812-3456-7890', '6281234567890')), { nil: undefined }),
    email: fc.option(fc.oneof(fc.string(), fc.emailAddress()), { nil: undefined }),
    anonymous: fc.option(fc.oneof(fc.boolean(), fc.constantFrom('on', 'off', 'maybe', '')), { nil: undefined }),
    confidential: fc.option(fc.boolean(), { nil: undefined }),
  }, { requiredKeys: [] });

  it('either gives field errors or a complaint that the schema accepts', () => {
    fc.assert(fc.property(submission, (input) => {
      const parsed = WebSubmission.safeParse(input);
      if (!parsed.success) return;
      const result = normalizeWebSubmission(parsed.data, { index, receivedAt: new Date().toISOString(), messageId: 'm', address: '/' });
      if (!result.ok) {
        expect(Object.keys(result.fields).length).toBeGreaterThan(0);
        return;
      }
      const complaint = Complaint.safeParse({ ...result.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
      expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
    }), { numRuns: 2000 });
  });
});
