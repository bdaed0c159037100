/**
 * Property-based: the WhatsApp channel's normalize() never throws on any delivery Meta (or anyone posting
 * a signed body) could send, every message becomes at most one outcome, and every complaint draft it
 * produces is one the Complaint schema accepts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeDelivery } from '../adapters/whatsapp/normalize.js';
import { Complaint, newComplaintId } from '../src/complaint.js';
import { buildRouteIndex } from '../src/keyword.js';
import { seedRoutes } from '../src/route.js';

const routes = seedRoutes();
const index = buildRouteIndex(routes);
const keywords = routes.flatMap((r) => [r.keyword, ...r.aliases]);
const PHONE_NUMBER_ID = '106540352242922';

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** What citizens write: maybe LAPOR or CEK, maybe a keyword, then anything. */
const text = fc.oneof(
  fc.tuple(fc.constantFrom('', 'LAPOR ', 'cek ', 'CEK '), fc.constantFrom(...keywords, ''), fc.constantFrom(' ', '\n', ': ', ''), fc.string({ unit: 'grapheme', maxLength: 300 }))
    .map((p) => p.join('')),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 12_000 }),
);
/** Mostly well-formed, as Meta sends them; sometimes anything. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: bad });
const waId = mostly(fc.oneof(fc.constantFrom('6281234567890', '16505551234', '447700900123'), fc.stringMatching(/^[1-9]\d{6,14}$/)), fc.string({ maxLength: 20 }));
const bsuid = mostly(fc.constantFrom('ID.1502576394655843', 'US.ENT.11815799212886844830'), fc.string({ maxLength: 40 }));
const anyJson = fc.jsonValue({ maxDepth: 2 });
const mediaBody = fc.record({
  id: mostly(fc.stringMatching(/^\d{1,20}$/), fc.string({ maxLength: 30 })),
  mime_type: opt(fc.oneof(fc.constantFrom('image/jpeg', 'video/mp4', 'application/pdf', ''), fc.string({ maxLength: 250 }))),
  caption: opt(text),
  filename: opt(fc.string({ maxLength: 300 })),
}, { requiredKeys: ['id'] });
const coordinate = mostly(fc.double({ min: -90, max: 90, noNaN: true }), fc.oneof(fc.double(), fc.constant('1.5' as unknown as number)));
const choice = fc.record({ id: opt(fc.string({ maxLength: 300 })), title: text }, { requiredKeys: ['title'] });

const content = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('text'), text: mostly(fc.record({ body: text }), anyJson) }) },
  { weight: 2, arbitrary: fc.constantFrom('image', 'video', 'document').chain((type) => fc.record({ type: fc.constant(type), [type]: mostly(mediaBody, anyJson) })) },
  fc.record({ type: fc.constant('location'), location: fc.record({ latitude: coordinate, longitude: coordinate, name: opt(fc.string({ maxLength: 600 })), address: opt(fc.string({ maxLength: 600 })) }) }),
  fc.record({ type: fc.constant('interactive'), interactive: fc.record({ type: fc.constantFrom('button_reply', 'list_reply', 'nfm_reply'), button_reply: opt(choice), list_reply: opt(choice) }) }),
  fc.record({ type: fc.constant('button'), button: fc.record({ text, payload: opt(fc.string({ maxLength: 300 })) }) }),
  fc.record({ type: fc.constantFrom('reaction', 'sticker', 'audio', 'contacts', 'order', 'system', 'unsupported', 'request_welcome', 'edit', 'revoke'), extra: anyJson }),
  fc.record({ type: fc.string({ maxLength: 70 }) }),
);
const message = fc.tuple(
  fc.record({
    id: mostly(fc.string({ minLength: 1, maxLength: 80 }).map((s) => `wamid.${s}`), fc.oneof(fc.string({ maxLength: 600 }), fc.constant(undefined))),
    from: opt(waId),
    from_user_id: opt(bsuid),
    timestamp: opt(fc.oneof(fc.integer({ min: -1, max: 2 ** 40 }).map(String), fc.string({ maxLength: 12 }), fc.integer())),
    context: opt(fc.record({ id: opt(fc.string({ maxLength: 80 })), forwarded: opt(fc.boolean()), frequently_forwarded: opt(fc.boolean()) })),
  }, { requiredKeys: ['id'] }),
  content,
).map(([head, body]) => ({ ...head, ...body }));
const contact = fc.record({
  profile: opt(fc.record({ name: opt(fc.string({ unit: 'grapheme', maxLength: 400 })), username: opt(fc.string({ maxLength: 40 })) }, { requiredKeys: [] })),
  wa_id: opt(waId),
  user_id: opt(bsuid),
}, { requiredKeys: [] });
const status = fc.record({
  id: mostly(fc.string({ minLength: 1, maxLength: 80 }), fc.constant(undefined)),
  status: fc.constantFrom('sent', 'delivered', 'read', 'failed', 'deleted', ''),
  timestamp: opt(fc.string({ maxLength: 12 })),
  recipient_id: opt(waId),
  errors: opt(fc.array(fc.record({ code: mostly(fc.integer(), fc.constant('131047' as unknown as number)), title: opt(fc.string({ maxLength: 300 })) }), { maxLength: 2 })),
}, { requiredKeys: ['id'] });
const value = fc.record({
  messaging_product: fc.constant('whatsapp'),
  metadata: mostly(fc.record({ display_phone_number: opt(fc.string({ maxLength: 20 })), phone_number_id: fc.constantFrom(PHONE_NUMBER_ID, '999') }), anyJson),
  contacts: opt(fc.array(fc.oneof(contact, anyJson), { maxLength: 3 })),
  messages: opt(fc.array(mostly(message, anyJson), { maxLength: 4 })),
  statuses: opt(fc.array(mostly(status, anyJson), { maxLength: 3 })),
}, { requiredKeys: ['metadata'] });
const delivery = fc.record({
  object: fc.oneof({ weight: 9, arbitrary: fc.constant('whatsapp_business_account') }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }),
  entry: fc.array(fc.record({ id: fc.string({ maxLength: 20 }), changes: fc.array(fc.record({ field: fc.constantFrom('messages', 'account_update'), value }), { maxLength: 3 }) }), { maxLength: 3 }),
});

function readableMetadata(m: unknown): boolean {
  const { phone_number_id: id, display_phone_number: display } = (m ?? {}) as Record<string, unknown>;
  return typeof m === 'object' && !Array.isArray(m) && typeof id === 'string' && id.length > 0 && id.length <= 64
    && (display === undefined || (typeof display === 'string' && display.length <= 32));
}

describe('WhatsApp normalize(), for any delivery', () => {
  it('never throws; one outcome or one problem per message; every complaint it makes is one the schema accepts', () => {
    fc.assert(fc.property(fc.oneof({ weight: 19, arbitrary: delivery }, { weight: 1, arbitrary: anyJson }), fc.boolean(), (body, own) => {
      const result = normalizeDelivery(body, { index, receivedAt: new Date().toISOString(), ...(own && { phoneNumberId: PHONE_NUMBER_ID }) });
      if (!result.ok) {
        expect(['body', 'object', 'entry']).toContain(result.field);
        return;
      }
      const { messages, problems } = result.delivery;
      // Every message of a change whose metadata is readable gets an outcome or a problem naming it.
      const sent = (body as { entry: Array<{ changes: Array<{ field: string; value: { metadata: unknown; messages?: unknown[] } }> }> }).entry
        .flatMap((e) => e.changes).filter((c) => c.field === 'messages' && readableMetadata(c.value.metadata))
        .reduce((n, c) => n + (c.value.messages?.length ?? 0), 0);
      expect(messages.length + problems.filter((p) => /\.messages\[\d+\]/.test(p.field)).length).toBe(sent);
      for (const outcome of messages) {
        if (outcome.kind !== 'complaint') continue;
        const complaint = Complaint.safeParse({ ...outcome.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
        expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
        expect(outcome.draft.source.messageId).toBe(outcome.dedupKey);
      }
      for (const problem of problems) expect(problem.field).toMatch(/^entry\[\d+\]/);
    }), { numRuns: 2000 });
  });
});
