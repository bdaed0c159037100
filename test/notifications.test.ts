/**
 * Citizens hear back on the channel they used, over the real transports: SMS from 1708 through the SMSC simulator
 * (SMPP over TCP), X replies in the thread through the fake X API, an SMS for a web complaint that gave a phone
 * number. One notification per update, the statuses NOTIFY_STATUSES names, nothing of a confidential complaint in
 * a public X thread. And a gateway killed right after an update's 200 still sends its notification once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { smsChannel } from '../adapters/sms/index.js';
import { encodeSms } from '../adapters/sms/codec.js';
import { singleMo } from '../adapters/sms/sim/messages.js';
import { Smsc } from '../adapters/sms/sim/smsc.js';
import { createTwitterChannel } from '../adapters/twitter/index.js';
import { startXSim, type XSim } from '../adapters/twitter/sim/server.js';
import { webChannel } from '../adapters/web/index.js';
import { freePort } from '../src/redis.js';
import { sign } from '../src/signed-http.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, keptComplaints, startGateway, uniquePrefix, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

const CITY_SECRET = 'kota-pekalongan-secret-01';
const NATIONAL_SECRET = 'national-desk-secret-0123';
const USER_CONTEXT = { TWITTER_APP_KEY: 'app-key', TWITTER_APP_SECRET: 'app-secret', TWITTER_ACCESS_TOKEN: 'access-token', TWITTER_ACCESS_SECRET: 'access-secret' };

let phones = 0;
const nextPhone = () => `0815${String(process.pid % 1000).padStart(3, '0')}${String(phones++).padStart(5, '0')}`;
const e164 = (local: string) => `+62${local.slice(1)}`;
let updates = 0;

function update(url: string, agency: string, secret: string, body: Record<string, unknown>) {
  const raw = JSON.stringify({ updateId: `n-${process.pid}-${updates++}`, ...body });
  return fetch(`${url}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': agency, 'x-pintu-signature': sign(raw, secret) }, body: raw });
}

describe('notifications on the citizen’s own channel', () => {
  let smsc: Smsc;
  let x: XSim;
  let city: AgencySink;
  let national: AgencySink;
  let gw: TestGateway;
  const smsTo = (phone: string) => smsc.mt.filter((m) => m.to === e164(phone).slice(1));

  beforeAll(async () => {
    smsc = await Smsc.start({ retryDelayMs: 100, respTimeoutMs: 5000 });
    x = await startXSim();
    [city, national] = await Promise.all([startAgencySink(), startAgencySink()]);
    const sms = smsChannel({ SMPP_URL: smsc.url, SMS_FLOOD_PER_HOUR: '0', SMS_REPLY_PER_SECOND: '50' });
    const twitter = createTwitterChannel({ TWITTER_BEARER_TOKEN: 'test-bearer', TWITTER_API_BASE_URL: x.url, TWITTER_POLL_INTERVAL_MS: '100', TWITTER_REPLIES_PER_SECOND: '50', ...USER_CONTEXT });
    gw = await startGateway({ NATIONAL_WEBHOOK_URL: national.url, WEBHOOK_SECRET: NATIONAL_SECRET, PUBLIC_URL: 'https://pintu.example.go.id' }, { channels: [webChannel, sms, twitter] });
    const routes = gw.pintu.routes.index().routes;
    await gw.pintu.routes.save([{ ...routes.get('33.75')!, destination: { url: city.url, secret: CITY_SECRET } }]);
    await eventually(() => smsc.bound.length === 1);
  });
  afterAll(async () => { await gw.close(); await smsc.close(); await x.close(); await city.close(); await national.close(); });

  /** An SMS complaint from `phone`, once delivered; its tracking number. */
  async function smsComplaint(phone: string, text = 'PekalonganKota jalan rusak di depan pasar'): Promise<string> {
    await smsc.deliverAll([singleMo(phone, '1708', text)]);
    const [accepted] = await eventually(() => smsTo(phone).length === 1 && smsTo(phone));
    const trackingId = /No\. lacak: ([0-9A-Z]{8})/.exec(accepted!.text)![1]!;
    await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
    return trackingId;
  }

  it('texts an SMS citizen on ditindaklanjuti, selesai, ditunda and bukan_wewenang, not on diverifikasi or didisposisi; once per update', async () => {
    const phone = nextPhone();
    const trackingId = await smsComplaint(phone);
    const send = (body: Record<string, unknown>) => update(gw.url, '33.75', CITY_SECRET, { trackingId, ...body });
    expect((await send({ status: 'diverifikasi' })).status).toBe(200);
    expect((await send({ status: 'didisposisi', note: 'Ke Dinas PU' })).status).toBe(200);
    const followUp = { updateId: `once-${trackingId}`, status: 'ditindaklanjuti', note: 'Petugas sudah meninjau lokasi, perbaikan minggu depan.' };
    expect((await send(followUp)).status).toBe(200);
    expect((await send(followUp)).status).toBe(200);
    const [, notice] = await eventually(() => smsTo(phone).length === 2 && smsTo(phone));
    expect(notice!.text).toBe(`LAPOR! ${trackingId}: aduan Anda sedang ditindaklanjuti oleh Kota Pekalongan. Catatan: Petugas sudah meninjau lokasi, perbaikan minggu depan.`);
    expect(notice!.from).toBe('1708');
    expect((await send({ status: 'ditunda', note: 'Menunggu anggaran.' })).status).toBe(200);
    await eventually(() => smsTo(phone).length === 3);
    expect(smsTo(phone)[2]!.text).toContain('ditunda oleh Kota Pekalongan');
    expect((await send({ status: 'bukan_wewenang', note: 'Jalan provinsi.' })).status).toBe(200);
    await eventually(() => smsTo(phone).length === 4);
    expect(smsTo(phone)[3]!.text).toBe(`LAPOR! ${trackingId}: aduan Anda dialihkan ke Provinsi Jawa Tengah karena bukan wewenang Kota Pekalongan. Catatan: Jalan provinsi.`);
    await new Promise((r) => setTimeout(r, 500));
    expect(smsTo(phone)).toHaveLength(4);
  });

  it('cuts a long note so the notification fits three SMS, and CEK answers with the status and the start of the note', async () => {
    const phone = nextPhone();
    const trackingId = await smsComplaint(phone);
    const note = 'Tim teknis Dinas Pekerjaan Umum sudah memeriksa kerusakan dan menjadwalkan penambalan. '.repeat(8);
    expect((await update(gw.url, '33.75', CITY_SECRET, { trackingId, status: 'selesai', note })).status).toBe(200);
    const [, notice] = await eventually(() => smsTo(phone).length === 2 && smsTo(phone));
    expect(notice!.parts).toBeLessThanOrEqual(3);
    expect(notice!.text.startsWith(`LAPOR! ${trackingId}: aduan Anda dinyatakan selesai oleh Kota Pekalongan. Catatan: Tim teknis`)).toBe(true);
    expect(notice!.text.endsWith('...')).toBe(true);
    await smsc.deliverAll([singleMo(phone, '1708', `CEK ${trackingId}`)]);
    const [, , cek] = await eventually(() => smsTo(phone).length === 3 && smsTo(phone));
    expect(cek!.text).toMatch(new RegExp(`^Aduan ${trackingId}: dinyatakan selesai oleh Kota Pekalongan\\. Catatan: Tim teknis Dinas Pekerjaan Umum`));
    expect(encodeSms(cek!.text).parts).toHaveLength(1);
  });

  it('answers a repeated CEK once its status changed; an identical retransmit at once gets no second answer', async () => {
    const phone = nextPhone();
    const trackingId = await smsComplaint(phone);
    await smsc.deliverAll([singleMo(phone, '1708', `CEK ${trackingId}`), singleMo(phone, '1708', `CEK ${trackingId}`)]);
    await eventually(() => smsTo(phone).length === 2);
    expect((await update(gw.url, '33.75', CITY_SECRET, { trackingId, status: 'diverifikasi' })).status).toBe(200);
    await smsc.deliverAll([singleMo(phone, '1708', `CEK ${trackingId}`)]);
    const answers = await eventually(() => smsTo(phone).length === 3 && smsTo(phone));
    expect(answers.map((m) => m.text).slice(1)).toEqual([
      `Aduan ${trackingId}: sudah diterima instansi ke Kota Pekalongan.`,
      `Aduan ${trackingId}: sudah diverifikasi oleh Kota Pekalongan.`,
    ]);
  });

  it('replies in the citizen’s X thread; a #rahasia complaint hears only that something changed', async () => {
    const open = x.addMention({ from: 'siti', text: 'PekalonganKota lampu jalan mati di Jl. Merdeka' });
    const secret = x.addMention({ from: 'budi', text: 'PekalonganKota pungli di kantor kelurahan #rahasia' });
    const complaints = await eventually(async () => {
      const all = (await keptComplaints(gw.pintu)).filter((c) => c.channel === 'twitter');
      return all.length === 2 && all;
    });
    const byTweet = (tweet: string) => complaints.find((c) => c.source.messageId === tweet)!.trackingId;
    for (const tweet of [open, secret]) {
      const trackingId = byTweet(tweet);
      await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
      expect((await update(gw.url, '33.75', CITY_SECRET, { trackingId, status: 'selesai', note: 'Lampu sudah diganti oleh petugas.' })).status).toBe(200);
    }
    const replies = await eventually(() => {
      const toOpen = x.posts.filter((p) => p.inReplyTo === open);
      const toSecret = x.posts.filter((p) => p.inReplyTo === secret);
      return toOpen.length === 2 && toSecret.length === 2 && { toOpen, toSecret };
    });
    expect(replies.toOpen[1]!.text).toBe(`LAPOR! ${byTweet(open)}: aduan Anda dinyatakan selesai oleh Kota Pekalongan. Catatan: Lampu sudah diganti oleh petugas.`);
    expect(replies.toSecret[1]!.text).toBe(`LAPOR! ${byTweet(secret)}: ada kabar baru tentang aduan Anda. Cek status: SMS CEK ${byTweet(secret)} ke 1708 atau https://pintu.example.go.id/aduan/${byTweet(secret)}`);
  });

  it('texts a web citizen who gave a phone number; one who did not reads it on the status page', async () => {
    const phone = nextPhone();
    const post = (body: Record<string, unknown>) => json(fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    const withPhone = (await post({ text: 'PekalonganKota saluran air tersumbat', phone })).trackingId as string;
    const without = (await post({ text: 'PekalonganKota saluran air tersumbat juga' })).trackingId as string;
    for (const trackingId of [withPhone, without]) {
      await eventually(async () => (await gw.pintu.status.get(trackingId))?.status === 'delivered');
      expect((await update(gw.url, '33.75', CITY_SECRET, { trackingId, status: 'ditindaklanjuti', note: 'Sudah dibersihkan.' })).status).toBe(200);
    }
    const [notice] = await eventually(() => smsTo(phone).length === 1 && smsTo(phone));
    expect(notice!.text).toContain(`LAPOR! ${withPhone}: aduan Anda sedang ditindaklanjuti`);
    const page = await (await fetch(`${gw.url}/aduan/${without}`)).text();
    expect(page).toContain('Ditindaklanjuti');
    expect(page).toContain('Sudah dibersihkan.');
  });

  it('teaches the citizen how to name the region when it was ambiguous or missing', async () => {
    const [a, b] = [nextPhone(), nextPhone()];
    await smsc.deliverAll([singleMo(a, '1708', 'Pekalongan sampah menumpuk di pasar'), singleMo(b, '1708', 'sampah menumpuk di pasar')]);
    const [toA] = await eventually(() => smsTo(a).length === 1 && smsTo(a));
    const [toB] = await eventually(() => smsTo(b).length === 1 && smsTo(b));
    expect(toA!.text).toMatch(/Diteruskan ke Provinsi Jawa Tengah\..*Lain kali tulis (PekalonganKota atau PekalonganKab|PekalonganKab atau PekalonganKota)$/);
    expect(toB!.text).toMatch(/Diteruskan ke Desk Nasional SP4N-LAPOR!\..*Lain kali awali dengan nama daerah, mis\. PekalonganKota jalan rusak$/);
  });
});

