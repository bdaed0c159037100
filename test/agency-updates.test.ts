/**
 * The way back over real HTTP: agencies answer with signed updates (POST /api/v1/agency/updates), the timeline keeps
 * them, the transition table (config/agency-statuses.json) decides what may follow what, a repeated update id
 * changes nothing, and bukan_wewenang sends the complaint up the hierarchy to be delivered again.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../src/signed-http.js';
import type { Status } from '../src/lifecycle.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN, ADMIN_ENV, adminApi, VIEWER } from './admin-helpers.js';

const SECRETS = { national: 'national-desk-secret-0123', province: 'jawa-tengah-secret-0123', city: 'kota-pekalongan-secret-01', semarang: 'kota-semarang-secret-0123' };
const table = JSON.parse(readFileSync(new URL('../config/agency-statuses.json', import.meta.url), 'utf8')) as { statuses: string[]; transitions: Record<string, string[]> };

interface Agencies { national: AgencySink; province: AgencySink; city: AgencySink; semarang: AgencySink }

async function agencies(): Promise<Agencies> {
  const [national, province, city, semarang] = await Promise.all([startAgencySink(), startAgencySink(), startAgencySink(), startAgencySink()]);
  return { national: national!, province: province!, city: city!, semarang: semarang! };
}

/** A gateway whose Jawa Tengah, Kota Pekalongan and Kota Semarang routes have webhooks of their own. */
async function gateway(sinks: Agencies, env: Record<string, string> = {}): Promise<TestGateway> {
  const gw = await startGateway({ NATIONAL_WEBHOOK_URL: sinks.national.url, WEBHOOK_SECRET: SECRETS.national, ...ADMIN_ENV, ...env });
  const routes = gw.pintu.routes.index().routes;
  await gw.pintu.routes.save([
    { ...routes.get('33')!, destination: { url: sinks.province.url, secret: SECRETS.province } },
    { ...routes.get('33.75')!, destination: { url: sinks.city.url, secret: SECRETS.city } },
    { ...routes.get('33.74')!, destination: { url: sinks.semarang.url, secret: SECRETS.semarang } },
  ]);
  return gw;
}

