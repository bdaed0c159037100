/**
 * The SMS channel end to end over real TCP: the SMSC simulator delivers MO to Pintu's ESME, Pintu
 * queues complaints in the real Redis, workers deliver them to a real HTTP agency, and replies come
 * back to the simulator as submit_sm.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Complaint } from '../../src/complaint.js';
import { startAgencySink, type AgencySink } from '../../test/helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from '../../test/helpers/gateway.js';
import { json } from '../../test/helpers/http.js';
import { createHeldQueue } from '../../queues/held.js';
import { smsChannel } from './index.js';
import { moCounter } from './mo.js';
import { concatenatedMo, receiptMo, singleMo, type ConcatScheme, type MoCoding } from './sim/messages.js';
import { Smsc } from './sim/smsc.js';

const LONG = 'jalan rusak parah di depan pasar dan belum diperbaiki sejak tahun lalu, '.repeat(6).trim();
const HTTP_SECRET = 'aggregator-secret-1234';

interface MoCase {
  label: string;
  mo: { coding: MoCoding; text: string; scheme?: ConcatScheme; ref?: number; order?: number[]; partOctets?: number; payload?: boolean };
  expect: { text: string; region: Record<string, string>; encoding?: string; parts?: number };
}
const cases: MoCase[] = JSON.parse(readFileSync(new URL('./mo-cases.json', import.meta.url), 'utf8'));

let phoneCounter = 0;
/** A fresh citizen per test, so flood caps and dedup never cross tests. */
const nextPhone = () => `0812${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter++).padStart(5, '0')}`;
const e164 = (local: string) => `+62${local.slice(1)}`;

