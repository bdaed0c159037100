/** The core pipeline end to end through the web channel: real Redis, real HTTP, real workers, a real agency sink. */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Complaint } from '../src/complaint.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

const SECRET = 'test-national-secret-123';
const post = (gw: TestGateway, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('web complaint → agency webhook', () => {
  let sink: AgencySink;
  let gw: TestGateway;
  beforeAll(async () => {
    sink = await startAgencySink();
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: SECRET, DELIVERY_BACKOFF_MS: '50', DELIVERY_ATTEMPTS: '4' });
  });
  afterAll(async () => { await gw.close(); await sink.close(); });
  afterEach(() => { sink.script = []; sink.fallback = 200; sink.received.length = 0; });

  it('delivers a signed complaint for the right route, with the complaint id as Idempotency-Key', async () => {
    const res = await post(gw, { text: 'PekalonganKota jalan rusak di depan pasar', name: 'Siti Aminah', phone: '0812-3456-7890', email: 'Siti@Example.org' });
    expect(res.status).toBe(202);
    const accepted = await json(res);
    expect(accepted).toMatchObject({ trackingId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{8}$/), status: 'received', route: { code: '33.75', name: 'Kota Pekalongan' } });
    expect(accepted.statusUrl).toBe(`/api/v1/complaints/${accepted.trackingId}`);

    const [delivery] = await eventually(() => sink.received.length === 1 && sink.received);
    const expected = `sha256=${createHmac('sha256', SECRET).update(delivery!.rawBody).digest('hex')}`;
    expect(delivery!.headers['x-pintu-signature']).toBe(expected);
    const complaint = Complaint.parse(delivery!.body.complaint);
    expect(delivery!.headers['idempotency-key']).toBe(complaint.id);
    expect(complaint).toMatchObject({
      trackingId: accepted.trackingId, channel: 'web', text: 'jalan rusak di depan pasar', rawText: 'PekalonganKota jalan rusak di depan pasar',
      region: { keyword: 'PekalonganKota', code: '33.75', level: 'regency', matchType: 'exact' },
      reporter: { name: 'Siti Aminah', phone: '+6281234567890', email: 'siti@example.org', anonymous: false, confidential: false },
    });
    expect(delivery!.body.route).toEqual({ code: '33.75', name: 'Kota Pekalongan', level: 'regency', keyword: 'PekalonganKota' });

    const status = await eventually(async () => {
      const s = await json(fetch(`${gw.url}${accepted.statusUrl}`));
      return s.status === 'delivered' && s;
    });
    expect(status).toMatchObject({ trackingId: accepted.trackingId, channel: 'web', route: { code: '33.75', name: 'Kota Pekalongan' } });
    expect(Date.parse(status.deliveredAt)).toBeGreaterThanOrEqual(Date.parse(status.routedAt));
    expect(JSON.stringify(status)).not.toMatch(/Siti|6281234567890|example\.org/);
  });

  it('does not identify an anonymous reporter to the agency', async () => {
    await post(gw, { text: 'Pungli di kantor kelurahan setiap urus KTP', region: '33.75', name: 'Budi', phone: '081299998888', anonymous: true });
    const [delivery] = await eventually(() => sink.received.length === 1 && sink.received);
    expect(delivery!.body.complaint.reporter).toEqual({ anonymous: true, confidential: false });
    expect(delivery!.body.complaint.region).toMatchObject({ code: '33.75', matchType: 'exact' });
  });

  it('retries a 500 with backoff and delivers exactly once', async () => {
    sink.script = [500, 500];
    const { trackingId } = await json(post(gw, { text: 'SurabayaKota banjir di jalan utama' }));
    await eventually(() => sink.received.length === 3);
    expect(sink.received.map((d) => d.status)).toEqual([500, 500, 200]);
    expect(new Set(sink.received.map((d) => d.headers['idempotency-key'])).size).toBe(1);
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(3);
  });

  it('moves a complaint to dead letters after the attempts run out, and says failed', async () => {
    sink.fallback = 503;
    const { trackingId } = await json(post(gw, { text: 'BandungKota trotoar dipakai parkir liar' }));
    const record = await eventually(async () => { const r = await gw.pintu.status.get(trackingId); return r?.status === 'failed' && r; });
    expect(sink.received).toHaveLength(4);
    expect(record.failReason).toMatch(/503/);
    const letters = await gw.pintu.queues.deadLetters.getJobs(['waiting']);
    const letter = letters.find((l) => l.data.complaint.trackingId === trackingId)!;
    expect(letter.data).toMatchObject({ routeCode: '32.73', attempts: 4, reason: 'agency answered HTTP 503' });
  });

  it('treats a 4xx answer as permanent: straight to dead letters, no retries', async () => {
    sink.fallback = 422;
    const { trackingId } = await json(post(gw, { text: 'BandungKota lampu taman mati semua' }));
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'failed');
    expect(sink.received).toHaveLength(1);
  });

  it('retries 429 and 408 like outages', async () => {
    sink.script = [429, 408];
    const { trackingId } = await json(post(gw, { text: 'BandungKota jalan berlubang di dekat stasiun' }));
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    expect(sink.received.map((d) => d.status)).toEqual([429, 408, 200]);
  });

  it('returns the same tracking number for a repeated Idempotency-Key, and queues one complaint', async () => {
    const body = { text: 'PekalonganKota sampah menumpuk di TPS' };
    const first = await json(post(gw, body, { 'idempotency-key': 'abc-123' }));
    const again = await json(post(gw, body, { 'idempotency-key': 'abc-123' }));
    const other = await json(post(gw, body, { 'idempotency-key': 'abc-124' }));
    expect(again.trackingId).toBe(first.trackingId);
    expect(other.trackingId).not.toBe(first.trackingId);
    await eventually(() => sink.received.length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(sink.received).toHaveLength(2);
  });

  it('answers 400 naming each bad field', async () => {
    const res = await post(gw, { text: 'pendek', email: 'not-an-email', phone: 'abc', anonymous: 'maybe' });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toBe('invalid_request');
    expect(Object.keys(body.fields).sort()).toEqual(['anonymous', 'email', 'phone', 'text']);
    expect(body.fields.text).toMatch(/10/);
  });

  it('answers 400 for text over 4000 characters, an unknown region, and a keyword with no complaint', async () => {
    expect((await post(gw, { text: 'a'.repeat(4001) })).status).toBe(400);
    const unknown = await post(gw, { text: 'jalan rusak parah sekali', region: 'AtlantisKota' });
    expect(unknown.status).toBe(400);
    expect((await json(unknown)).fields.region).toMatch(/AtlantisKota/);
    const keywordOnly = await post(gw, { text: 'PekalonganKota        ' });
    expect(keywordOnly.status).toBe(400);
  });

  it('answers 400 for invalid JSON, 415 for an unknown content type, 413 over 64 KB', async () => {
    const bad = await post(gw, '{"text": ');
    expect(bad.status).toBe(400);
    const xml = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<text>jalan rusak</text>' });
    expect(xml.status).toBe(415);
    const big = await post(gw, { text: 'x'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    expect((await json(big)).error).toBe('body_too_large');
  });

  it('accepts urlencoded bodies with checkbox values', async () => {
    const res = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=Pelayanan+KTP+lambat+sekali&region=BarruKab&confidential=on' });
    expect(res.status).toBe(202);
    const [delivery] = await eventually(() => sink.received.length === 1 && sink.received);
    expect(delivery!.body.complaint.reporter.confidential).toBe(true);
    expect(delivery!.body.complaint.region.code).toBe('73.11');
  });

  it('404s an unknown tracking number and reads a hand-typed one', async () => {
    expect((await fetch(`${gw.url}/api/v1/complaints/ZZZZZZZZ`)).status).toBe(404);
    expect((await fetch(`${gw.url}/api/v1/complaints/not-valid`)).status).toBe(404);
    const { trackingId } = await json(post(gw, { text: 'PekalonganKota lampu jalan mati' }));
    const typed = trackingId.toLowerCase();
    expect((await fetch(`${gw.url}/api/v1/complaints/${typed}`)).status).toBe(200);
  });

  it('knows a complaint as received before any worker has routed it, with or without Idempotency-Key', async () => {
    const serveOnly = await startGateway({}, { workers: false });
    try {
      const statusOf = async (trackingId: string) => json(fetch(`${serveOnly.url}/api/v1/complaints/${trackingId}`));
      const plain = await json(fetch(`${serveOnly.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota lampu jalan mati sejak kemarin', phone: '081234567890' }) }));
      const keyed = await json(fetch(`${serveOnly.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'before-routing-1' }, body: JSON.stringify({ text: 'BandungKota trotoar rusak di depan sekolah' }) }));
      for (const [accepted, code, name] of [[plain, '33.75', 'Kota Pekalongan'], [keyed, '32.73', 'Kota Bandung']] as const) {
        const record = await statusOf(accepted.trackingId);
        expect(record).toMatchObject({ trackingId: accepted.trackingId, channel: 'web', status: 'received', route: { code, name }, routedAt: null, deliveredAt: null });
        // Never the reporter's identity, whichever record answers.
        expect(JSON.stringify(record)).not.toContain('81234567890');
      }
    } finally {
      await serveOnly.close();
    }
  });

  it('serves health, readiness, metrics and OpenAPI docs', async () => {
    expect(await json(fetch(`${gw.url}/healthz`))).toEqual({ status: 'ok' });
    expect(await json(fetch(`${gw.url}/readyz`))).toEqual({ status: 'ready', checks: { redis: true, workers: true } });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/pintu_complaints_total\{channel="web",level="regency",match_type="exact"\} \d+/);
    expect(metrics).toMatch(/pintu_queue_jobs\{queue="delivery",state="completed"\}/);
    expect(metrics).toMatch(/pintu_delivery_latency_seconds_bucket/);
    expect((await json(fetch(`${gw.url}/api/v1/complaint.schema.json`))).title).toBe('Pintu Complaint v1');
    const openapi = await json(fetch(`${gw.url}/docs/json`));
    expect(openapi.paths['/api/v1/complaints'].post.requestBody.content['application/json'].schema.properties.text).toMatchObject({ minLength: 10, maxLength: 4000 });
  });

  it('sends HTML pages the document security headers and everything else (JSON, Open311 XML, metrics) the API ones', async () => {
    const page = (await fetch(`${gw.url}/`)).headers;
    expect(page.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.get('content-security-policy')).toContain("form-action 'self'");
    expect(page.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(page.get('x-content-type-options')).toBe('nosniff');
    expect(page.get('cross-origin-opener-policy')).toBe('same-origin');

    for (const res of [
      await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'SurabayaKota lampu jalan mati sejak minggu lalu' }) }),
      await fetch(`${gw.url}/api/v1/complaints/ZZZZZZZZ`),
      await fetch(`${gw.url}/open311/v2/services.xml`),
      await fetch(`${gw.url}/metrics`),
    ]) {
      const api = res.headers;
      expect(api.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      expect(api.get('x-frame-options')).toBe('DENY');
      expect(api.get('x-content-type-options')).toBe('nosniff');
      expect(api.get('referrer-policy')).toBe('no-referrer');
      expect(api.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      for (const documentOnly of ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-xss-protection']) expect(api.get(documentOnly)).toBeNull();
    }
  });
});

