/**
 * SMS octets ⇄ text, the way handsets and SMSCs send them: GSM 03.38 (unpacked septets, one per
 * octet, with the extension table), IA5, Latin-1 and UCS-2; UDH concatenation headers; and the
 * splitting of long replies into concatenated parts. Pure functions, no I/O.
 */

/** GSM 03.38 default alphabet, indexed by septet (0x1B is the escape to the extension table). */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** GSM 03.38 extension table: escape + septet → character. */
const GSM_EXTENSION: Record<number, string> = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };
const ESC = 0x1b;

const GSM_ENCODE = new Map<string, number[]>();
[...GSM_BASIC].forEach((ch, septet) => { if (septet !== ESC) GSM_ENCODE.set(ch, [septet]); });
for (const [septet, ch] of Object.entries(GSM_EXTENSION)) GSM_ENCODE.set(ch, [ESC, Number(septet)]);

export type Dc0Reading = 'gsm' | 'latin1';
export type TextEncoding = 'gsm' | 'ia5' | 'latin1' | 'ucs2' | 'hex';

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
  /** Anything odd about the octets: the text is still kept, these say what to look at. */
  flags: string[];
}

function decodeGsm(octets: Buffer, flags: string[]): string {
  let text = '';
  for (let i = 0; i < octets.length; i++) {
    const septet = octets[i]!;
    if (septet > 0x7f) { text += '\ufffd'; flags.push('gsm-octet-over-7-bits'); continue; }
    if (septet !== ESC) { text += GSM_BASIC[septet]; continue; }
    const next = octets[++i];
    if (next === undefined) break;
    // An unknown extension shows the default-table character (3GPP TS 23.038 §6.2.1.1).
    text += GSM_EXTENSION[next] ?? GSM_BASIC[next & 0x7f];
  }
  return text;
}

function decodeUcs2(octets: Buffer, flags: string[]): string {
  let even = octets;
  if (octets.length % 2) { flags.push('ucs2-odd-length'); even = octets.subarray(0, octets.length - 1); }
  // UTF-16BE: surrogate pairs (emoji) survive as long as parts are joined before decoding.
  return Buffer.from(even).swap16().toString('utf16le');
}

/**
 * Decode a message body by its SMPP data_coding. dc 0 is "SMSC default": GSM 03.38 for most
 * SMSCs, Latin-1 for some (configurable per SMSC). Unknown codings are kept as hex and flagged.
 */
export function decodeText(octets: Buffer, dataCoding: number, dc0: Dc0Reading = 'gsm'): DecodedText {
  const flags: string[] = [];
  // GSM 03.38 "data coding/message class" group: bit 2 says 8-bit data, else the default alphabet.
  const coding = (dataCoding & 0xf0) === 0xf0 ? ((dataCoding & 0x04) ? 0x04 : 0x00) : dataCoding;
  switch (coding) {
    case 0x00:
      return dc0 === 'latin1'
        ? { text: octets.toString('latin1'), encoding: 'latin1', flags }
        : { text: decodeGsm(octets, flags), encoding: 'gsm', flags };
    case 0x01: {
      if (octets.some((o) => o > 0x7f)) flags.push('ia5-octet-over-7-bits');
      return { text: octets.toString('latin1'), encoding: 'ia5', flags };
    }
    case 0x03:
      return { text: octets.toString('latin1'), encoding: 'latin1', flags };
    case 0x08:
      return { text: decodeUcs2(octets, flags), encoding: 'ucs2', flags };
    default:
      return { text: octets.toString('hex'), encoding: 'hex', flags: [`unsupported-data-coding-0x${dataCoding.toString(16).padStart(2, '0')}`] };
  }
}

/** Control characters out (newlines kept, tabs become spaces), Unicode in NFC, ends trimmed. */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(/[^\P{Cc}\n]/gu, '').trim();
}

export interface Concatenation { scheme: 'udh8' | 'udh16' | 'sar'; ref: number; total: number; seq: number }

