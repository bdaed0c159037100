/**
 * The WhatsApp channel end to end over real HTTP: the fake Cloud API posts signed webhooks to the gateway as Meta
 * does (and resends them), Pintu keeps complaints in the real Redis, workers deliver them to a real HTTP agency, and
 * answers go back through the fake's messages endpoint; agencies' updates reach the citizen as free text within 24
 * hours of their last message and as the approved template after, also when WhatsApp refuses free text (131047).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Complaint } from '../../src/complaint.js';
import { startAgencySink, type AgencySink } from '../../test/helpers/agency-sink.js';
import { eventually, keptComplaints, type TestGateway } from '../../test/helpers/gateway.js';
import { signBody } from './signature.js';
import { APP_SECRET, PHONE_NUMBER_ID, startWhatsAppRig, VERIFY_TOKEN, type WhatsAppRig } from './sim/rig.js';
import type { Citizen, SimChoice, SimMedia, SimSent, WaSim } from './sim/server.js';

interface Case {
  label: string;
  citizen?: { userId: string };
  send: { type: 'text'; text: string } | { type: 'media'; media: SimMedia } | { type: 'choice'; choice: SimChoice };
  /** Expected fields of the complaint; absent: no complaint. */
  complaint?: Record<string, unknown>;
  /** The answer, a pattern with {trackingId}; absent: no answer. */
  reply?: string;
}
const cases = JSON.parse(readFileSync(new URL('./pipeline-cases.json', import.meta.url), 'utf8')) as Case[];

let citizens = 0;
/** A fresh citizen per test, so answers and windows never cross tests. */
const nextCitizen = (name = 'Warga'): Citizen => ({ phone: `62813${String(process.pid % 1000).padStart(3, '0')}${String(citizens++).padStart(5, '0')}`, name });
const replyTo = (c: Citizen) => c.phone ?? c.userId!;
/** The template's last two parameters: the agency, and when it was sent in WIB (`2 Des 2026, 14.05 WIB`). */
const BY_CITY_NOW = ['Kota Pekalongan', expect.stringMatching(/^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}\.\d{2} WIB$/)];

