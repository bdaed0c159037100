/** X Account Activity webhook over real HTTP: CRC, signatures over the raw body, and one complaint per tweet across webhook and poll. */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Complaint } from '../src/complaint.js';
import { createTwitterChannel, type TwitterSession } from '../adapters/twitter/index.js';
import { startXSim, type XSim } from '../adapters/twitter/sim/server.js';
import { webChannel } from '../adapters/web/index.js';
import { eventually, startGateway, type TestGateway, keptComplaints } from './helpers/gateway.js';
import { json } from './helpers/http.js';

const SECRET = 'test-consumer-secret';
const b64hmac = (data: string) => createHmac('sha256', SECRET).update(data).digest('base64');

describe('X webhook', () => {
  let x: XSim;
  let gw: TestGateway;
  let session: TwitterSession;
  const hook = () => `${gw.url}/api/v1/x/webhook`;
  const post = (body: string, signature?: string) =>
    fetch(hook(), { method: 'POST', headers: { 'content-type': 'application/json', ...(signature && { 'x-twitter-webhooks-signature': signature }) }, body });
  const complaints = async (): Promise<Complaint[]> => keptComplaints(gw.pintu);

  beforeAll(async () => {
    x = await startXSim();
    // Both modes at once, polling slowly: the webhook normally wins, the poll must then find the tweet already taken.
    const channel = createTwitterChannel({
      TWITTER_BEARER_TOKEN: 'test-bearer', TWITTER_API_BASE_URL: x.url, TWITTER_MODE: 'both', TWITTER_APP_SECRET: SECRET, TWITTER_POLL_INTERVAL_MS: '400',
    });
    gw = await startGateway({}, { channels: [webChannel, channel], workers: false, sessions: false });
    session = (await channel.start(gw.pintu))!;
  });
  afterAll(async () => { await session.stop(); await gw.close(); await x.close(); });

  it('answers the CRC challenge with the HMAC of the token', async () => {
    const token = 'Y3JjX3Rva2VuX2Zyb21fWA==';
    const res = await fetch(`${hook()}?crc_token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ response_token: `sha256=${b64hmac(token)}` });
  });

  it('refuses malformed CRC tokens, naming crc_token', async () => {
    for (const bad of ['', 'short', 'has spaces in it!!', 'x'.repeat(129), '{"json":"payload"}']) {
      const res = await fetch(`${hook()}?crc_token=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect((await json(res)).fields).toHaveProperty('crc_token');
    }
    expect((await fetch(hook())).status).toBe(400);
  });

  it('takes a correctly signed mention and refuses bad or missing signatures with 401', async () => {
    // An event for a tweet the poller cannot see: only the webhook can make this complaint.
    const id = '1900000000000000001';
    const event = x.activityEvent(x.addMention({ from: 'rina', name: 'Rina', text: 'BandungKota lampu taman mati semua' }));
    const body = JSON.stringify({ ...event, tweet_create_events: [{ ...(event.tweet_create_events[0] as object), id_str: id }] });
    const fromWebhook = async () => (await complaints()).filter((c) => c.source.messageId === id);
    expect((await post(body)).status).toBe(401);
    expect((await post(body, 'sha256=')).status).toBe(401);
    expect((await post(body, `sha256=${b64hmac(`${body} `)}`)).status).toBe(401);
    expect((await post(body, `sha256=${createHmac('sha256', 'other-secret').update(body).digest('base64')}`)).status).toBe(401);
    expect((await post(body, b64hmac(body))).status).toBe(401);
    // The exact bytes count: re-serialised JSON with other spacing is not what X signed.
    expect((await post(JSON.stringify(JSON.parse(body), null, 1), `sha256=${b64hmac(body)}`)).status).toBe(401);
    expect(await fromWebhook()).toHaveLength(0);

    const ok = await post(body, `sha256=${b64hmac(body)}`);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toEqual({ accepted: 1 });
    const [complaint] = await fromWebhook();
    expect(complaint).toMatchObject({ channel: 'twitter', text: 'lampu taman mati semua', region: { code: '32.73' }, reporter: { twitterHandle: 'rina', name: 'Rina' }, source: { messageId: id } });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/pintu_twitter_webhook_rejected_total\{reason="signature"\} 6/);
  });

  it('answers 400 to a signed body that is not an event', async () => {
    const body = '{"tweet_create_events": "nope"}';
    expect((await post(body, `sha256=${b64hmac(body)}`)).status).toBe(400);
    expect((await post('not json', `sha256=${b64hmac('not json')}`)).status).toBe(400);
  });

  it('makes one complaint of a tweet that arrives by webhook and by poll', async () => {
    const id = x.addMention({ from: 'tono', text: 'PekalonganKota pohon tumbang di Jl. Hayam Wuruk' });
    expect(await x.deliverWebhook(id, hook(), SECRET)).toBe(200);
    const polledAfter = Date.now();
    await eventually(() => x.requests.some((r) => r.path.endsWith('/mentions') && r.at > polledAfter && r.status === 200));
    expect(await x.deliverWebhook(id, hook(), SECRET)).toBe(200);
    const mine = (await complaints()).filter((c) => c.source.messageId === id);
    expect(mine).toHaveLength(1);
    const duplicates = await (await fetch(`${gw.url}/metrics`)).text();
    expect(duplicates).toMatch(/pintu_duplicate_messages_total\{channel="twitter"\} [2-9]/);
  });

  it('leaves the app-wide JSON parsing alone', async () => {
    const res = await fetch(`${gw.url}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota jalan rusak di depan pasar' }) });
    expect(res.status).toBe(202);
  });
});
