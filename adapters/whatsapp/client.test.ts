/** The Cloud API sender against the fake Cloud API over real HTTP, and the pure helpers around it. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyErrorCode, classifyFailure, createWhatsAppSender, fitText, MAX_TEXT, replyKind, templateParameters, WhatsAppApiError } from './client.js';
import { startWaSim, type WaSim } from './sim/server.js';

const TOKEN = 'wa-client-test-token';

describe('WhatsApp sender, against the fake Cloud API', () => {
  let sim: WaSim;
  const sender = () => createWhatsAppSender({ baseUrl: sim.apiBaseUrl, phoneNumberId: sim.phoneNumberId, accessToken: TOKEN, timeoutMs: 5_000 });
  beforeAll(async () => { sim = await startWaSim({ appSecret: 'client-test-app-secret', accessToken: TOKEN }); });
  afterAll(async () => { await sim.close(); });

  it('sends free text as the Cloud API wants it and returns the wamid', async () => {
    const { messageId } = await sender().sendText('+6281234567890', 'Aduan Anda diterima. No. lacak: 7K3M9Q2B.', { callbackData: 'r-whatsapp_wamid.1', inReplyTo: 'wamid.citizen1' });
    expect(messageId).toMatch(/^wamid\./);
    expect(sim.sent.at(-1)).toMatchObject({ messageId, to: '6281234567890', type: 'text', text: 'Aduan Anda diterima. No. lacak: 7K3M9Q2B.', callbackData: 'r-whatsapp_wamid.1', inReplyTo: 'wamid.citizen1' });
  });

  it('cuts text over 4096 characters with an ellipsis, so WhatsApp takes it', async () => {
    await sender().sendText('6281234567890', `${'jalan rusak '.repeat(500)}😡`);
    const text = sim.sent.at(-1)!.text!;
    expect(text.length).toBe(MAX_TEXT);
    expect(text.endsWith('…')).toBe(true);
  });

  it('sends to a BSUID (a citizen who hides the number) as recipient', async () => {
    await sender().sendText('ID.1502576394655843', 'Format: NamaKota (spasi) Isi Aduan.');
    expect(sim.sent.at(-1)).toMatchObject({ to: 'ID.1502576394655843', type: 'text' });
  });

  it('sends the approved template with its body parameters', async () => {
    const parameters = templateParameters(['trackingId', 'status', 'note'], { trackingId: '7K3M9Q2B', status: 'ditindaklanjuti', note: 'Petugas PDAM\n\tsudah    ke   lokasi' });
    expect(parameters).toEqual(['7K3M9Q2B', 'ditindaklanjuti', 'Petugas PDAM sudah ke lokasi']);
    const { messageId } = await sender().sendTemplate('6281234567890', { name: 'status_aduan', language: 'id', parameters });
    expect(sim.sent.at(-1)).toMatchObject({ messageId, type: 'template', template: { name: 'status_aduan', language: 'id', parameters } });
  });

  it('an empty parameter is sent as "-" (WhatsApp refuses empty ones)', () => {
    expect(templateParameters(['trackingId', 'note'], { trackingId: '7K3M9Q2B' })).toEqual(['7K3M9Q2B', '-']);
  });

  it.each([
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 7 }, { kind: 'rate-limited', scope: 'number', retryAfterMs: 7_000, code: 130429 }],
    ['throughput limit 130429 (HTTP 400)', { status: 400, code: 130429 }, { kind: 'rate-limited', scope: 'number', retryAfterMs: 1_000 }],
    ['pair rate limit 131056: only this citizen waits', { status: 400, code: 131056 }, { kind: 'rate-limited', scope: 'recipient', retryAfterMs: 6_000 }],
    ['500 Something went wrong', { status: 500 }, { kind: 'transient' }],
    ['503 Service unavailable', { status: 503 }, { kind: 'transient' }],
    ['131047 re-engagement: outside the 24-hour window', { status: 400, code: 131047 }, { kind: 'rejected', reason: 'outside-window', code: 131047 }],
    ['131026 undeliverable', { status: 400, code: 131026 }, { kind: 'rejected', reason: 'undeliverable', code: 131026 }],
    ['190 expired token', { status: 401, code: 190 }, { kind: 'rejected', reason: 'account' }],
    ['132001 template does not exist', { status: 404, code: 132001 }, { kind: 'rejected', reason: 'template' }],
    ['100 invalid parameter', { status: 400, code: 100 }, { kind: 'rejected', reason: 'invalid-request' }],
  ])('classifies %s', async (_label, failure, expected) => {
    sim.failNext(1, failure);
    const err = await sender().sendText('6281234567890', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WhatsAppApiError);
    expect(classifyFailure(err)).toMatchObject(expected);
  });

  it('a refused body is rejected, not retried: the fake checks it as the Cloud API does', async () => {
    const err = await sender().sendTemplate('6281234567890', { name: 'status_aduan', language: 'id', parameters: ['a\nb'] }).catch((e: unknown) => e);
    expect(classifyFailure(err)).toMatchObject({ kind: 'rejected', reason: 'invalid-request', status: 400, code: 100 });
    expect((err as Error).message).toMatch(/new-line\/tab/);
  });

  it('a wrong token is an account problem', async () => {
    const err = await createWhatsAppSender({ baseUrl: sim.apiBaseUrl, phoneNumberId: sim.phoneNumberId, accessToken: 'wrong' }).sendText('6281234567890', 'x').catch((e: unknown) => e);
    expect(classifyFailure(err)).toMatchObject({ kind: 'rejected', reason: 'account', status: 401, code: 190 });
    expect((err as Error).message).not.toContain('wrong');
  });
});

describe('WhatsApp sender, when the network fails', () => {
  let silent: Server;
  let url: string;
  beforeAll(async () => {
    // Accepts the request and never answers.
    silent = createServer(() => {});
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(silent.address() as { port: number }).port}/v26.0`;
  });
  afterAll(async () => { silent.closeAllConnections(); await new Promise((ok) => silent.close(ok)); });

  it('a server that does not answer is a transient failure after the timeout', async () => {
    const err = await createWhatsAppSender({ baseUrl: url, phoneNumberId: '1', accessToken: TOKEN, timeoutMs: 300 }).sendText('6281234567890', 'x').catch((e: unknown) => e);
    expect(classifyFailure(err)).toMatchObject({ kind: 'transient' });
  });

  it('a refused connection is a transient failure', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as { port: number }).port;
    await new Promise((ok) => closed.close(ok));
    const err = await createWhatsAppSender({ baseUrl: `http://127.0.0.1:${port}/v26.0`, phoneNumberId: '1', accessToken: TOKEN }).sendText('6281234567890', 'x').catch((e: unknown) => e);
    expect(classifyFailure(err)).toMatchObject({ kind: 'transient' });
  });
});

describe('the 24-hour customer-service window', () => {
  const now = Date.parse('2026-11-24T05:00:00Z');
  it.each([
    ['a message a minute ago', now - 60_000, 'text'],
    ['23 hours ago', now - 23 * 3600_000, 'text'],
    ['23 h 55 min ago: the reply could arrive after the window closes', now - (23 * 60 + 55) * 60_000, 'template'],
    ['25 hours ago', now - 25 * 3600_000, 'template'],
    ['as an ISO string', '2026-11-24T04:00:00Z', 'text'],
    ['never', null, 'template'],
    ['an unreadable time', 'yesterday', 'template'],
  ])('%s → %s', (_label, last, kind) => {
    expect(replyKind(last, now)).toBe(kind);
  });
});

describe('fitText', () => {
  it('leaves text within the limit alone and never splits an emoji', () => {
    expect(fitText('jalan rusak')).toBe('jalan rusak');
    expect(fitText('a'.repeat(4096))).toHaveLength(4096);
    const cut = fitText(`${'a'.repeat(4094)}😡😡`);
    expect(cut).toBe(`${'a'.repeat(4094)}…`);
    expect(cut.length).toBeLessThanOrEqual(4096);
  });
});

describe('classifyErrorCode (also for failed status webhooks)', () => {
  it.each([
    [131047, 400, { kind: 'rejected', reason: 'outside-window' }],
    [131000, 500, { kind: 'transient' }],
    [133004, 503, { kind: 'transient' }],
    [80007, 400, { kind: 'rate-limited', scope: 'number', retryAfterMs: 60_000 }],
    [131048, 400, { kind: 'rate-limited', scope: 'number' }],
    [200, 403, { kind: 'rejected', reason: 'account' }],
    [132012, 400, { kind: 'rejected', reason: 'template' }],
    [undefined, 502, { kind: 'transient' }],
    [undefined, 404, { kind: 'rejected', reason: 'invalid-request' }],
  ])('%s (HTTP %s)', (code, status, expected) => {
    expect(classifyErrorCode(code, status, 'm')).toMatchObject(expected);
  });
});
