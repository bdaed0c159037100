/** Replies to X mentions through the `replies-twitter` queue, posted to the fake X API over real HTTP. */
import { afterEach, describe, expect, it } from 'vitest';
import { acceptedReply, FORMAT_HELP, statusReply } from '../src/replies.js';
import { createTwitterChannel } from '../adapters/twitter/index.js';
import { startXSim, type XSim } from '../adapters/twitter/sim/server.js';
import { eventually, startGateway, type TestGateway, keptComplaints } from './helpers/gateway.js';

const USER_CONTEXT = { TWITTER_APP_KEY: 'app-key', TWITTER_APP_SECRET: 'app-secret', TWITTER_ACCESS_TOKEN: 'access-token', TWITTER_ACCESS_SECRET: 'access-secret' };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(env: Record<string, string>): Promise<{ x: XSim; gw: TestGateway }> {
  const x = await startXSim();
  const channel = createTwitterChannel({ TWITTER_BEARER_TOKEN: 'test-bearer', TWITTER_API_BASE_URL: x.url, TWITTER_POLL_INTERVAL_MS: '100', ...env });
  const gw = await startGateway({}, { channels: [channel], workers: false, sessions: false });
  const session = (await channel.start(gw.pintu))!;
  cleanups.push(() => x.close(), () => gw.close(), () => session.stop());
  return { x, gw };
}

const complaintFor = async (gw: TestGateway, tweetId: string) =>
  (await keptComplaints(gw.pintu)).find((c) => c.source.messageId === tweetId);

describe('X replies', () => {
  it('answers a complaint with its tracking number and agency, a bare mention with the format help, CEK with the status', async () => {
    const { x, gw } = await setup({ ...USER_CONTEXT, TWITTER_REPLIES_PER_SECOND: '20' });
    const complaintTweet = x.addMention({ from: 'siti', text: 'PekalonganKota lampu jalan mati di Jl. Merdeka' });
    const bareTweet = x.addMention({ from: 'budi', text: '@lapor1708' });
    const complaint = await eventually(() => complaintFor(gw, complaintTweet));
    const statusTweet = x.addMention({ from: 'siti', text: `CEK ${complaint.trackingId}` });
    await eventually(() => x.posts.length === 3);
    const byTweet = Object.fromEntries(x.posts.map((p) => [p.inReplyTo, p.text]));
    expect(byTweet[complaintTweet]).toBe(acceptedReply(complaint));
    expect(byTweet[complaintTweet]).toContain(complaint.trackingId);
    expect(byTweet[complaintTweet]).toContain('Kota Pekalongan');
    expect(byTweet[bareTweet]).toBe(FORMAT_HELP);
    expect(byTweet[statusTweet]).toBe(statusReply(await gw.pintu.status.get(complaint.trackingId), complaint.trackingId));
    expect(byTweet[statusTweet]).toMatch(new RegExp(`^Aduan ${complaint.trackingId}: diterima`));
    expect(x.posts.every((p) => [...p.text].length <= 280)).toBe(true);
    // Posted with user context (OAuth 1.0a): the fake refuses app-only tokens on POST /2/tweets like X does.
    expect(x.requests.filter((r) => r.path === '/2/tweets').every((r) => r.status === 201)).toBe(true);
  });

  it('posts no faster than TWITTER_REPLIES_PER_SECOND', async () => {
    const { x } = await setup({ ...USER_CONTEXT, TWITTER_REPLIES_PER_SECOND: '5' });
    for (let i = 0; i < 12; i++) x.addMention({ from: `warga${i}`, text: `PekalonganKota jalan rusak nomor ${i}` });
    await eventually(() => x.posts.length === 12);
    const times = x.posts.map((p) => p.at).sort((a, b) => a - b);
    // 12 replies at 5 per 1 s window need three windows: at least two full windows between first and last.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1900);
    expect(new Set(x.posts.map((p) => p.inReplyTo)).size).toBe(12);
  });

  it('waits out a 429 on posting and then replies once', async () => {
    const { x } = await setup({ ...USER_CONTEXT, TWITTER_REPLIES_PER_SECOND: '20' });
    x.failNext(1, { endpoint: 'tweets', status: 429, resetInSeconds: 1 });
    const tweet = x.addMention({ from: 'sabar', text: 'PekalonganKota jembatan retak' });
    await eventually(() => x.posts.length === 1);
    const limited = x.requests.find((r) => r.path === '/2/tweets' && r.status === 429)!;
    expect(x.posts[0]!.at).toBeGreaterThanOrEqual(limited.at + 900);
    expect(x.posts[0]!.inReplyTo).toBe(tweet);
    await new Promise((r) => setTimeout(r, 300));
    expect(x.posts).toHaveLength(1);
  });

  it('takes mentions without user-context credentials and queues no replies', async () => {
    const { x, gw } = await setup({});
    const tweet = x.addMention({ from: 'siti', text: 'PekalonganKota lampu jalan mati' });
    x.addMention({ from: 'budi', text: '@lapor1708' });
    await eventually(() => complaintFor(gw, tweet));
    await eventually(() => x.requests.filter((r) => r.path.endsWith('/mentions')).length > 2);
    expect(await gw.pintu.replies.replyQueue('twitter').count()).toBe(0);
    expect(await gw.pintu.redis.hlen(`${gw.pintu.status.keys.base}replies:pending`)).toBe(0);
    expect(x.posts).toHaveLength(0);
  });
});
