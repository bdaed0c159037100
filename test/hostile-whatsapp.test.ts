/** Hostile input at the WhatsApp webhook, over real HTTP: every case gets its expected answer, and the gateway stays up. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SECRET, PHONE_NUMBER_ID, startWhatsAppRig, VERIFY_TOKEN, type WhatsAppRig } from '../adapters/whatsapp/sim/rig.js';
import { metaJson } from '../adapters/whatsapp/sim/server.js';
import { keptComplaints } from './helpers/gateway.js';

interface VerifyCase { label: string; query: string; status: number; body?: string; field?: string }
interface Signature { header?: string; repeatHeader?: number; secret?: string; encoding?: 'base64' | 'hex'; prefix?: string; over?: string; cut?: number; unescaped?: boolean }
interface PostCase {
  label: string; status: number;
  /** One message in a delivery as Meta sends it: the case's fields over a text message from a citizen. */
  message?: Record<string, unknown>; alsoRaw?: unknown; phoneNumberId?: string;
  delivery?: unknown; body?: string; bodyHex?: string; bodySize?: number; nested?: number; contentType?: string;
  /** Omitted: signed correctly; null: no header. */
  signature?: Signature | null;
  field?: string; messages?: number; statuses?: number;
  /** The message's complaint text, or its length; notKept: no complaint. */
  kept?: string; keptLength?: number; notKept?: boolean;
}
const cases = JSON.parse(readFileSync(new URL('./data/hostile-whatsapp.json', import.meta.url), 'utf8')) as { verify: VerifyCase[]; posts: PostCase[] };

/** `{n}`: n letters; `{token}`, `{phoneNumberId}`: the rig's. */
const expand = (text: string) => text.replace(/\{(\d+)\}/g, (_, n: string) => 'a'.repeat(Number(n))).replaceAll('{token}', VERIFY_TOKEN).replaceAll('{phoneNumberId}', PHONE_NUMBER_ID);
const expandAll = (value: unknown): unknown => JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === 'string' ? expand(v) : v));

let wamids = 0;

/** A delivery with the case's message (from a fresh citizen) as Meta posts it; its wamid. */
function deliveryOf(c: PostCase): { value: unknown; wamid: string } {
  const wamid = `wamid.hostile-${process.pid}-${wamids++}`;
  const from = `62815${String(process.pid % 1000).padStart(3, '0')}${String(wamids).padStart(5, '0')}`;
  const message = { from, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', ...(expandAll(c.message) as Record<string, unknown>) };
  const value = {
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '6281170800000', phone_number_id: c.phoneNumberId ?? PHONE_NUMBER_ID },
      contacts: [{ profile: { name: 'Warga' }, wa_id: from }], messages: [message, ...(c.alsoRaw ? [c.alsoRaw] : [])],
    } }] }],
  };
  return { value, wamid };
}

function bodyOf(c: PostCase): { body: Buffer; value?: unknown; wamid?: string } {
  if (c.bodyHex) return { body: Buffer.from(c.bodyHex, 'hex') };
  if (c.bodySize) return { body: Buffer.alloc(c.bodySize, 0x20) };
  if (c.nested) return { body: Buffer.from(`${'['.repeat(c.nested)}${']'.repeat(c.nested)}`) };
  if (c.body !== undefined) return { body: Buffer.from(c.body) };
  if (c.delivery) return { body: Buffer.from(metaJson(expandAll(c.delivery))) };
  const { value, wamid } = deliveryOf(c);
  return { body: Buffer.from(metaJson(value)), value, wamid };
}

function signatureHeader(body: Buffer, value: unknown, s: Signature | null | undefined): string | undefined {
  if (s === null) return undefined;
  if (s?.header !== undefined) return s.header + 'A'.repeat(s.repeatHeader ?? 0);
  const over = s?.unescaped ? JSON.stringify(value) : s?.over ?? body;
  const digest = createHmac('sha256', s?.secret ?? APP_SECRET).update(over).digest(s?.encoding ?? 'hex');
  return `${s?.prefix ?? 'sha256='}${digest.slice(0, s?.cut ?? digest.length)}`;
}

describe('hostile input at the WhatsApp webhook', () => {
  let rig: WhatsAppRig;
  beforeAll(async () => { rig = await startWhatsAppRig({ gateway: { workers: false, sessions: false } }); });
  afterAll(async () => { await rig.close(); });
  const stillUp = async () => expect((await fetch(`${rig.gw.url}/healthz`)).status).toBe(200);

  it.each(cases.verify)('verification: $label → $status', async (c) => {
    const res = await fetch(`${rig.hook}?${expand(c.query)}`);
    expect(res.status).toBe(c.status);
    const text = await res.text();
    if (c.status === 200) {
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(text).toBe(c.body ?? new URLSearchParams(expand(c.query)).get('hub.challenge'));
    } else {
      const answer = JSON.parse(text) as { error: string; message: string; fields?: Record<string, string> };
      expect(answer.message).toEqual(expect.any(String));
      if (c.field) expect(Object.keys(answer.fields ?? {})).toContain(c.field);
    }
    await stillUp();
  });

  it.each(cases.posts)('delivery: $label → $status', async (c) => {
    const { body, value, wamid } = bodyOf(c);
    const signature = signatureHeader(body, value, c.signature);
    const res = await fetch(rig.hook, { method: 'POST', headers: { 'content-type': c.contentType ?? 'application/json', ...(signature !== undefined && { 'x-hub-signature-256': signature }) }, body });
    expect(res.status).toBe(c.status);
    const answer = await res.json() as { error?: string; message?: string; fields?: Record<string, string>; messages?: number; statuses?: number };
    if (c.status >= 400) {
      expect(answer.error).toEqual(expect.any(String));
      expect(answer.message).toEqual(expect.any(String));
    }
    if (c.field) expect(Object.keys(answer.fields ?? {})).toContain(c.field);
    if (c.messages !== undefined) expect(answer.messages).toBe(c.messages);
    if (c.statuses !== undefined) expect(answer.statuses).toBe(c.statuses);
    if (wamid) {
      const complaint = (await keptComplaints(rig.gw.pintu)).find((k) => k.source.messageId === wamid);
      // Nothing of a refused delivery is kept.
      if (c.status !== 200 || c.notKept) expect(complaint).toBeUndefined();
      if (c.kept !== undefined) expect(complaint?.text).toBe(c.kept);
      if (c.keptLength !== undefined) expect(complaint?.text).toHaveLength(c.keptLength);
    }
    await stillUp();
  });
});
