/**
 * The complaint: the one shape every channel produces and every queue carries.
 * This file is the single source of truth; `docs/complaint.schema.json` is generated from it
 * (`npm run schema`) and a test fails when that file is stale.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const CHANNELS = ['sms', 'twitter', 'web', 'whatsapp', 'open311'] as const;
export const LEVELS = ['regency', 'province', 'national'] as const;
export const MATCH_TYPES = ['exact', 'alias', 'fuzzy', 'ambiguous', 'none'] as const;

/** Crockford base32 without I, L, O, U: nothing a citizen can misread or mistype over SMS. */
export const TRACKING_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TRACKING_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{8}$/;
const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export const Channel = z.enum(CHANNELS);
export const Level = z.enum(LEVELS);
export const MatchType = z.enum(MATCH_TYPES);

export const Region = z.object({
  keyword: z.string().nullable().describe('The region keyword as the citizen wrote it, or null when none was found'),
  code: z.string().min(1).describe('Official code: "33.75" regency/city, "33" province, "national"'),
  name: z.string().min(1),
  level: Level,
  matchType: MatchType,
});

export const Reporter = z.object({
  name: z.string().min(1).max(200).optional(),
  phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'phone must be E.164, e.g. +6281234567890').optional(),
  email: z.email().max(254).optional(),
  twitterHandle: z.string().regex(/^[A-Za-z0-9_]{1,15}$/).optional(),
  anonymous: z.boolean().describe('The citizen asked not to be identified to the agency'),
  confidential: z.boolean().describe('The complaint content must not be published'),
});

export const Source = z.object({
  messageId: z.string().min(1).describe("The channel's own id for the message (SMPP message id, tweet id, HTTP idempotency key)"),
  address: z.string().min(1).describe('Where the citizen wrote to: shortcode, account handle or URL'),
  extras: z.record(z.string(), z.unknown()).default({}).describe('Channel-specific details'),
});

/** Scheme, colon, then an opaque id: "whatsapp-media:1013859600285441". */
export const MEDIA_REF_PATTERN = /^[a-z][a-z0-9-]{0,31}:[\x21-\x7e]{1,256}$/;

/**
 * A file the citizen sent: a URL anyone holding it can fetch, or a reference to media only the channel
 * can fetch (WhatsApp gives a media id, downloadable with the channel's token for 30 days).
 */
export const Attachment = z.union([
  z.object({
    url: z.url(),
    mediaType: z.string().min(1),
  }),
  z.object({
    ref: z.string().regex(MEDIA_REF_PATTERN, 'ref must be "<scheme>:<id>", e.g. whatsapp-media:1013859600285441')
      .describe('Media held by the channel, not fetchable by URL: "<channel>-media:<id>"'),
    mediaType: z.string().min(1),
  }),
]);

export const Location = z.object({
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
  address: z.string().max(500).optional(),
});

export const Complaint = z.object({
  version: z.literal(1),
  id: z.string().regex(ULID_PATTERN, 'id must be a ULID'),
  trackingId: z.string().regex(TRACKING_ID_PATTERN, 'trackingId must be 8 Crockford base32 characters'),
  channel: Channel,
  receivedAt: z.iso.datetime({ offset: true }),
  text: z.string().min(1).max(10_000).describe('The complaint with the region keyword removed'),
  rawText: z.string().max(10_000),
  region: Region,
  reporter: Reporter,
  source: Source,
  attachments: z.array(Attachment).max(20).default([]),
  location: Location.optional(),
});

export type Channel = z.infer<typeof Channel>;
export type Level = z.infer<typeof Level>;
export type MatchType = z.infer<typeof MatchType>;
export type Region = z.infer<typeof Region>;
export type Reporter = z.infer<typeof Reporter>;
export type Complaint = z.infer<typeof Complaint>;
/** What a channel's normalize() knows; the intake step adds id, trackingId and version. */
export type ComplaintDraft = Omit<Complaint, 'id' | 'trackingId' | 'version'>;

/** Random bytes drawn in blocks: one system call per ~400 ids instead of one per character. */
const pool = { bytes: Buffer.alloc(0), offset: 0 };
function random(n: number): Buffer {
  if (pool.offset + n > pool.bytes.length) [pool.bytes, pool.offset] = [randomBytes(4096), 0];
  pool.offset += n;
  return pool.bytes.subarray(pool.offset - n, pool.offset);
}

const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const last = { time: -1, random: Buffer.alloc(10) };

/** A ULID: 48-bit ms time + 80 random bits, monotonic within a millisecond (the random part counts up). */
export function newComplaintId(): string {
  const now = Date.now();
  if (now <= last.time) {
    for (let i = 9; i >= 0 && ++last.random[i]! === 256; i--) last.random[i] = 0;
  } else {
    last.time = now;
    random(10).copy(last.random);
  }
  let time = '';
  for (let t = last.time, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = ULID_ALPHABET[t % 32] + time;
  let rand = '';
  // 80 bits = 16 symbols of 5 bits, read from the 10 bytes as a bit string.
  for (let bit = 0; bit < 80; bit += 5) {
    const byte = bit >> 3;
    const pair = (last.random[byte]! << 8) | (last.random[byte + 1] ?? 0);
    rand += ULID_ALPHABET[(pair >> (11 - (bit & 7))) & 31];
  }
  return time + rand;
}


/** Citizens read tracking numbers back by hand: accept lower case and the letters Crockford maps. */
export function canonicalTrackingId(input: string): string | null {
  const id = input.trim().toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0').replace(/[\s-]/g, '');
  return TRACKING_ID_PATTERN.test(id) ? id : null;
}

export function complaintJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://lapor.go.id/schemas/pintu/complaint.v1.json',
    title: 'Pintu Complaint v1',
    ...z.toJSONSchema(Complaint, { target: 'draft-2020-12', io: 'input' }),
  };
}
