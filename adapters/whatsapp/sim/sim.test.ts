/**
 * The fake Cloud API over real HTTP: webhooks signed and retried as Meta does (checked by a receiver that
 * uses the channel's own signature check and normalize()), the messages endpoint, and the handshake.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildRouteIndex } from '../../../src/keyword.js';
import { seedRoutes } from '../../../src/route.js';
import { normalizeDelivery, type Delivery } from '../normalize.js';
import { validSignature, verifySubscription, WEBHOOK_PATH } from '../signature.js';
import { startWaSim, type WaSim } from './server.js';

const APP_SECRET = 'sim-test-app-secret-0123456789';
const VERIFY_TOKEN = 'sim-test-verify-token';
const index = buildRouteIndex(seedRoutes());

interface Received { raw: string; signed: boolean; userAgent?: string; delivery?: Delivery }

/** A webhook endpoint as Pintu's will be: raw body, signature, normalize; answers as `script` says. */
class Receiver {
  received: Received[] = [];
  /** Answers for the next POSTs (then 200); 'hang' never answers. */
  script: Array<number | 'hang'> = [];
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}${WEBHOOK_PATH}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (req.method === 'GET') {
      const handshake = verifySubscription(Object.fromEntries(url.searchParams), VERIFY_TOKEN);
      res.writeHead(handshake.ok ? 200 : handshake.status, { 'content-type': 'text/plain' }).end(handshake.ok ? handshake.challenge : handshake.message);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const header = req.headers['x-hub-signature-256'];
    const signed = validSignature(APP_SECRET, raw, typeof header === 'string' ? header : undefined);
    const result = normalizeDelivery(JSON.parse(raw.toString('utf8')), { index, receivedAt: new Date().toISOString(), phoneNumberId: '106540352242922' });
    this.received.push({ raw: raw.toString('utf8'), signed, ...(req.headers['user-agent'] && { userAgent: req.headers['user-agent'] }), ...(result.ok && { delivery: result.delivery }) });
    const answer = this.script.shift() ?? 200;
    if (answer !== 'hang') res.writeHead(answer).end();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
  }
}

const siti = { phone: '6281234567890', name: 'Siti Aminah' };

