/**
 * Deadlines at work, with second-scale durations over real HTTP and Redis: an agency that does not answer in time
 * has its complaint escalated to the agency above (once per stage, whatever the number of workers), shown overdue
 * to admins and in the metrics, until it answers; ditunda stops the clock; the performance table counts it all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../src/signed-http.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN, ADMIN_ENV, adminApi, startPeer } from './admin-helpers.js';

const SECRETS = { national: 'national-desk-secret-0123', province: 'jawa-tengah-secret-0123', city: 'kota-pekalongan-secret-01' };
const DEADLINES = { DEADLINE_FIRST_RESPONSE: '2s', DEADLINE_FOLLOW_UP: '2s', CLOCK_SCAN_MS: '200' };
let updates = 0;

describe('deadlines, escalation and the performance table', () => {
  let national: AgencySink;
  let province: AgencySink;
  let city: AgencySink;
  let gw: TestGateway;
  let peer: Awaited<ReturnType<typeof startPeer>>;
  const admin = () => adminApi(gw.url, ADMIN.token);

  beforeAll(async () => {
    [national, province, city] = await Promise.all([startAgencySink(), startAgencySink(), startAgencySink()]);
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: national.url, WEBHOOK_SECRET: SECRETS.national, ...ADMIN_ENV, ...DEADLINES });
    const routes = gw.pintu.routes.index().routes;
    await gw.pintu.routes.save([
      { ...routes.get('33')!, destination: { url: province.url, secret: SECRETS.province } },
      { ...routes.get('33.75')!, destination: { url: city.url, secret: SECRETS.city } },
    ]);
    // A second process's workers on the same Redis: escalations must still happen once.
    peer = await startPeer(gw.prefix, { NATIONAL_WEBHOOK_URL: national.url, WEBHOOK_SECRET: SECRETS.national, ...DEADLINES });
    peer.startWorkers();
  });
  afterAll(async () => {
    await peer.close();
    await gw.close();
    await Promise.all([national, province, city].map((s) => s.close()));
  });

  const update = (agency: string, secret: string, body: Record<string, unknown>) => {
    const raw = JSON.stringify({ updateId: `d-${process.pid}-${updates++}`, ...body });
    return fetch(`${gw.url}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': agency, 'x-pintu-signature': sign(raw, secret) }, body: raw });
  };
  const delivered = async (text = 'PekalonganKota jalan rusak di depan pasar'): Promise<{ trackingId: string; complaintId: string }> => {
    const { trackingId } = await json(fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, name: 'Siti', anonymous: true }) }));
    const record = await eventually(async () => { const r = await gw.pintu.status.get(trackingId); return r?.status === 'delivered' && r; });
    return { trackingId, complaintId: record.complaintId };
  };
  const escalationsOf = (sink: AgencySink, complaintId: string) => sink.received.filter((d) => String(d.headers['idempotency-key']).startsWith(`${complaintId}:escalation:`));

  it('escalates a complaint nobody answers to the province, once, and shows it overdue until the city answers', async () => {
    const { trackingId, complaintId } = await delivered();
    const [escalation] = await eventually(() => { const got = escalationsOf(province, complaintId); return got.length === 1 && got; }, 15_000);
    expect(escalation!.headers['idempotency-key']).toBe(`${complaintId}:escalation:firstResponse`);
    expect(escalation!.headers['x-pintu-signature']).toBe(sign(escalation!.rawBody, SECRETS.province));
    expect(escalation!.body.escalation).toEqual({ stage: 'firstResponse', deadline: expect.any(String), overdueSince: expect.any(String), from: { code: '33.75', name: 'Kota Pekalongan' } });
    expect(escalation!.body.route.code).toBe('33.75');
    // The citizen asked for anonymity: the province does not learn who it is either.
    expect(escalation!.body.complaint.reporter).toEqual({ anonymous: true, confidential: false });
    expect(escalation!.body.complaint.trackingId).toBe(trackingId);

    const view = await eventually(async () => { const v = await json(admin()('GET', `/complaints/${trackingId}`)); return v.escalations.length === 1 && v; });
    expect(view.deadline).toMatchObject({ stage: 'firstResponse', overdue: true, paused: false });
    expect(view.escalations).toEqual([{ stage: 'firstResponse', to: { code: '33', name: 'Provinsi Jawa Tengah' }, at: expect.any(String) }]);
    const overdue = await json(admin()('GET', '/overdue?province=33'));
    expect(overdue.items).toContainEqual(expect.objectContaining({ trackingId, route: { code: '33.75', name: 'Kota Pekalongan' }, level: 'regency', province: '33', stage: 'firstResponse', escalatedTo: { code: '33', name: 'Provinsi Jawa Tengah' } }));
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/pintu_overdue_complaints\{level="regency"\} [1-9]/);

    // Late, the city answers: no longer overdue; the follow-up clock runs (and is escalated in its turn).
    expect((await update('33.75', SECRETS.city, { trackingId, status: 'diverifikasi' })).status).toBe(200);
    const after = await json(admin()('GET', `/complaints/${trackingId}`));
    expect(after.deadline).toMatchObject({ stage: 'followUp', overdue: false });
    expect((await json(admin()('GET', '/overdue'))).items.map((i: { trackingId: string; stage: string }) => `${i.trackingId}:${i.stage}`)).not.toContain(`${trackingId}:firstResponse`);
    await eventually(() => escalationsOf(province, complaintId).length === 2, 15_000);
    expect(escalationsOf(province, complaintId)[1]!.headers['idempotency-key']).toBe(`${complaintId}:escalation:followUp`);
    expect((await update('33.75', SECRETS.city, { trackingId, status: 'selesai', note: 'Sudah ditambal.' })).status).toBe(200);
    // Done: no clock, nothing overdue, and the record will expire after the retention period.
    expect((await json(admin()('GET', `/complaints/${trackingId}`))).deadline).toBeNull();
    const ttl = await gw.pintu.redis.ttl(gw.pintu.status.keys.record(trackingId));
    expect(ttl).toBeGreaterThan(729 * 86_400);
    expect(ttl).toBeLessThanOrEqual(730 * 86_400);
    // Two workers' clock scanners, and each stage escalated once.
    await new Promise((r) => setTimeout(r, 1000));
    expect(escalationsOf(province, complaintId)).toHaveLength(2);
  });

  it('stops the clock while ditunda', async () => {
    const { trackingId, complaintId } = await delivered();
    expect((await update('33.75', SECRETS.city, { trackingId, status: 'ditunda', note: 'Menunggu anggaran.' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3500));
    expect(escalationsOf(province, complaintId)).toHaveLength(0);
    expect((await json(admin()('GET', `/complaints/${trackingId}`))).deadline).toMatchObject({ stage: 'followUp', paused: true, overdue: false });
    expect((await update('33.75', SECRETS.city, { trackingId, status: 'ditindaklanjuti' })).status).toBe(200);
    expect((await json(admin()('GET', `/complaints/${trackingId}`))).deadline).toBeNull();
  });

  it('starts fresh clocks at the agency a complaint is re-routed to, and escalates there to the one above', async () => {
    const { trackingId, complaintId } = await delivered();
    expect((await update('33.75', SECRETS.city, { trackingId, status: 'bukan_wewenang' })).status).toBe(200);
    await eventually(() => province.received.some((d) => d.headers['idempotency-key'] === complaintId), 15_000);
    const [escalation] = await eventually(() => { const got = escalationsOf(national, complaintId); return got.length === 1 && got; }, 15_000);
    expect(escalation!.body.escalation.from).toEqual({ code: '33', name: 'Provinsi Jawa Tengah' });
    expect(escalationsOf(province, complaintId)).toHaveLength(0);
  });

  it('counts every event in the performance table: received, delivered, answered (and how fast), resolved, overdue now', async () => {
    const { trackingId } = await delivered('PekalonganKota lampu jalan mati di Jl. Merdeka');
    expect((await update('33.75', SECRETS.city, { trackingId, status: 'ditindaklanjuti' })).status).toBe(200);
    // Days are each region's own (WIB here): a day either side of UTC's today covers this run wherever the clock is.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const [from, to] = [day(-1), day(1)];
    const table = await json(admin()('GET', `/performance?from=${from}&to=${to}&province=33&level=regency`));
    const row = table.regions.find((r: { code: string }) => r.code === '33.75');
    expect(row.received).toBeGreaterThanOrEqual(4);
    expect(row.receivedByChannel.web).toBe(row.received);
    expect(row.delivered).toBeGreaterThanOrEqual(4);
    expect(row.firstResponse.count).toBeGreaterThanOrEqual(3);
    // The first test's late answer counts late; this one's prompt answer in time.
    expect(row.firstResponse.withinDeadline).toBeGreaterThanOrEqual(2);
    expect(row.firstResponse.withinDeadline).toBeLessThan(row.firstResponse.count);
    expect(row.resolved).toBeGreaterThanOrEqual(1);
    expect(row.reRouted).toBe(1);
    const csv = await (await admin()('GET', `/performance?from=${from}&to=${to}&province=33&format=csv`)).text();
    expect(csv.split('\r\n')[0]).toMatch(/^code,name,level,province,received,/);
    expect(csv).toContain('33.75,Kota Pekalongan,regency,33,');
  });
});