describe('zero configuration delivery', () => {
  it('writes to the local outbox when no webhook is configured', async () => {
    const gw = await startGateway();
    try {
      const { trackingId } = await json(post(gw, { text: 'Jalan di desa kami rusak parah dan belum diperbaiki' }));
      await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
      const lines = readFileSync(join(gw.dataDir, 'outbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(1);
      expect(lines[0].body.complaint).toMatchObject({ trackingId, region: { code: 'national', matchType: 'none' } });
      expect(lines[0].body.route.code).toBe('national');
    } finally {
      await gw.close();
    }
  });

  it('delivers to the route’s own webhook, else its province’s, before the national desk', async () => {
    const province = await startAgencySink();
    const city = await startAgencySink();
    const gw = await startGateway();
    try {
      const routes = gw.pintu.routes.index().routes;
      await gw.pintu.routes.save([
        { ...routes.get('33')!, destination: { url: province.url, secret: 'province-secret-123456' } },
        { ...routes.get('33.75')!, destination: { url: city.url, secret: 'city-secret-1234567890' } },
      ]);
      await post(gw, { text: 'PekalonganKota jalan rusak di depan pasar' });
      await post(gw, { text: 'PekalonganKab irigasi sawah rusak' });
      await eventually(() => city.received.length === 1 && province.received.length === 1);
      expect(city.received[0]!.body.route.code).toBe('33.75');
      expect(province.received[0]!.body.route.code).toBe('33.26');
      expect(province.received[0]!.headers['x-pintu-signature']).toBe(`sha256=${createHmac('sha256', 'province-secret-123456').update(province.received[0]!.rawBody).digest('hex')}`);
    } finally {
      await gw.close(); await province.close(); await city.close();
    }
  });
});

describe('a slow agency', () => {
  it('counts no answer within DELIVERY_TIMEOUT_MS as a failed attempt and retries', async () => {
    const sink = await startAgencySink();
    sink.delayMs = 2000;
    const gw = await startGateway({ NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: SECRET, DELIVERY_TIMEOUT_MS: '200', DELIVERY_BACKOFF_MS: '50' });
    try {
      const { trackingId } = await json(post(gw, { text: 'Jalan di desa kami rusak parah sekali' }));
      await eventually(() => sink.received.length >= 1);
      sink.delayMs = 0;
      await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
      expect(sink.received.length).toBeGreaterThanOrEqual(2);
      expect(new Set(sink.received.map((d) => d.headers['idempotency-key'])).size).toBe(1);
    } finally {
      await gw.close(); await sink.close();
    }
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After past the per-IP limit', async () => {
    const gw = await startGateway({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await post(gw, { text: 'PekalonganKota jalan rusak lagi dan lagi' })).status);
      expect(codes).toEqual([202, 202, 429]);
      const limited = await post(gw, { text: 'PekalonganKota jalan rusak lagi dan lagi' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});
