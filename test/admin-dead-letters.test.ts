/** Dead letters through the admin API: listed with reason and attempts, replayed once with the same complaint id. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webChannel } from '../adapters/web/index.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { ADMIN_ENV, adminApi } from './admin-helpers.js';

describe('dead letters', () => {
  let sink: AgencySink;
  let gw: TestGateway;
  let api: ReturnType<typeof adminApi>;
  beforeAll(async () => {
    sink = await startAgencySink();
    gw = await startGateway({ ...ADMIN_ENV, NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'national-secret-0123456789', DELIVERY_ATTEMPTS: '2', DELIVERY_BACKOFF_MS: '20' }, { channels: [webChannel] });
    api = adminApi(gw.url);
  });
  afterAll(async () => { await gw.close(); await sink.close(); });
  afterEach(async () => {
    sink.fallback = 200; sink.received.length = 0;
    await gw.pintu.queues.deadLetters.drain();
  });

  /** A complaint the agency refuses for good (422), waiting in dead letters. */
  const deadLetter = async (text: string) => {
    sink.fallback = 422;
    const { trackingId } = await json(fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, phone: '081234567890', name: 'Siti Aminah' }) }));
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'failed');
    return trackingId as string;
  };

  it('lists dead letters with the reason and attempts, and shows one without the reporter', async () => {
    const first = await deadLetter('PekalonganKota jalan rusak di depan pasar');
    const second = await deadLetter('BandungKota trotoar dipakai parkir liar');
    const list = await json(api('GET', '/dead-letters?limit=1'));
    expect(list).toMatchObject({ total: 2, offset: 0, limit: 1 });
    expect(list.items[0]).toMatchObject({ trackingId: second, routeCode: '32.73', routeName: 'Kota Bandung', reason: 'agency answered HTTP 422', attempts: 1, channel: 'web', text: 'trotoar dipakai parkir liar' });
    expect((await json(api('GET', '/dead-letters?offset=1'))).items[0].trackingId).toBe(first);
    expect((await json(api('GET', '/dead-letters?route=33'))).items.map((l: any) => l.trackingId)).toEqual([first]);

    const detail = await api('GET', `/dead-letters/${list.items[0].id}`);
    const text = await detail.clone().text();
    expect((await json(detail)).complaint).toMatchObject({ trackingId: second, reporter: { anonymous: false, confidential: false } });
    expect(text).not.toMatch(/6281234567890|Siti/);
    expect((await api('GET', '/dead-letters/dl-nothing')).status).toBe(404);
  });

  it('replays a dead letter once, with the same complaint id and tracking number, and audits it', async () => {
    const trackingId = await deadLetter('PekalonganKota sampah menumpuk di TPS');
    const [refused] = sink.received;
    const [letter] = (await json(api('GET', '/dead-letters'))).items;
    sink.fallback = 200;
    // Two admins press replay at the same moment: one replay happens.
    const answers = await Promise.all([api('POST', `/dead-letters/${letter.id}/replay`), api('POST', `/dead-letters/${letter.id}/replay`)]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 404]);
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    await new Promise((r) => setTimeout(r, 300));
    const delivered = sink.received.filter((d) => d.status === 200);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.headers['idempotency-key']).toBe(refused!.headers['idempotency-key']);
    expect(delivered[0]!.body.complaint).toMatchObject({ id: letter.complaintId, trackingId });
    expect((await json(api('GET', '/dead-letters'))).total).toBe(0);
    expect((await api('POST', `/dead-letters/${letter.id}/replay`)).status).toBe(404);
    const [entry] = (await json(api('GET', `/audit?target=${letter.id}`))).items;
    expect(entry).toMatchObject({ actor: 'ayu', action: 'dead-letter.replay', details: { trackingId, complaintId: letter.complaintId, routeCode: '33.75', attempts: 1 } });
  });

  it('replays all dead letters of one route, or all of them', async () => {
    const pekalongan = [await deadLetter('PekalonganKota lampu jalan mati'), await deadLetter('PekalonganKab irigasi sawah rusak')];
    const bandung = await deadLetter('BandungKota jalan berlubang dekat stasiun');
    sink.fallback = 200;
    const replayed = await json(api('POST', '/dead-letters/replay', { route: '33' }));
    expect(replayed.replayed.map((r: any) => r.trackingId).sort()).toEqual([...pekalongan].sort());
    await eventually(() => sink.received.filter((d) => d.status === 200).length === 2);
    expect((await json(api('GET', '/dead-letters'))).items.map((l: any) => l.trackingId)).toEqual([bandung]);
    expect((await json(api('POST', '/dead-letters/replay'))).replayed.map((r: any) => r.trackingId)).toEqual([bandung]);
    await eventually(async () => (await gw.pintu.status.get(bandung))?.status === 'delivered');
    expect((await json(api('GET', '/audit'))).items.filter((e: any) => e.action === 'dead-letter.replay')).toHaveLength(4);
  });
});