describe('SMS over SMPP → agency', () => {
  let sink: AgencySink;
  let mtSink: AgencySink;
  let smsc: Smsc;
  let gw: TestGateway;
  const complaintsFrom = (phone: string) => sink.received.map((d) => Complaint.parse(d.body.complaint)).filter((c) => c.reporter.phone === e164(phone));
  const repliesTo = (phone: string) => smsc.mt.filter((m) => m.to === e164(phone).slice(1));

  beforeAll(async () => {
    sink = await startAgencySink();
    mtSink = await startAgencySink();
    smsc = await Smsc.start({ retryDelayMs: 100, respTimeoutMs: 5000 });
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'test-national-secret-123' }, {
      channels: [smsChannel({ SMPP_URL: smsc.url, SMS_FLOOD_PER_HOUR: '3', SMS_REASSEMBLY_TIMEOUT_SECONDS: '2', SMS_REPLY_PER_SECOND: '50', SMS_HTTP_SECRET: HTTP_SECRET, SMS_HTTP_MT_URL: mtSink.url })],
    });
    await eventually(() => smsc.bound.length === 1);
  });
  afterAll(async () => { await gw.close(); await smsc.close(); await sink.close(); await mtSink.close(); });

  it.each(cases)('$label', async ({ mo, expect: expected }) => {
    const phone = nextPhone();
    const text = mo.text.replace('{long}', LONG);
    const pdus = mo.scheme
      ? concatenatedMo(phone, '1708', text, { scheme: mo.scheme, ref: mo.ref ?? 1, coding: mo.coding, order: mo.order, partOctets: mo.partOctets })
      : [singleMo(phone, '1708', text, mo.coding, { payload: mo.payload })];
    if (expected.parts) expect(pdus).toHaveLength(expected.parts);
    const results = await smsc.deliverAll(pdus);
    expect(results.map((r) => r.attempts)).toEqual(pdus.map(() => [0]));
    const [complaint] = await eventually(() => complaintsFrom(phone).length === 1 && complaintsFrom(phone));
    expect(complaint).toMatchObject({
      channel: 'sms',
      text: expected.text.replace('{long}', LONG),
      region: expected.region,
      reporter: { phone: e164(phone), anonymous: false, confidential: false },
      source: { address: '1708', extras: { transport: 'smpp', ...(expected.encoding && { encoding: expected.encoding }), ...(expected.parts && { parts: expected.parts }) } },
    });
    expect(complaint!.source.extras.partial).toBeUndefined();
    const [reply] = await eventually(() => repliesTo(phone).length === 1 && repliesTo(phone));
    expect(reply).toMatchObject({ from: '1708', dataCoding: 0 });
    expect(reply!.text).toContain(`No. lacak: ${complaint!.trackingId}`);
    expect(reply!.text).toContain(`Diteruskan ke ${complaint!.region.level === 'national' ? 'Desk Nasional' : complaint!.region.name}`);
  });

  it('keeps two senders apart when their long messages share a reference, interleaved', async () => {
    const [a, b] = [nextPhone(), nextPhone()];
    const fromA = concatenatedMo(a, '1708', `PekalonganKota ${LONG} (A)`, { scheme: 'udh8', ref: 77 });
    const fromB = concatenatedMo(b, '1708', `BandungKota ${LONG} (B)`, { scheme: 'udh8', ref: 77 });
    await smsc.deliverAll(fromA.flatMap((p, i) => [p, fromB[fromB.length - 1 - i]!]));
    const [ca] = await eventually(() => complaintsFrom(a).length === 1 && complaintsFrom(a));
    const [cb] = await eventually(() => complaintsFrom(b).length === 1 && complaintsFrom(b));
    expect(ca).toMatchObject({ text: `${LONG} (A)`, region: { code: '33.75' } });
    expect(cb).toMatchObject({ text: `${LONG} (B)`, region: { code: '32.73' } });
  });

  it('makes one complaint and one reply of a retransmitted message, single or long', async () => {
    const phone = nextPhone();
    const single = singleMo(phone, '1708', 'PekalonganKota sampah menumpuk di TPS');
    const parts = concatenatedMo(phone, '1708', `BandungKota ${LONG}`, { scheme: 'udh16', ref: 300 });
    // The SMSC lost our resp: every PDU comes again after it was acknowledged.
    await smsc.deliverAll([single, single, ...parts, ...parts, parts[0]!]);
    await eventually(() => complaintsFrom(phone).length === 2 && repliesTo(phone).length === 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(complaintsFrom(phone).map((c) => c.region.code).sort()).toEqual(['32.73', '33.75']);
    expect(repliesTo(phone)).toHaveLength(2);
    const duplicates = await gw.pintu.metrics.registry.getSingleMetric('pintu_duplicate_messages_total')!.get();
    expect(duplicates.values.find((v) => v.labels.channel === 'sms')?.value).toBeGreaterThanOrEqual(1);
  });

  it('acknowledges a delivery receipt and counts it, without making a complaint', async () => {
    const phone = nextPhone();
    const before = (await moCounter(gw.pintu.metrics).get()).values.find((v) => v.labels.kind === 'receipt')?.value ?? 0;
    const [result] = await smsc.deliverAll([receiptMo(phone, '1708', 'sim-1')]);
    expect(result!.attempts).toEqual([0]);
    const after = (await moCounter(gw.pintu.metrics).get()).values.find((v) => v.labels.kind === 'receipt')?.value;
    expect(after).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(complaintsFrom(phone)).toHaveLength(0);
    expect(repliesTo(phone)).toHaveLength(0);
  });

  it('answers the format help for a keyword without complaint, or spaces only', async () => {
    const [a, b] = [nextPhone(), nextPhone()];
    await smsc.deliverAll([singleMo(a, '1708', 'PekalonganKota'), singleMo(b, '1708', '     ')]);
    for (const phone of [a, b]) {
      const [reply] = await eventually(() => repliesTo(phone).length === 1 && repliesTo(phone));
      expect(reply!.text).toMatch(/^Format: NamaKota \(spasi\) Isi Aduan\. Contoh: PekalonganKota jalan rusak di/);
    }
    expect(complaintsFrom(a)).toHaveLength(0);
  });

  it('answers CEK <trackingId> with the status, and an unknown number kindly', async () => {
    const phone = nextPhone();
    await smsc.deliverAll([singleMo(phone, '1708', 'PekalonganKota lampu jalan mati total')]);
    const [complaint] = await eventually(() => complaintsFrom(phone).length === 1 && complaintsFrom(phone));
    await eventually(async () => (await gw.pintu.status.get(complaint!.trackingId))?.status === 'delivered');
    await smsc.deliverAll([singleMo(phone, '1708', `cek ${complaint!.trackingId.toLowerCase()}`), singleMo(phone, '1708', 'CEK ZZZZZZZZ')]);
    const replies = await eventually(() => repliesTo(phone).length === 3 && repliesTo(phone));
    expect(replies.map((r) => r.text)).toEqual(expect.arrayContaining([
      `Aduan ${complaint!.trackingId}: sudah diterima instansi ke Kota Pekalongan.`,
      'Nomor lacak ZZZZZZZZ tidak ditemukan. Periksa kembali nomor Anda.',
    ]));
  });

  it('holds complaints over the per-sender hourly cap for review, telling the sender, losing nothing', async () => {
    const phone = nextPhone();
    // 0812…, 62812… and +62812… are one person.
    const senders = [phone, `62${phone.slice(1)}`, `+62${phone.slice(1)}`, phone];
    await smsc.deliverAll(senders.map((from, i) => singleMo(from, '1708', `PekalonganKota aduan nomor ${i + 1} tentang jalan`)));
    await eventually(() => complaintsFrom(phone).length === 3 && repliesTo(phone).length === 4);
    const held = createHeldQueue(gw.pintu.redis, gw.prefix);
    const jobs = (await held.getJobs(['waiting'])).filter((j) => j.data.draft.reporter.phone === e164(phone));
    await held.close();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data.draft.text).toBe('aduan nomor 4 tentang jalan');
    expect(repliesTo(phone).at(-1)!.text).toMatch(/diperiksa petugas/);
  });

  it('delivers an incomplete long message with the parts that came, marked partial', async () => {
    const phone = nextPhone();
    const parts = concatenatedMo(phone, '1708', `PekalonganKota ${LONG}`, { scheme: 'udh8', ref: 5, order: [1, 3] });
    await smsc.deliverAll(parts);
    const [complaint] = await eventually(() => complaintsFrom(phone).length === 1 && complaintsFrom(phone));
    expect(complaint!.source.extras).toMatchObject({ partial: true, missingParts: [2], parts: 3 });
    expect(complaint!.text).toContain(' […] ');
    expect(complaint!.region.code).toBe('33.75');
  });

  it('sends a long reply as concatenated parts, UCS-2 when GSM 03.38 cannot carry it', async () => {
    const [a, b] = [nextPhone(), nextPhone()];
    const ucs2 = `Aduan Anda 🙏 ${'sedang ditindaklanjuti oleh instansi terkait. '.repeat(3)}Terima kasih 🇮🇩`;
    const gsm = `Info: ${'jadwal perbaikan jalan {minggu depan} € '.repeat(6)}`;
    await gw.pintu.replies.queue({ id: `long-${a}`, reply: { channel: 'sms', to: e164(a), text: ucs2, extras: { transport: 'smpp', shortcode: '1708' } } });
    await gw.pintu.replies.queue({ id: `long-${b}`, reply: { channel: 'sms', to: e164(b), text: gsm, extras: { transport: 'smpp', shortcode: '1708' } } });
    const [toA] = await eventually(() => repliesTo(a).length === 1 && repliesTo(a));
    const [toB] = await eventually(() => repliesTo(b).length === 1 && repliesTo(b));
    expect(toA).toMatchObject({ text: ucs2, dataCoding: 8, parts: 3 });
    expect(toB).toMatchObject({ text: gsm, dataCoding: 0, parts: 2 });
  });

  describe('HTTP MO for aggregators', () => {
    const inbound = (body: unknown, secret = HTTP_SECRET) => fetch(`${gw.url}/api/v1/sms/inbound`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify(body),
    });

    it('accepts form or JSON, dedups by id, and replies through the MT callback', async () => {
      const phone = nextPhone();
      const first = await json(inbound({ from: e164(phone), to: '1708', text: 'PekalonganKota drainase tersumbat', id: `agg-${phone}` }));
      const again = await json(inbound({ from: phone, to: '1708', text: 'PekalonganKota drainase tersumbat', id: `agg-${phone}` }));
      expect(first).toMatchObject({ status: 'accepted', trackingId: expect.stringMatching(/^[0-9A-Z]{8}$/) });
      expect(again).toEqual({ status: 'duplicate', trackingId: first.trackingId });
      const form = await fetch(`${gw.url}/api/v1/sms/inbound`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${HTTP_SECRET}` },
        body: new URLSearchParams({ from: phone, to: '1708', text: 'BandungKota trotoar rusak', timestamp: '1767225600' }),
      });
      expect((await json(form)).status).toBe('accepted');
      await eventually(() => complaintsFrom(phone).length === 2);
      expect(complaintsFrom(phone).find((c) => c.region.code === '32.73')!.receivedAt).toBe('2026-01-01T00:00:00.000Z');
      const mt = await eventually(() => { const m = mtSink.received.filter((d) => d.body.to === e164(phone)); return m.length === 2 && m; });
      expect(mt[0]!.headers.authorization).toBe(`Bearer ${HTTP_SECRET}`);
      expect(mt.map((d) => d.body.text).join('\n')).toContain(first.trackingId);
      expect(repliesTo(phone)).toHaveLength(0);
    });

    it('refuses a wrong secret (401) and names a bad field (400)', async () => {
      expect((await inbound({ from: '08123', to: '1708', text: 'x' }, 'wrong-secret-000000000')).status).toBe(401);
      const bad = await inbound({ from: 'not-a-phone', to: '1708', text: 'PekalonganKota jalan rusak' });
      expect(bad.status).toBe(400);
      expect((await json(bad)).fields).toHaveProperty('from');
      const missing = await inbound({ from: '081234567890', text: 'PekalonganKota jalan rusak' });
      expect(missing.status).toBe(400);
      expect((await json(missing)).fields).toHaveProperty('to');
    });
  });
});