describe('wa-sim: webhooks as Meta sends them', () => {
  let receiver: Receiver;
  let sim: WaSim;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    sim = await startWaSim({ appSecret: APP_SECRET, webhookUrl: receiver.url, retry: { attempts: 4, firstDelayMs: 50, maxDelayMs: 200, timeoutMs: 500 } });
  });
  afterEach(() => { receiver.received = []; receiver.script = []; });
  afterAll(async () => { await sim.close(); await receiver.stop(); });

  it('signs the raw body (X-Hub-Signature-256), escapes non-ASCII like Meta, and the channel reads it as a complaint', async () => {
    const { messageId, delivered } = sim.sendText(siti, 'PekalonganKota air PDAM keruh, warnanya cokelat — tolong 😡');
    const report = await delivered;
    expect(report).toMatchObject({ delivered: true, attempts: [{ status: 200 }] });
    const [got] = receiver.received;
    expect(got).toMatchObject({ signed: true, userAgent: 'facebookexternalua' });
    expect(got!.raw).toContain('\\u2014');
    expect(got!.raw).toContain('\\ud83d\\ude21');
    expect(got!.delivery!.messages).toMatchObject([{
      kind: 'complaint', dedupKey: messageId, sender: { replyTo: '6281234567890', phone: '+6281234567890' },
      draft: { channel: 'whatsapp', text: 'air PDAM keruh, warnanya cokelat — tolong 😡', region: { code: '33.75' }, reporter: { name: 'Siti Aminah', phone: '+6281234567890' } },
    }]);
  });

  it('retries a non-2xx answer with growing delays until it is taken, the same signed body each time', async () => {
    receiver.script = [500, 503];
    const report = await sim.sendText(siti, 'SurabayaKota lampu jalan mati').delivered;
    expect(report.delivered).toBe(true);
    expect(report.attempts.map((a) => a.status)).toEqual([500, 503, 200]);
    // Waits of at least 50 ms, then 100 ms (firstDelayMs doubling); lower bounds only, the machine may be slow.
    const [first, second, third] = report.attempts;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(50);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(100);
    expect(new Set(receiver.received.map((r) => r.raw)).size).toBe(1);
    expect(receiver.received.every((r) => r.signed)).toBe(true);
  });

  it('counts an answer slower than the timeout as a failed attempt and retries', async () => {
    receiver.script = ['hang'];
    const report = await sim.sendText(siti, 'BandungKota jalan berlubang').delivered;
    expect(report.attempts).toMatchObject([{ error: 'timeout' }, { status: 200 }]);
  });

  it('gives up after its attempts, and says so', async () => {
    receiver.script = [500, 500, 500, 500, 500];
    const report = await sim.sendText(siti, 'BandungKota jalan berlubang').delivered;
    expect(report).toMatchObject({ delivered: false });
    expect(report.attempts).toHaveLength(4);
  });

  it('sends media with a caption, a location, list and button choices, and a template button, in the Cloud API shapes', async () => {
    await sim.sendMedia(siti, { kind: 'image', caption: 'BandungKota jalan berlubang', id: '2754859441498128' }).delivered;
    await sim.sendMedia(siti, { kind: 'document', caption: 'MalangKab jembatan ambruk', filename: 'foto.pdf' }).delivered;
    await sim.sendLocation(siti, { lat: -6.8898, lon: 109.6746, name: 'Pasar Banjarsari' }).delivered;
    await sim.sendChoice(siti, { kind: 'list_reply', id: 'r1', title: 'PekalonganKota sampah menumpuk' }).delivered;
    await sim.sendChoice(siti, { kind: 'button_reply', id: 'b1', title: 'SemarangKota' }).delivered;
    await sim.sendButton(siti, { text: 'CEK 7K3M9Q2B' }).delivered;
    await sim.sendMedia(siti, { kind: 'audio' }).delivered;
    const outcomes = receiver.received.map((r) => r.delivery!.messages[0]);
    expect(outcomes).toMatchObject([
      { kind: 'complaint', draft: { region: { code: '32.73' }, attachments: [{ ref: 'whatsapp-media:2754859441498128', mediaType: 'image/jpeg' }] } },
      { kind: 'complaint', draft: { region: { code: '35.07' }, attachments: [{ mediaType: 'application/pdf' }], source: { extras: { filename: 'foto.pdf' } } } },
      { kind: 'help', reason: 'location-only', location: { lat: -6.8898, lon: 109.6746, address: 'Pasar Banjarsari' } },
      { kind: 'complaint', draft: { text: 'sampah menumpuk', source: { extras: { interactive: 'list_reply', choiceId: 'r1' } } } },
      { kind: 'help', reason: 'keyword-only' },
      { kind: 'status', trackingId: '7K3M9Q2B' },
      { kind: 'help', reason: 'unsupported-type' },
    ]);
  });

  it('sends a citizen who hides the number with a BSUID only', async () => {
    await sim.sendText({ userId: 'ID.1502576394655843', name: 'Rina' }, 'PekalonganKota parkir liar').delivered;
    expect(receiver.received[0]!.delivery!.messages).toMatchObject([{ kind: 'complaint', sender: { replyTo: 'ID.1502576394655843' }, draft: { reporter: { name: 'Rina' } } }]);
    expect(receiver.received[0]!.delivery!.messages[0]).not.toHaveProperty('sender.phone');
  });

  it('sends statuses (sent, delivered, read, failed) that the channel counts and never takes as complaints', async () => {
    await sim.sendStatus('wamid.reply1', 'delivered', siti).delivered;
    await sim.sendStatus('wamid.reply2', 'failed', siti, { errors: [{ code: 131026, title: 'Message undeliverable' }], callbackData: 'r-1' }).delivered;
    expect(receiver.received.map((r) => r.delivery!)).toMatchObject([
      { messages: [], statuses: [{ messageId: 'wamid.reply1', status: 'delivered', recipient: '6281234567890', errors: [] }] },
      { messages: [], statuses: [{ messageId: 'wamid.reply2', status: 'failed', callbackData: 'r-1', errors: [{ code: 131026 }] }] },
    ]);
  });

  it('performs the verification handshake against the target', async () => {
    expect(await sim.verify(receiver.url, VERIFY_TOKEN, '1158201444')).toEqual({ status: 200, body: '1158201444', ok: true });
    expect(await sim.verify(receiver.url, 'wrong-token')).toMatchObject({ status: 403, ok: false });
  });
});

