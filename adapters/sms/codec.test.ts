import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText, decodeText, encodeSms, fitSms, splitUdh, type Dc0Reading } from './codec.js';

interface CodecCases {
  decode: Array<{ label: string; hex: string; dataCoding: number; dc0?: Dc0Reading; expect: unknown }>;
  udh: Array<{ label: string; hex: string; expect: { concat: unknown; body: string; flags?: string[] } }>;
  encode: Array<{ label: string; text: string; expect: { dataCoding: number; partSizes: number[] } }>;
  fit: Array<{ label: string; text: string; maxParts: number; expect: { cut: boolean; dataCoding: number; parts: number } }>;
}
const cases: CodecCases = JSON.parse(readFileSync(new URL('./codec-cases.json', import.meta.url), 'utf8'));

describe('decoding MO octets (codec-cases.json)', () => {
  it.each(cases.decode)('$label', ({ hex, dataCoding, dc0, expect: expected }) => {
    expect(decodeText(Buffer.from(hex, 'hex'), dataCoding, dc0)).toEqual(expected);
  });
});

describe('user data headers (codec-cases.json)', () => {
  it.each(cases.udh)('$label', ({ hex, expect: expected }) => {
    const { body, concat, flags } = splitUdh(Buffer.from(hex, 'hex'));
    expect({ concat, body: body.toString('hex'), flags }).toEqual({ flags: [], ...expected });
  });
});

describe('encoding replies (codec-cases.json)', () => {
  it.each(cases.encode)('$label', ({ text, expect: expected }) => {
    const { dataCoding, parts } = encodeSms(text);
    expect({ dataCoding, partSizes: parts.map((p) => p.length) }).toEqual(expected);
    expect(decodeText(Buffer.concat(parts), dataCoding).text).toBe(text);
  });

  it('round-trips any text through the chosen coding, parts within SMS limits', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '€', '{', '@', 'é', 'ā', '😡', 'Ω', '\n'), maxLength: 600 }), (text) => {
      const { dataCoding, parts } = encodeSms(text);
      expect(decodeText(Buffer.concat(parts), dataCoding).text).toBe(text);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(parts.length > 1 ? (dataCoding === 8 ? 134 : 153) : 160);
    }));
  });
});

describe('fitting a reply into a number of SMS (codec-cases.json)', () => {
  it.each(cases.fit)('$label', ({ text, maxParts, expect: expected }) => {
    const fitted = fitSms(text, maxParts);
    const { dataCoding, parts } = encodeSms(fitted);
    expect({ cut: fitted !== text, dataCoding, parts: parts.length }).toEqual(expected);
    if (fitted !== text) {
      expect(fitted.endsWith('...')).toBe(true);
      expect(text.startsWith(fitted.slice(0, -3).trimEnd())).toBe(true);
      // As long as it can be: one more character would not fit.
      expect(encodeSms(`${[...text].slice(0, [...fitted].length - 2).join('')}...`).parts.length).toBeGreaterThan(maxParts);
    }
  });
});

describe('cleaning text', () => {
  it('normalizes to NFC, drops control characters, keeps newlines and emoji sequences', () => {
    expect(cleanText('  cafe\u0301\u0000\u0007 ok\r\nbaris\tdua 👨‍👩‍👧 ')).toBe('café ok\nbaris dua 👨‍👩‍👧');
  });
});
