/**
 * Table-driven: every case lives in cases/*.json. A case gives a whole webhook body (`payload`, Meta's own
 * examples) or the parts of one change (`value`: contacts, messages, statuses…) that the test wraps in the
 * envelope Meta sends, and the expected result.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Complaint, newComplaintId } from '../../src/complaint.js';
import { buildRouteIndex } from '../../src/keyword.js';
import { seedRoutes } from '../../src/route.js';
import { normalizeDelivery, type Location, type NormalizeContext } from './normalize.js';

interface Expected {
  ok?: false; field?: string;
  messages?: Array<Record<string, unknown>>;
  statuses?: Array<Record<string, unknown>>;
  problems?: Array<{ field: string; message?: string }>;
  metaErrors?: Array<Record<string, unknown>>;
  otherFields?: string[];
}
interface Case {
  label: string;
  payload?: unknown;
  value?: Record<string, unknown>;
  /** [text, n]: the first message's text.body gets `text` repeated n times appended. */
  repeatText?: [string, number];
  phoneNumberId?: string | null;
  earlierLocation?: Location;
  expect: Expected;
}

const PHONE_NUMBER_ID = '106540352242922';
const casesDir = new URL('./cases/', import.meta.url);
const files = readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort();
const index = buildRouteIndex(seedRoutes());
const receivedAt = '2026-11-24T05:00:00.000Z';

/** The body Meta posts for one change of field `messages` to our number. */
function envelope(value: Record<string, unknown>): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID }, ...value } }] }],
  };
}

function payloadOf(c: Case): unknown {
  const payload = c.payload ?? envelope(c.value!);
  if (!c.repeatText) return payload;
  const copy = structuredClone(payload) as { entry: Array<{ changes: Array<{ value: { messages: Array<{ text: { body: string } }> } }> }> };
  copy.entry[0]!.changes[0]!.value.messages[0]!.text.body += c.repeatText[0].repeat(c.repeatText[1]);
  return copy;
}

for (const file of files) {
  const cases = JSON.parse(readFileSync(new URL(file, casesDir), 'utf8')) as Case[];
  describe(`WhatsApp normalize(): cases/${file}`, () => {
    it.each(cases)('$label', (c) => {
      const ctx: NormalizeContext = {
        index, receivedAt,
        ...(c.phoneNumberId !== null && { phoneNumberId: c.phoneNumberId ?? PHONE_NUMBER_ID }),
        ...(c.earlierLocation && { earlierLocation: () => c.earlierLocation }),
      };
      const result = normalizeDelivery(payloadOf(c), ctx);
      if (c.expect.ok === false) {
        expect(result).toEqual({ ok: false, field: c.expect.field, message: expect.any(String) });
        return;
      }
      if (!result.ok) throw new Error(`expected a delivery, got ${result.field}: ${result.message}`);
      const { delivery } = result;
      expect(delivery.messages).toHaveLength(c.expect.messages?.length ?? 0);
      expect(delivery.messages).toMatchObject(c.expect.messages ?? []);
      expect(delivery.statuses).toMatchObject(c.expect.statuses ?? []);
      expect(delivery.statuses).toHaveLength(c.expect.statuses?.length ?? 0);
      expect(delivery.problems).toMatchObject(c.expect.problems ?? []);
      expect(delivery.problems).toHaveLength(c.expect.problems?.length ?? 0);
      expect(delivery.metaErrors).toEqual(c.expect.metaErrors ?? []);
      expect(delivery.otherFields).toEqual(c.expect.otherFields ?? []);
      delivery.messages.forEach((outcome, i) => {
        if (outcome.kind !== 'complaint') return;
        const expected = (c.expect.messages![i]!.draft ?? {}) as Record<string, unknown>;
        for (const exact of ['reporter', 'attachments', 'location'] as const) if (expected[exact]) expect(outcome.draft[exact]).toEqual(expected[exact]);
        // Every draft becomes a valid complaint once intake adds its ids.
        const complaint = Complaint.safeParse({ ...outcome.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
        expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
      });
    });
  });
}

describe('WhatsApp normalize(), whatever arrives', () => {
  it.each([[null], ['text'], [42], [[]], [true]])('refuses a body that is not an object (%j) without throwing', (body) => {
    expect(normalizeDelivery(body, { index, receivedAt })).toMatchObject({ ok: false, field: 'body' });
  });
});
