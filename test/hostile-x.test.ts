/** Hostile input at the X webhook, over real HTTP: every case gets its expected answer, and the gateway stays up. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwitterChannel } from '../adapters/twitter/index.js';
import type { Complaint } from '../src/complaint.js';
import { startGateway, type TestGateway, keptComplaints } from './helpers/gateway.js';

interface CrcCase { label: string; token?: string; repeat?: [string, number]; query?: string; status: number; field?: string }
interface Signature { header?: string; repeatHeader?: number; secret?: string; encoding?: 'base64' | 'hex'; prefix?: string; over?: string; cut?: number }
interface PostCase {
  label: string; status: number;
  event?: Record<string, unknown> & { repeatText?: [string, number] }; body?: string; bodyHex?: string; contentType?: string;
  /** Omitted: signed correctly; null: no header. */
  signature?: Signature | null;
  field?: string; message?: string; accepted?: number; tweet?: string; text?: string; attachments?: number;
}
const cases = JSON.parse(readFileSync(new URL('./data/hostile-x.json', import.meta.url), 'utf8')) as { crc: CrcCase[]; posts: PostCase[] };

const SECRET = 'hostile-x-consumer-secret';
const hmac = (secret: string, data: Buffer | string, encoding: 'base64' | 'hex' = 'base64') => createHmac('sha256', secret).update(data).digest(encoding);

/** A v1.1 tweet_create_events body mentioning @lapor1708; the case's fields replace the defaults. */
function eventBody({ repeatText, ...fields }: NonNullable<PostCase['event']>): string {
  const text = repeatText ? `${fields.text}${repeatText[0].repeat(repeatText[1])}` : fields.text;
  const tweet = { user: { id_str: '42', screen_name: 'rina', name: 'Rina' }, entities: { user_mentions: [{ screen_name: 'lapor1708' }] }, ...fields, text };
  return JSON.stringify({ for_user_id: '1708', tweet_create_events: [tweet] });
}

function signatureHeader(body: Buffer, s: Signature | null | undefined): string | undefined {
  if (s === null) return undefined;
  if (s?.header !== undefined) return s.header + 'A'.repeat(s.repeatHeader ?? 0);
  const digest = hmac(s?.secret ?? SECRET, s?.over ?? body, s?.encoding);
  return `${s?.prefix ?? 'sha256='}${digest.slice(0, s?.cut ?? digest.length)}`;
}

describe('hostile input at the X webhook', () => {
  let gw: TestGateway;
  const hook = () => `${gw.url}/api/v1/x/webhook`;
  const tweets = async (): Promise<Complaint[]> => keptComplaints(gw.pintu);

  beforeAll(async () => {
    const channel = createTwitterChannel({ TWITTER_BEARER_TOKEN: 'hostile-bearer', TWITTER_MODE: 'webhook', TWITTER_APP_SECRET: SECRET, TWITTER_USER_ID: '1708' });
    gw = await startGateway({}, { channels: [channel], workers: false, sessions: false });
  });
  afterAll(async () => { await gw.close(); });

  it.each(cases.crc)('CRC: $label → $status', async (c) => {
    const token = c.repeat ? c.repeat[0].repeat(c.repeat[1]) : c.token;
    const query = c.query ?? (token === undefined ? '' : `crc_token=${encodeURIComponent(token)}`);
    const res = await fetch(`${hook()}?${query}`);
    expect(res.status).toBe(c.status);
    const answer = await res.json() as { response_token?: string; fields?: Record<string, string> };
    if (c.status === 200) expect(answer.response_token).toBe(`sha256=${hmac(SECRET, token!)}`);
    if (c.field) expect(Object.keys(answer.fields ?? {})).toContain(c.field);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it.each(cases.posts)('event: $label → $status', async (c) => {
    const body = c.bodyHex ? Buffer.from(c.bodyHex, 'hex') : Buffer.from(c.event ? eventBody(c.event) : c.body!);
    const signature = signatureHeader(body, c.signature);
    const res = await fetch(hook(), { method: 'POST', headers: { 'content-type': c.contentType ?? 'application/json', ...(signature !== undefined && { 'x-twitter-webhooks-signature': signature }) }, body });
    expect(res.status).toBe(c.status);
    const answer = await res.json() as { accepted?: number; error?: string; message?: string; fields?: Record<string, string> };
    if (c.status >= 400) {
      expect(answer.error).toEqual(expect.any(String));
      expect(answer.message).toEqual(expect.any(String));
    }
    if (c.field) expect(Object.keys(answer.fields ?? {})).toContain(c.field);
    if (c.message) expect(answer.message).toContain(c.message);
    if (c.accepted !== undefined) expect(answer.accepted).toBe(c.accepted);
    if (c.tweet) {
      const complaint = (await tweets()).find((t) => t.source.messageId === c.tweet);
      expect(complaint?.channel).toBe('twitter');
      if (c.text) expect(complaint!.text).toBe(c.text);
      if (c.attachments !== undefined) expect(complaint!.attachments).toHaveLength(c.attachments);
    }
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
