/**
 * Property-based: the SMS decoders, UDH parsing, long-SMS reassembly (in a real Redis) and normalize()
 * never throw on any octets or text, and never produce an invalid complaint.
 */
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cleanText, decodeText, splitUdh, validConcatenation, type Concatenation } from '../adapters/sms/codec.js';
import { normalizeSms } from '../adapters/sms/normalize.js';
import { assembleText, Reassembly, type StoredPart } from '../adapters/sms/reassembly.js';
import { concatenatedMo, type ConcatScheme } from '../adapters/sms/sim/messages.js';
import { ESM } from '../adapters/sms/smpp.js';
import { Complaint, newComplaintId } from '../src/complaint.js';
import { buildRouteIndex } from '../src/keyword.js';
import { seedRoutes } from '../src/route.js';
import { uniquePrefix } from './helpers/gateway.js';

const routes = seedRoutes();
const index = buildRouteIndex(routes);
const keywords = routes.flatMap((r) => [r.keyword, ...r.aliases]);

const octets = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a));
const dataCoding = fc.oneof(fc.constantFrom(0x00, 0x01, 0x03, 0x08, 0xf0, 0xf4, 0xf6), fc.integer({ min: 0, max: 255 }));
const dc0 = fc.constantFrom('gsm' as const, 'latin1' as const);
/** Nothing but newlines among control characters; NFC. */
const isClean = (text: string) => !/[^\P{Cc}\n]/u.test(text) && text === text.normalize('NFC');

describe('SMS decoding, for any octets', () => {
  it('decodeText never throws, names its encoding, flags what it could not read, and cleans to control-free text', () => {
    fc.assert(fc.property(octets, dataCoding, dc0, (bytes, dc, reading) => {
      const decoded = decodeText(bytes, dc, reading);
      expect(['gsm', 'ia5', 'latin1', 'ucs2', 'hex']).toContain(decoded.encoding);
      if (decoded.encoding === 'hex') expect(decoded.flags).toEqual([`unsupported-data-coding-0x${dc.toString(16).padStart(2, '0')}`]);
      expect(isClean(cleanText(decoded.text))).toBe(true);
    }), { numRuns: 3000 });
  });

  it('splitUdh never throws; the body is what follows the header, and a header it cannot read is flagged', () => {
    fc.assert(fc.property(octets, (bytes) => {
      const { body, concat, flags } = splitUdh(bytes);
      expect(bytes.subarray(bytes.length - body.length).equals(body)).toBe(true);
      if (flags.includes('udh-malformed')) expect(body).toEqual(bytes);
      else expect(body.length).toBe(bytes.length - bytes[0]! - 1);
      if (concat) expect(['udh8', 'udh16']).toContain(concat.scheme);
    }), { numRuns: 3000 });
  });
});

describe('long SMS assembly, for any parts', () => {
  const part = (total: number) => fc.record({ seq: fc.integer({ min: 1, max: total }), dataCoding, octets });
  const group = fc.integer({ min: 2, max: 255 }).chain((total) => fc.record({ total: fc.constant(total), parts: fc.uniqueArray(part(total), { selector: (p) => p.seq, maxLength: 40 }) }));

  it('assembleText never throws and names exactly the parts that are missing', () => {
    fc.assert(fc.property(group, dc0, ({ total, parts }, reading) => {
      const assembled = assembleText({ total, parts: parts as StoredPart[] }, reading);
      const present = new Set(parts.map((p) => p.seq));
      expect(assembled.missing).toEqual(Array.from({ length: total }, (_, i) => i + 1).filter((s) => !present.has(s)));
      if (assembled.missing.length) expect(assembled.text).toContain(' […] ');
    }), { numRuns: 1000 });
  });
});

describe('long SMS reassembly in Redis, for any order and retransmits', () => {
  const redis = new Redis(inject('redisUrl'));
  const prefix = uniquePrefix('prop-sms');
  afterAll(() => redis.disconnect());
  const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '€', 'é', '😡', 'Ω', '\n', '{'), minLength: 160, maxLength: 900 });

  it('completes each message exactly once with its own text, whatever the order, duplicates and scheme', async () => {
    let ref = 0;
    await fc.assert(fc.asyncProperty(text, fc.constantFrom<ConcatScheme>('udh8', 'udh16', 'sar'), fc.integer({ min: 10, max: 153 }), fc.infiniteStream(fc.nat()), async (body, scheme, partOctets, randomness) => {
      const reassembly = new Reassembly(redis, prefix, 60_000);
      const coding = /[^a-z \n{€]/.test(body) ? 'ucs2' as const : 'gsm' as const;
      const pdus = concatenatedMo('081234567890', '1708', body, { scheme, ref: ref++ % 65_536, coding, partOctets: coding === 'ucs2' ? partOctets & ~1 || 2 : partOctets });
      if (pdus.length < 2) return;
      // Shuffle, and send some parts twice, as an SMSC that retransmits does.
      const draws = randomness.take(pdus.length * 3);
      const sends = [...pdus, ...pdus.filter((_, i) => (draws.next().value as number) % 3 === i % 3)]
        .map((p) => ({ p, key: draws.next().value as number })).sort((a, b) => a.key - b.key).map(({ p }) => p);
      let completed = 0;
      for (const pdu of sends) {
        const octets = pdu.short_message as Buffer;
        const { body: partBody, concat: udh } = (pdu.esm_class as number | undefined ?? 0) & ESM.UDHI ? splitUdh(octets) : { body: octets, concat: null };
        const concat: Concatenation = udh ?? { scheme: 'sar', ref: pdu.sar_msg_ref_num as number, total: pdu.sar_total_segments as number, seq: pdu.sar_segment_seqnum as number };
        expect(validConcatenation(concat)).toBe(true);
        const added = await reassembly.add(Reassembly.groupKey('+6281234567890', '1708', concat), { from: '081234567890', to: '1708' }, concat, { dataCoding: pdu.data_coding as number, octets: partBody });
        if (added.state !== 'complete') continue;
        completed++;
        expect(assembleText(added, 'gsm').text).toBe(body);
        await reassembly.finish(added);
      }
      expect(completed).toBe(1);
    }), { numRuns: 60 });
  });
});

describe('SMS normalize(), for any message', () => {
  const message = fc.record({
    from: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('081234567890', '6281234567890', '+6281234567890', '1708', '', 'TELKOMSEL')),
    to: fc.oneof(fc.constant('1708'), fc.string({ maxLength: 20 })),
    text: fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 12_000 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.tuple(fc.constantFrom('', 'LAPOR ', 'cek ', 'CEK '), fc.constantFrom(...keywords, ''), fc.constantFrom(' ', '\n', ': ', ''), fc.string({ maxLength: 200 })).map((p) => p.join('')),
    ),
    messageId: fc.string({ minLength: 1, maxLength: 40 }),
  });

  it('never throws; a complaint it makes is one the schema accepts', () => {
    fc.assert(fc.property(message, ({ from, to, text, messageId }) => {
      const outcome = normalizeSms({ from, to, text, messageId, receivedAt: new Date().toISOString(), extras: { transport: 'smpp' } }, index);
      if (outcome.kind === 'invalid') {
        expect(['from', 'to']).toContain(outcome.field);
        return;
      }
      expect(outcome.phone).toMatch(/^\+[1-9]\d{6,14}$/);
      if (outcome.kind !== 'complaint') return;
      const complaint = Complaint.safeParse({ ...outcome.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
      expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
    }), { numRuns: 3000 });
  });
});