/** A signed update as an agency sends it; `signature` overrides the header (null: none). */
function update(gw: TestGateway, agency: string | null, secret: string, body: unknown, signature?: string | null) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const header = signature === undefined ? sign(raw, secret) : signature;
  return fetch(`${gw.url}/api/v1/agency/updates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(agency && { 'x-pintu-agency': agency }), ...(header && { 'x-pintu-signature': header }) },
    body: raw,
  });
}

let updates = 0;
const nextUpdateId = () => `upd-${process.pid}-${updates++}`;

/** A web complaint for `text`, once it is delivered (where its route sends it). */
async function delivered(gw: TestGateway, text = 'PekalonganKota jalan rusak di depan pasar, berlubang besar'): Promise<string> {
  const res = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  const { trackingId } = (await res.json()) as { trackingId: string };
  await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
  return trackingId;
}

describe('agency updates: who may answer, and how', () => {
  let sinks: Agencies;
  let gw: TestGateway;
  let trackingId: string;
  beforeAll(async () => {
    sinks = await agencies();
    gw = await gateway(sinks);
    trackingId = await delivered(gw);
  });
  afterAll(async () => { await gw.close(); await Promise.all(Object.values(sinks).map((s) => s.close())); });

  const body = () => ({ trackingId, updateId: nextUpdateId(), status: 'diverifikasi' });

  it.each([
    ['no X-Pintu-Agency', null, SECRETS.city, undefined, 401, /X-Pintu-Agency is missing/],
    ['an unknown agency', '99.99', SECRETS.city, undefined, 401, /No webhook secret for agency 99\.99/],
    ['a route without a webhook of its own (Kabupaten Pekalongan)', '33.26', SECRETS.city, undefined, 401, /No webhook secret/],
    ['no signature', '33.75', SECRETS.city, null, 401, /X-Pintu-Signature is missing or does not match/],
    ['a signature made with another secret', '33.75', SECRETS.province, undefined, 401, /does not match/],
    ['a signature in another form', '33.75', SECRETS.city, 'sha256=not-hex', 401, /does not match/],
    ['another regency with a webhook (Kota Semarang)', '33.74', SECRETS.semarang, undefined, 403, /is with Kota Pekalongan: agency 33\.74 is neither/],
    ['the agency that has it (Kota Pekalongan)', '33.75', SECRETS.city, undefined, 200, null],
    ['its province (Jawa Tengah)', '33', SECRETS.province, undefined, 200, null],
    ['the national desk', 'national', SECRETS.national, undefined, 200, null],
  ] as const)('%s → %i', async (_label, agency, secret, signature, code, message) => {
    const res = await update(gw, agency, secret, body(), signature);
    expect(res.status).toBe(code);
    const answer = (await res.json()) as { message?: string; trackingId?: string; status?: string };
    if (message) expect(answer.message).toMatch(message);
    else expect(answer).toEqual({ trackingId, status: 'diverifikasi' });
  });

  it('refuses a city answering for a complaint that is with its province', async () => {
    const atProvince = await delivered(gw, 'JawaTengahProv banjir di jalan provinsi tidak surut');
    const res = await update(gw, '33.75', SECRETS.city, { trackingId: atProvince, updateId: nextUpdateId(), status: 'diverifikasi' });
    expect(res.status).toBe(403);
  });

  it.each([
    ['no updateId', { status: 'diverifikasi' }, 'updateId'],
    ['an unknown status', { updateId: 'x1', status: 'beres' }, 'status'],
    ['neither a tracking number nor a complaint id', { updateId: 'x2', status: 'selesai', trackingId: undefined }, 'trackingId'],
    ['a malformed tracking number', { updateId: 'x3', status: 'selesai', trackingId: 'nope' }, 'trackingId'],
    ['a note over 4000 characters', { updateId: 'x4', status: 'ditindaklanjuti', note: 'a'.repeat(4001) }, 'note'],
  ])('400 naming the field: %s', async (_label, fields, field) => {
    const res = await update(gw, '33.75', SECRETS.city, { trackingId, ...fields });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { fields: Record<string, string> }).fields[field]).toBeTruthy();
  });

  it('400 for a body that is not JSON, 413 over 64 KB, 404 for a complaint that does not exist', async () => {
    expect((await update(gw, '33.75', SECRETS.city, '{not json')).status).toBe(400);
    expect((await update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'big', status: 'ditindaklanjuti', note: 'a'.repeat(70_000) })).status).toBe(413);
    expect((await update(gw, '33.75', SECRETS.city, { trackingId: 'ZZZZZZZZ', updateId: 'none', status: 'selesai' })).status).toBe(404);
  });

  it('finds the complaint by its id as well as its tracking number', async () => {
    const complaintId = sinks.city.received.find((d) => d.body.complaint.trackingId === trackingId)!.body.complaint.id as string;
    const res = await update(gw, '33.75', SECRETS.city, { complaintId, updateId: nextUpdateId(), status: 'didisposisi', note: 'ke Dinas PU' });
    expect(await res.json()).toEqual({ trackingId, status: 'didisposisi' });
    expect((await update(gw, '33.75', SECRETS.city, { complaintId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', updateId: nextUpdateId(), status: 'selesai' })).status).toBe(404);
  });
});

describe('agency updates: the transition table (config/agency-statuses.json)', () => {
  let sinks: Agencies;
  let gw: TestGateway;
  beforeAll(async () => { sinks = await agencies(); gw = await gateway(sinks); });
  afterAll(async () => { await gw.close(); await Promise.all(Object.values(sinks).map((s) => s.close())); });

  // Every status a complaint can be in once delivered, reached by one update from `delivered`.
  const froms = ['delivered', ...table.statuses.filter((s) => s !== 'bukan_wewenang')];
  const pairs = froms.flatMap((from) => table.statuses.map((to) => [from, to, (table.transitions[from] ?? []).includes(to)] as const));

  it.each(pairs)('%s → %s allowed: %s', async (from, to, allowed) => {
    const trackingId = await delivered(gw);
    if (from !== 'delivered') expect((await update(gw, '33.75', SECRETS.city, { trackingId, updateId: nextUpdateId(), status: from })).status).toBe(200);
    const res = await update(gw, '33.75', SECRETS.city, { trackingId, updateId: nextUpdateId(), status: to });
    const answer = (await res.json()) as { status?: string; currentStatus?: string; message?: string };
    if (allowed) {
      expect(res.status).toBe(200);
      // bukan_wewenang sends it on: it is being delivered to the province now.
      expect(answer.status).toBe(to === 'bukan_wewenang' ? 'routed' : to);
    } else {
      expect(res.status).toBe(409);
      expect(answer.currentStatus).toBe(from);
      expect(answer.message).toContain(from);
    }
  });
});

describe('agency updates: the timeline, repeats and re-routes', () => {
  let sinks: Agencies;
  let gw: TestGateway;
  beforeAll(async () => {
    sinks = await agencies();
    gw = await gateway(sinks);
  });
  afterAll(async () => { await gw.close(); await Promise.all(Object.values(sinks).map((s) => s.close())); });

  it('keeps each update once on the timeline; a repeated update id answers 200 and changes nothing', async () => {
    const trackingId = await delivered(gw);
    const first = { trackingId, updateId: 'pkl-001', status: 'ditindaklanjuti', note: 'Petugas sudah meninjau lokasi.' };
    expect(await json(update(gw, '33.75', SECRETS.city, first))).toEqual({ trackingId, status: 'ditindaklanjuti' });
    expect(await json(update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'pkl-002', status: 'selesai', note: 'Jalan sudah ditambal.' }))).toEqual({ trackingId, status: 'selesai' });
    // The same first update again (a retry), even though ditindaklanjuti could no longer follow selesai: 200, nothing changes.
    expect(await json(update(gw, '33.75', SECRETS.city, first))).toEqual({ trackingId, status: 'ditindaklanjuti' });
    const status = await json(fetch(`${gw.url}/api/v1/complaints/${trackingId}`));
    expect(status.status).toBe('selesai');
    expect(status.timeline.map((e: { status: string }) => e.status)).toEqual(['received', 'delivered', 'ditindaklanjuti', 'selesai']);
    expect(status.timeline[2]).toEqual({ at: expect.any(String), status: 'ditindaklanjuti', agency: { code: '33.75', name: 'Kota Pekalongan' }, note: 'Petugas sudah meninjau lokasi.' });
    // selesai is final.
    const after = await update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'pkl-003', status: 'ditunda' });
    expect(after.status).toBe(409);
    expect(await after.json()).toMatchObject({ currentStatus: 'selesai', message: expect.stringMatching(/final/) });
  });

  it('sends a complaint that is not theirs up the hierarchy, city → province → national desk, which cannot pass it on', async () => {
    const trackingId = await delivered(gw);
    const complaintId = sinks.city.received.find((d) => d.body.complaint.trackingId === trackingId)!.body.complaint.id as string;
    expect(await json(update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'r1', status: 'bukan_wewenang', note: 'Jalan provinsi, bukan jalan kota.' }))).toEqual({ trackingId, status: 'routed' });
    const atProvince = await eventually(() => sinks.province.received.find((d) => d.body.complaint.trackingId === trackingId));
    expect(atProvince.headers['idempotency-key']).toBe(complaintId);
    expect(atProvince.headers['x-pintu-signature']).toBe(sign(atProvince.rawBody, SECRETS.province));
    expect(atProvince.body.route).toMatchObject({ code: '33', name: 'Provinsi Jawa Tengah' });
    expect(atProvince.body.reroutedFrom).toMatchObject({ from: { code: '33.75', name: 'Kota Pekalongan' }, status: 'bukan_wewenang', note: 'Jalan provinsi, bukan jalan kota.' });
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    // The city has no say over it any more; the province has.
    expect((await update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'r2', status: 'selesai' })).status).toBe(403);
    expect(await json(update(gw, '33', SECRETS.province, { trackingId, updateId: 'r3', status: 'bukan_wewenang', note: 'Wewenang pusat.' }))).toEqual({ trackingId, status: 'routed' });
    const atNational = await eventually(() => sinks.national.received.find((d) => d.body.complaint.trackingId === trackingId));
    expect(atNational.headers['idempotency-key']).toBe(complaintId);
    expect(atNational.body.reroutedFrom.from).toEqual({ code: '33', name: 'Provinsi Jawa Tengah' });
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    const last = await update(gw, 'national', SECRETS.national, { trackingId, updateId: 'r4', status: 'bukan_wewenang' });
    expect(last.status).toBe(409);
    expect(((await last.json()) as { message: string }).message).toMatch(/national desk cannot answer bukan_wewenang/);
    const timeline = (await json(fetch(`${gw.url}/api/v1/complaints/${trackingId}`))).timeline as Array<{ status: Status; agency?: { code: string }; to?: { code: string } }>;
    expect(timeline.map((e) => [e.status, e.agency?.code ?? null, e.to?.code ?? null])).toEqual([
      ['received', null, null], ['delivered', '33.75', null], ['bukan_wewenang', '33.75', '33'], ['delivered', '33', null], ['bukan_wewenang', '33', 'national'], ['delivered', 'national', null],
    ]);
    // Each agency received it exactly once.
    for (const sink of [sinks.city, sinks.province, sinks.national]) expect(sink.received.filter((d) => d.body.complaint.trackingId === trackingId)).toHaveLength(1);
  });

  it('sends it to the region the agency names, and refuses a region that does not exist', async () => {
    const trackingId = await delivered(gw);
    expect((await update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'n0', status: 'bukan_wewenang', region: 'AntahBerantahKota' })).status).toBe(400);
    expect(await json(update(gw, '33.75', SECRETS.city, { trackingId, updateId: 'n1', status: 'bukan_wewenang', region: 'SemarangKota', note: 'Lokasi di Semarang.' }))).toEqual({ trackingId, status: 'routed' });
    const atSemarang = await eventually(() => sinks.semarang.received.find((d) => d.body.complaint.trackingId === trackingId));
    expect(atSemarang.body.route.code).toBe('33.74');
  });
});

describe('the agency’s reference, and what admins see', () => {
  let sinks: Agencies;
  let gw: TestGateway;
  beforeAll(async () => { sinks = await agencies(); gw = await gateway(sinks); });
  afterAll(async () => { await gw.close(); await Promise.all(Object.values(sinks).map((s) => s.close())); });

  it('keeps the ticket number the agency answered with, for admins only; the identity for admins, audited', async () => {
    sinks.city.answer = () => ({ reference: 'PKL-2026-0042' });
    const res = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota lampu jalan mati', name: 'Siti Aminah', phone: '081234567890' }) });
    const { trackingId } = (await res.json()) as { trackingId: string };
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    const admin = await json(adminApi(gw.url, ADMIN.token)('GET', `/complaints/${trackingId}`));
    expect(admin).toMatchObject({ trackingId, reference: 'PKL-2026-0042', identityShown: true, complaint: { reporter: { name: 'Siti Aminah', phone: '+6281234567890' } } });
    const viewer = await json(adminApi(gw.url, VIEWER.token)('GET', `/complaints/${trackingId}`));
    expect(viewer).toMatchObject({ identityShown: false, complaint: { reporter: { anonymous: false, confidential: false } } });
    expect(viewer.complaint.reporter.name).toBeUndefined();
    const audit = await json(adminApi(gw.url, ADMIN.token)('GET', `/audit?target=${trackingId}`));
    expect(audit.items).toEqual([expect.objectContaining({ actor: 'ayu', action: 'complaint.identity-viewed', target: trackingId })]);
    // Citizens never see the reference or the identity.
    const status = JSON.stringify(await json(fetch(`${gw.url}/api/v1/complaints/${trackingId}`)));
    expect(status).not.toMatch(/PKL-2026-0042|Siti|081234567890|6281234567890/);
  });
});

describe('agency updates: rate limit', () => {
  it('answers 429 past AGENCY_UPDATES_PER_MINUTE for one agency, not for another', async () => {
    const sinks = await agencies();
    const gw = await gateway(sinks, { AGENCY_UPDATES_PER_MINUTE: '2' });
    try {
      const trackingId = await delivered(gw);
      const send = (agency: string, secret: string) => update(gw, agency, secret, { trackingId, updateId: nextUpdateId(), status: 'diverifikasi' });
      expect((await send('33.75', SECRETS.city)).status).toBe(200);
      expect((await send('33.75', SECRETS.city)).status).toBe(200);
      const limited = await send('33.75', SECRETS.city);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBeTruthy();
      expect((await send('33', SECRETS.province)).status).toBe(200);
    } finally {
      await gw.close();
      await Promise.all(Object.values(sinks).map((s) => s.close()));
    }
  });
});