describe('wa-sim: the messages endpoint', () => {
  let receiver: Receiver;
  let sim: WaSim;
  const TOKEN = 'sim-test-access-token';
  const post = (body: unknown, token = TOKEN, path = `/v26.0/${sim.phoneNumberId}/messages`) =>
    fetch(`${sim.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = (to: string, body: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body } });
  beforeAll(async () => {
    receiver = await new Receiver().start();
    sim = await startWaSim({ appSecret: APP_SECRET, accessToken: TOKEN, webhookUrl: receiver.url, autoStatuses: true, retry: { attempts: 2, firstDelayMs: 20, timeoutMs: 1_000 } });
  });
  afterAll(async () => { await sim.close(); await receiver.stop(); });

  it('answers like the Cloud API and records the reply', async () => {
    await sim.sendText(siti, 'PekalonganKota air keruh').delivered;
    const res = await post(text('6281234567890', 'Aduan Anda diterima.'));
    expect(res.status).toBe(200);
    const answer = await res.json() as { messages: Array<{ id: string }> };
    expect(answer).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: '6281234567890', wa_id: '6281234567890' }], messages: [{ id: expect.stringMatching(/^wamid\./) }] });
    expect(sim.sent.at(-1)).toMatchObject({ messageId: answer.messages[0]!.id, to: '6281234567890', text: 'Aduan Anda diterima.', windowClosed: false });
  });

  it('reports sent and delivered on the reply to the webhook, or failed 131047 for free text outside the 24-hour window', async () => {
    const inWindow = await (await post(text('6281234567890', 'Dalam jendela 24 jam'))).json() as { messages: Array<{ id: string }> };
    const outside = await (await post(text('6289999999999', 'Warga ini belum pernah menulis'))).json() as { messages: Array<{ id: string }> };
    const statusesOf = (id: string) => receiver.received.flatMap((r) => r.delivery!.statuses).filter((s) => s.messageId === id);
    await expect.poll(() => statusesOf(inWindow.messages[0]!.id).map((s) => s.status), { timeout: 10_000 }).toEqual(['sent', 'delivered']);
    await expect.poll(() => statusesOf(outside.messages[0]!.id), { timeout: 10_000 }).toMatchObject([{ status: 'failed', errors: [{ code: 131047 }] }]);
    expect(sim.sent.at(-1)).toMatchObject({ to: '6289999999999', windowClosed: true });
  });

  it.each([
    ['no bearer token', () => post(text('6281234567890', 'x'), ''), 401, 190],
    ['a wrong token', () => post(text('6281234567890', 'x'), 'nope'), 401, 190],
    ['another phone number id', () => post(text('6281234567890', 'x'), TOKEN, '/v26.0/123/messages'), 400, 100],
    ['a path without a version', () => post(text('6281234567890', 'x'), TOKEN, `/${'106540352242922'}/messages`), 400, 100],
    ['not JSON', () => post('{"messaging_product":', TOKEN), 400, 100],
    ['no messaging_product', () => post({ to: '6281234567890', type: 'text', text: { body: 'x' } }), 400, 100],
    ['no recipient', () => post({ messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } }), 400, 100],
    ['text over 4096 characters', () => post(text('6281234567890', 'x'.repeat(4097))), 400, 100],
    ['an empty text', () => post(text('6281234567890', '  ')), 400, 100],
    ['an unknown type', () => post({ messaging_product: 'whatsapp', to: '6281234567890', type: 'fax' }), 400, 100],
    ['a template with an empty parameter', () => post({ messaging_product: 'whatsapp', to: '6281234567890', type: 'template', template: { name: 'status_aduan', language: { code: 'id' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '' }] }] } }), 400, 131008],
    ['a template name with capitals', () => post({ messaging_product: 'whatsapp', to: '6281234567890', type: 'template', template: { name: 'Status Aduan', language: { code: 'id' } } }), 400, 132001],
  ])('refuses %s as the Cloud API does', async (_label, call, status, code) => {
    const before = sim.sent.length;
    const res = await call();
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { code, type: 'OAuthException', message: expect.stringContaining(`(#${code})`) } });
    expect(sim.sent.length).toBe(before);
  });

  it('answers injected failures in order: 429 with Retry-After, 500, an error code; then recovers', async () => {
    sim.failNext(1, { status: 429, retryAfterSeconds: 3 });
    sim.failNext(1, { status: 500 });
    sim.failNext(1, { status: 400, code: 131026, message: 'Message undeliverable' });
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const res = await post(text('6281234567890', `percobaan ${i}`));
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as { error?: { code: number } }).error?.code });
    }
    expect(answers).toEqual([
      { status: 429, retryAfter: '3', code: 130429 },
      { status: 500, retryAfter: null, code: 131000 },
      { status: 400, retryAfter: null, code: 131026 },
      { status: 200, retryAfter: null, code: undefined },
    ]);
    expect(sim.requests.slice(-4).map((r) => r.status)).toEqual([429, 500, 400, 200]);
  });
});