describe('WhatsApp over the Cloud API → agency, and back', () => {
  let sink: AgencySink;
  let city: AgencySink;
  let rig: WhatsAppRig;
  let sim: WaSim;
  let gw: TestGateway;
  const hook = () => rig.hook;
  const sentTo = (c: Citizen): SimSent[] => sim.sent.filter((s) => s.to === replyTo(c));
  const complaintOf = async (messageId: string): Promise<Complaint | undefined> => (await keptComplaints(gw.pintu)).find((c) => c.source.messageId === messageId);
  const metric = async (name: string, labels: Record<string, string>) =>
    (await gw.pintu.metrics.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  const update = (trackingId: string, body: Record<string, unknown>) => rig.update(trackingId, body);

  /** A complaint from `citizen` through the fake, once delivered to the agency; its tracking number. */
  async function complaintFrom(citizen: Citizen, text = 'PekalonganKota jalan rusak di depan pasar'): Promise<string> {
    const { messageId, delivered } = sim.sendText(citizen, text);
    expect((await delivered).delivered).toBe(true);
    const complaint = await eventually(() => complaintOf(messageId));
    await eventually(() => sentTo(citizen).some((s) => s.text?.includes(complaint.trackingId)));
    await eventually(async () => (await gw.pintu.status.get(complaint.trackingId))?.status === 'delivered');
    return complaint.trackingId;
  }

  beforeAll(async () => {
    [sink, city] = await Promise.all([startAgencySink(), startAgencySink()]);
    rig = await startWhatsAppRig({
      gatewayEnv: { NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'test-national-secret-123' },
      // Every field a template may take, the agency and the time last.
      channelEnv: { WHATSAPP_TEMPLATE_STATUS: 'status_aduan', WHATSAPP_TEMPLATE_STATUS_PARAMS: 'trackingId,status,note,region,updatedAt' },
      sim: { autoStatuses: true },
      cityUrl: city.url,
    });
    ({ gw, sim } = rig);
  });
  afterAll(async () => { await rig.close(); await sink.close(); await city.close(); });

  it.each(cases)('$label', async (c) => {
    const citizen: Citizen = c.citizen ? { userId: c.citizen.userId.replace('{n}', `${process.pid}${citizens++}`), name: 'Rahasia' } : nextCitizen('Siti Aminah');
    const posted = c.send.type === 'text' ? sim.sendText(citizen, c.send.text) : c.send.type === 'media' ? sim.sendMedia(citizen, c.send.media) : sim.sendChoice(citizen, c.send.choice);
    // Answered 200 at the first attempt: everything in it was kept.
    expect(await posted.delivered).toMatchObject({ delivered: true, attempts: [{ status: 200 }] });
    let trackingId = '';
    if (c.complaint) {
      const complaint = await eventually(() => complaintOf(posted.messageId));
      trackingId = complaint.trackingId;
      expect(complaint).toMatchObject({ channel: 'whatsapp', ...c.complaint });
      expect(complaint.reporter.phone).toBe(citizen.phone ? `+${citizen.phone}` : undefined);
      const delivered = await eventually(() => [...sink.received, ...city.received].find((d) => d.body?.complaint?.trackingId === trackingId));
      expect(delivered.body.complaint.source.messageId).toBe(posted.messageId);
    }
    if (c.reply) {
      const [answer] = await eventually(() => sentTo(citizen).length > 0 && sentTo(citizen));
      expect(answer).toMatchObject({ type: 'text', inReplyTo: posted.messageId, windowClosed: false });
      expect(answer!.text).toMatch(new RegExp(c.reply.replaceAll('{trackingId}', trackingId)));
    }
    await new Promise((r) => setTimeout(r, 300));
    if (!c.complaint) expect(await complaintOf(posted.messageId)).toBeUndefined();
    expect(sentTo(citizen)).toHaveLength(c.reply ? 1 : 0);
  });

  it('answers CEK with the status, and an unknown number kindly', async () => {
    const citizen = nextCitizen();
    const trackingId = await complaintFrom(citizen);
    await sim.sendText(citizen, `cek ${trackingId.toLowerCase()}`).delivered;
    await sim.sendText(citizen, 'CEK ZZZZZZZZ').delivered;
    const answers = await eventually(() => sentTo(citizen).length === 3 && sentTo(citizen).map((s) => s.text));
    expect(answers.slice(1)).toEqual(expect.arrayContaining([
      `Aduan ${trackingId}: sudah diterima instansi ke Kota Pekalongan.`,
      'Nomor lacak ZZZZZZZZ tidak ditemukan. Periksa kembali nomor Anda.',
    ]));
  });

  it('keeps a location shared on its own for the citizen’s next complaint, as coordinates, and only that one', async () => {
    const citizen = nextCitizen();
    const location = sim.sendLocation(citizen, { lat: -6.8898, lon: 109.6746, name: 'Pasar Banjarsari', address: 'Jl. Dr. Wahidin, Pekalongan' });
    await location.delivered;
    const [kept] = await eventually(() => sentTo(citizen).length === 1 && sentTo(citizen));
    expect(kept!.text).toMatch(/^Lokasi Anda kami simpan selama 1 jam untuk aduan Anda berikutnya\. Format: /);
    expect(await complaintOf(location.messageId)).toBeUndefined();
    const first = sim.sendText(citizen, 'PekalonganKota sampah menumpuk di depan pasar');
    await first.delivered;
    expect(await eventually(() => complaintOf(first.messageId))).toMatchObject({ location: { lat: -6.8898, lon: 109.6746, address: 'Pasar Banjarsari, Jl. Dr. Wahidin, Pekalongan' } });
    const second = sim.sendText(citizen, 'PekalonganKota lampu jalan mati');
    await second.delivered;
    expect((await eventually(() => complaintOf(second.messageId))).location).toBeUndefined();
  });

  it('makes one complaint and one answer of a delivery Meta sends again, at once and later', async () => {
    const citizen = nextCitizen();
    const first = sim.sendText(citizen, 'PekalonganKota saluran air tersumbat');
    const report = await first.delivered;
    const body = JSON.parse(report.body) as unknown;
    const again = await Promise.all([sim.deliver(body), sim.deliver(body)]);
    expect(again.map((r) => r.attempts.map((a) => a.status))).toEqual([[200], [200]]);
    await eventually(() => sentTo(citizen).length === 1);
    expect((await sim.deliver(body)).delivered).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect((await keptComplaints(gw.pintu)).filter((c) => c.source.messageId === first.messageId)).toHaveLength(1);
    expect(sentTo(citizen)).toHaveLength(1);
    expect(await metric('pintu_duplicate_messages_total', { channel: 'whatsapp' })).toBeGreaterThanOrEqual(3);
  });

  it('refuses a delivery with a bad or missing signature (401) and keeps nothing of it', async () => {
    const citizen = nextCitizen();
    const wamid = `wamid.unsigned-${process.pid}-${Date.now()}`;
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: PHONE_NUMBER_ID }, contacts: [{ wa_id: citizen.phone }], messages: [{ from: citizen.phone, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'PekalonganKota jalan rusak' } }] } }] }],
    });
    const post = (signature?: string) => fetch(hook(), { method: 'POST', headers: { 'content-type': 'application/json', ...(signature && { 'x-hub-signature-256': signature }) }, body });
    for (const signature of [undefined, signBody('another-app-secret-0123', body), signBody(APP_SECRET, `${body} `)]) {
      const res = await post(signature);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized', message: expect.stringContaining('x-hub-signature-256') });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await complaintOf(wamid)).toBeUndefined();
    expect(sentTo(citizen)).toHaveLength(0);
    expect(await gw.pintu.redis.get(rig.lastKey(citizen.phone!))).toBeNull();
    expect(await metric('pintu_whatsapp_webhook_rejected_total', { reason: 'signature' })).toBeGreaterThanOrEqual(3);
    // The same body signed right is taken.
    expect((await post(signBody(APP_SECRET, body))).status).toBe(200);
    await eventually(() => complaintOf(wamid));
  });

  it('answers Meta’s verification with the challenge for the right token, 403 for a wrong one', async () => {
    expect(await sim.verify(hook(), VERIFY_TOKEN, '1158201444')).toEqual({ status: 200, body: '1158201444', ok: true });
    const wrong = await sim.verify(hook(), 'not-the-verify-token', '1158201444');
    expect(wrong).toMatchObject({ status: 403, ok: false });
    expect(JSON.parse(wrong.body)).toMatchObject({ error: 'forbidden', fields: { 'hub.verify_token': 'hub.verify_token does not match' } });
    const res = await fetch(`${hook()}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('is documented at /docs (OpenAPI)', async () => {
    const { paths } = await (await fetch(`${gw.url}/docs/json`)).json() as { paths: Record<string, Record<string, { summary?: string; tags?: string[] }>> };
    const webhook = paths['/api/v1/whatsapp/webhook']!;
    expect(webhook.get).toMatchObject({ summary: expect.stringContaining('verification'), tags: ['whatsapp'] });
    expect(webhook.post).toMatchObject({ summary: expect.stringContaining('X-Hub-Signature-256'), tags: ['whatsapp'] });
  });

  it('counts delivery reports on our messages, never as complaints; a failed one by its failure class', async () => {
    const citizen = nextCitizen();
    const before = { delivered: await metric('pintu_whatsapp_statuses_total', { status: 'delivered' }), read: await metric('pintu_whatsapp_statuses_total', { status: 'read' }) };
    const failedBefore = await metric('pintu_whatsapp_failed_replies_total', { reason: 'undeliverable' });
    await complaintFrom(citizen);
    const [answer] = sentTo(citizen);
    // The fake reports sent and delivered on its own, as WhatsApp does.
    await eventually(async () => (await metric('pintu_whatsapp_statuses_total', { status: 'delivered' })) > before.delivered);
    const complaints = (await keptComplaints(gw.pintu)).length;
    expect((await sim.sendStatus(answer!.messageId, 'read', citizen).delivered).attempts.map((a) => a.status)).toEqual([200]);
    const failed = await sim.sendStatus(answer!.messageId, 'failed', citizen, { errors: [{ code: 131026, title: 'Message undeliverable' }], callbackData: answer!.callbackData! }).delivered;
    expect(failed.attempts.map((a) => a.status)).toEqual([200]);
    expect(await metric('pintu_whatsapp_statuses_total', { status: 'read' })).toBe(before.read + 1);
    expect(await metric('pintu_whatsapp_failed_replies_total', { reason: 'undeliverable' })).toBe(failedBefore + 1);
    expect((await keptComplaints(gw.pintu)).length).toBe(complaints);
    const exposed = await (await fetch(`${gw.url}/metrics`)).text();
    expect(exposed).toMatch(/^pintu_whatsapp_statuses_total\{status="read"\} \d+$/m);
    expect(exposed).toMatch(/^pintu_whatsapp_messages_sent_total\{type="text"\} \d+$/m);
  });

  describe('agency updates reach the citizen on WhatsApp', () => {
    const lastWrote = (c: Citizen, hours: number) => rig.lastWrote(replyTo(c), hours);

    it('as free text within 24 hours of the citizen’s last message', async () => {
      const citizen = nextCitizen();
      const trackingId = await complaintFrom(citizen);
      expect((await update(trackingId, { status: 'ditindaklanjuti', note: 'Petugas PDAM sudah ke lokasi.' })).status).toBe(200);
      const [, notice] = await eventually(() => sentTo(citizen).length === 2 && sentTo(citizen));
      expect(notice).toMatchObject({ type: 'text', windowClosed: false, text: `LAPOR! ${trackingId}: aduan Anda sedang ditindaklanjuti oleh Kota Pekalongan. Catatan: Petugas PDAM sudah ke lokasi.` });
      expect(notice!.inReplyTo).toBeUndefined();
    });

    it('as the approved template after 24 hours, with its parameters', async () => {
      const citizen = nextCitizen();
      const trackingId = await complaintFrom(citizen);
      await lastWrote(citizen, 25);
      expect((await update(trackingId, { status: 'selesai', note: 'Pipa sudah diganti.\nAir kembali jernih.' })).status).toBe(200);
      const [, notice] = await eventually(() => sentTo(citizen).length === 2 && sentTo(citizen));
      expect(notice).toMatchObject({ type: 'template', template: { name: 'status_aduan', language: 'id', parameters: [trackingId, 'Selesai', 'Pipa sudah diganti. Air kembali jernih.', ...BY_CITY_NOW] } });
      // A citizen who writes again opens the window again.
      await sim.sendText(citizen, `CEK ${trackingId}`).delivered;
      await eventually(() => sentTo(citizen).length === 3);
      expect(Number(await gw.pintu.redis.get(rig.lastKey(replyTo(citizen))))).toBeGreaterThan(Date.now() - 60_000);
    });

    it('as the template when WhatsApp refuses the free text at once (131047), and the window is closed from then on', async () => {
      const citizen = nextCitizen();
      const trackingId = await complaintFrom(citizen);
      sim.failNext(1, { status: 400, code: 131047, message: 'Re-engagement message' });
      expect((await update(trackingId, { status: 'ditindaklanjuti', note: 'Dijadwalkan minggu depan.' })).status).toBe(200);
      const [, notice] = await eventually(() => sentTo(citizen).length === 2 && sentTo(citizen));
      expect(notice).toMatchObject({ type: 'template', template: { parameters: [trackingId, 'Ditindaklanjuti', 'Dijadwalkan minggu depan.', ...BY_CITY_NOW] } });
      expect(await gw.pintu.redis.get(rig.lastKey(replyTo(citizen)))).toBeNull();
      expect((await update(trackingId, { status: 'selesai' })).status).toBe(200);
      const [, , next] = await eventually(() => sentTo(citizen).length === 3 && sentTo(citizen));
      expect(next).toMatchObject({ type: 'template', template: { parameters: [trackingId, 'Selesai', '-', ...BY_CITY_NOW] } });
    });

    it('again as the template when WhatsApp accepts the free text and reports it failed later (131047)', async () => {
      // A citizen the fake has not seen write (the message came in before it started): its window is closed there.
      const citizen = nextCitizen();
      const wamid = `wamid.before-${process.pid}-${Date.now()}`;
      const delivery = {
        object: 'whatsapp_business_account',
        entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: sim.displayPhoneNumber, phone_number_id: PHONE_NUMBER_ID }, contacts: [{ profile: { name: 'Budi' }, wa_id: citizen.phone }], messages: [{ from: citizen.phone, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'PekalonganKota jembatan retak' } }] } }] }],
      };
      const failedBefore = await metric('pintu_whatsapp_failed_replies_total', { reason: 'outside-window' });
      expect((await sim.deliver(delivery)).delivered).toBe(true);
      const { trackingId } = await eventually(() => complaintOf(wamid));
      await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
      expect((await update(trackingId, { status: 'ditindaklanjuti', note: 'Tim sudah meninjau.' })).status).toBe(200);
      const sent = await eventually(() => sentTo(citizen).length === 3 && sentTo(citizen));
      expect(sent.map((s) => [s.type, s.windowClosed])).toEqual([['text', true], ['text', true], ['template', false]]);
      expect(sent[2]!.template!.parameters).toEqual([trackingId, 'Ditindaklanjuti', 'Tim sudah meninjau.', ...BY_CITY_NOW]);
      // Both refusals are counted; only the notification had a template to fall back on.
      await eventually(async () => (await metric('pintu_whatsapp_failed_replies_total', { reason: 'outside-window' })) >= failedBefore + 2);
      await new Promise((r) => setTimeout(r, 500));
      expect(sentTo(citizen)).toHaveLength(3);
    });
  });
});