describe('a gateway killed right after an update’s 200', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('sends the notification once after the restart', async () => {
    const smsc = await Smsc.start({ retryDelayMs: 100, respTimeoutMs: 5000 });
    const national = await startAgencySink();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'pintu-notify-kill-'));
    dirs.push(dir);
    const env = {
      PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', REDIS_URL: inject('redisUrl'), PINTU_PREFIX: uniquePrefix('notify-kill'), PINTU_DATA_DIR: dir,
      HOST: '127.0.0.1', PORT: String(port), NATIONAL_WEBHOOK_URL: national.url, WEBHOOK_SECRET: NATIONAL_SECRET, SMPP_URL: smsc.url, SMS_FLOOD_PER_HOUR: '0', LOG_LEVEL: 'warn',
    };
    const start = () => {
      const child = spawn(process.execPath, [join(root, 'bin', 'pintu.js'), 'all'], { cwd: root, env, stdio: 'ignore' });
      children.push(child);
      return child;
    };
    const base = `http://127.0.0.1:${port}`;
    try {
      let gateway = start();
      await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.ok === true && smsc.bound.length === 1, 30_000, 100);
      const phone = nextPhone();
      await smsc.deliverAll([singleMo(phone, '1708', 'sampah menumpuk di pasar induk')]);
      const [accepted] = await eventually(() => { const got = smsc.mt.filter((m) => m.to === e164(phone).slice(1)); return got.length > 0 && got; });
      const trackingId = /No\. lacak: ([0-9A-Z]{8})/.exec(accepted!.text)![1]!;
      await eventually(() => national.received.some((d) => d.body.complaint.trackingId === trackingId), 15_000);
      // The SMSC stops answering submit_sm: the notification cannot have gone out before the kill.
      smsc.answerSubmits = false;
      const res = await update(base, 'national', NATIONAL_SECRET, { trackingId, status: 'ditindaklanjuti', note: 'Sedang ditangani.' });
      expect(res.status).toBe(200);
      gateway.kill('SIGKILL');
      await new Promise((ok) => gateway.once('exit', ok));
      smsc.answerSubmits = true;
      smsc.dropLinks();
      gateway = start();
      const notices = () => smsc.mt.filter((m) => m.to === e164(phone).slice(1) && m.text.startsWith(`LAPOR! ${trackingId}: aduan Anda sedang ditindaklanjuti`));
      // A reply job the dead process held is taken up again once BullMQ finds it stalled (up to a minute).
      await eventually(() => notices().length === 1, 100_000, 100);
      await new Promise((r) => setTimeout(r, 3000));
      expect(notices()).toHaveLength(1);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      await smsc.close();
      await national.close();
    }
  }, 180_000);
});