/** Split the User Data Header off a body sent with esm_class UDHI; reads the concatenation IE. */
export function splitUdh(octets: Buffer): { body: Buffer; concat: Concatenation | null; flags: string[] } {
  const udhl = octets[0];
  if (udhl === undefined || udhl + 1 > octets.length) return { body: octets, concat: null, flags: ['udh-malformed'] };
  let concat: Concatenation | null = null;
  for (let i = 1; i + 1 < udhl + 1;) {
    const iei = octets[i]!;
    const len = octets[i + 1]!;
    const ie = octets.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) concat = { scheme: 'udh8', ref: ie[0]!, total: ie[1]!, seq: ie[2]! };
    if (iei === 0x08 && len === 4) concat = { scheme: 'udh16', ref: ie.readUInt16BE(0), total: ie[2]!, seq: ie[3]! };
    i += 2 + len;
  }
  return { body: octets.subarray(udhl + 1), concat, flags: [] };
}

/** A concatenation header that makes sense; anything else is read as a single message (23.040 §9.2.3.24.1). */
export function validConcatenation(c: Concatenation | null): c is Concatenation {
  return !!c && c.total > 1 && c.seq >= 1 && c.seq <= c.total;
}

export function udhFor(c: Omit<Concatenation, 'scheme'> & { scheme: 'udh8' | 'udh16' }): Buffer {
  return c.scheme === 'udh8'
    ? Buffer.from([0x05, 0x00, 0x03, c.ref & 0xff, c.total, c.seq])
    : Buffer.from([0x06, 0x08, 0x04, (c.ref >> 8) & 0xff, c.ref & 0xff, c.total, c.seq]);
}

/** Septets for `text` when every character is in the GSM 03.38 tables, else null. */
export function encodeGsm(text: string): Buffer | null {
  const septets: number[] = [];
  for (const ch of text) {
    const s = GSM_ENCODE.get(ch);
    if (!s) return null;
    septets.push(...s);
  }
  return Buffer.from(septets);
}

export function encodeUcs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

export interface EncodedSms { dataCoding: 0x00 | 0x08; parts: Buffer[] }

/**
 * A reply as SMS bodies: GSM 03.38 when the text allows it (160 septets, 153 per part) else UCS-2
 * (70 characters, 67 per part). Parts never split an escape sequence or a surrogate pair.
 */
export function encodeSms(text: string): EncodedSms {
  const gsm = encodeGsm(text);
  if (gsm) {
    if (gsm.length <= 160) return { dataCoding: 0x00, parts: [gsm] };
    return { dataCoding: 0x00, parts: chunk(gsm, 153, 1, (buf, end) => buf[end - 1] === ESC) };
  }
  const ucs2 = encodeUcs2(text);
  if (ucs2.length <= 140) return { dataCoding: 0x08, parts: [ucs2] };
  return { dataCoding: 0x08, parts: chunk(ucs2, 134, 2, (buf, end) => { const unit = buf.readUInt16BE(end - 2); return unit >= 0xd800 && unit <= 0xdbff; }) };
}

/**
 * `text` as at most `maxParts` SMS: cut at the end, with "..." (GSM 03.38 has no ellipsis character), when longer
 * (replies put the tracking number first, so what is cut is the end of a note). Longest prefix that fits, by halving.
 */
export function fitSms(text: string, maxParts: number): string {
  if (encodeSms(text).parts.length <= maxParts) return text;
  const chars = [...text];
  let [fits, tooLong] = [0, chars.length];
  while (tooLong - fits > 1) {
    const mid = (fits + tooLong) >> 1;
    if (encodeSms(`${chars.slice(0, mid).join('')}...`).parts.length <= maxParts) fits = mid;
    else tooLong = mid;
  }
  return `${chars.slice(0, fits).join('').trimEnd()}...`;
}

/** Cut `buf` into pieces of at most `size` octets, one unit shorter where the cut would split a pair. */
function chunk(buf: Buffer, size: number, unit: number, splitsPair: (buf: Buffer, end: number) => boolean): Buffer[] {
  const parts: Buffer[] = [];
  for (let start = 0; start < buf.length;) {
    let end = Math.min(start + size, buf.length);
    if (end < buf.length && splitsPair(buf, end)) end -= unit;
    parts.push(buf.subarray(start, end));
    start = end;
  }
  return parts;
}
