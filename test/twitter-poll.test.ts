/** X mentions by polling against the fake X API (a real HTTP server): backlog, crash and resume, rate limits, one poller. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Complaint } from '../src/complaint.js';
import { createTwitterChannel, type TwitterSession } from '../adapters/twitter/index.js';
import { pollerKeys } from '../adapters/twitter/poller.js';
import { startXSim, type XSim } from '../adapters/twitter/sim/server.js';
import { eventually, startGateway, uniquePrefix, type TestGateway, keptComplaints } from './helpers/gateway.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function twitterEnv(sim: XSim, extra: Record<string, string> = {}): Record<string, string> {
  return { TWITTER_BEARER_TOKEN: 'test-bearer', TWITTER_API_BASE_URL: sim.url, TWITTER_POLL_INTERVAL_MS: '100', TWITTER_POLLER_LOCK_MS: '1500', ...extra };
}

async function sim(options: Parameters<typeof startXSim>[0] = {}): Promise<XSim> {
  const s = await startXSim(options);
  cleanups.push(() => s.close());
  return s;
}

/** A gateway without delivery workers (complaints stay undelivered, to be counted) running the X channel. */
async function gateway(env: Record<string, string>, prefix?: string): Promise<{ gw: TestGateway; session: TwitterSession }> {
  const channel = createTwitterChannel(env);
  const gw = await startGateway(prefix ? { PINTU_PREFIX: prefix } : {}, { channels: [channel], workers: false, sessions: false });
  const session = await channel.start(gw.pintu);
  if (!session) throw new Error('the X channel did not start');
  const stopped = { done: false };
  const stop = async () => { if (stopped.done) return; stopped.done = true; await session.stop(); await gw.close(); };
  cleanups.push(stop);
  return { gw, session: { poller: session.poller, stop } };
}

const queuedComplaints = (gw: TestGateway): Promise<Complaint[]> => keptComplaints(gw.pintu);

const mentionRequests = (s: XSim) => s.requests.filter((r) => r.path.endsWith('/mentions'));

const addBacklog = (s: XSim, n: number) =>
  Array.from({ length: n }, (_, i) => s.addMention({ from: `warga${i % 40}`, name: `Warga ${i}`, text: `PekalonganKota lampu jalan mati nomor ${i}` }));

describe('X mentions by polling', () => {
  it('drains a 250-mention backlog across pages into 250 complaints and moves since_id to the newest', async () => {
    const x = await sim();
    const ids = addBacklog(x, 250);
    const { gw, session } = await gateway(twitterEnv(x));
    const complaints = await eventually(async () => { const c = await queuedComplaints(gw); return c.length === 250 && c; });
    expect(new Set(complaints.map((c) => c.source.messageId))).toEqual(new Set(ids));
    expect(complaints.every((c) => c.channel === 'twitter' && c.region.code === '33.75' && c.reporter.twitterHandle?.startsWith('warga'))).toBe(true);
    await eventually(async () => (await session.poller!.checkpoint()).sinceId === ids.at(-1));
    expect(await session.poller!.checkpoint()).toEqual({ sinceId: ids.at(-1) });
    const requests = mentionRequests(x);
    // The user id was looked up once; the backlog took three pages (100 + 100 + 50) by next_token.
    expect(x.requests.filter((r) => r.path.startsWith('/2/users/by/username/'))).toHaveLength(1);
    expect(requests.slice(0, 3).map((r) => [r.query.max_results, Boolean(r.query.pagination_token), r.query.since_id])).toEqual([['100', false, undefined], ['100', true, undefined], ['100', true, undefined]]);
    // Later polls ask only for what is newer than the checkpoint.
    await eventually(() => mentionRequests(x).length > 4);
    expect(mentionRequests(x).at(-1)!.query.since_id).toBe(ids.at(-1));
    const newer = x.addMention({ from: 'telat', text: 'PekalonganKota satu lagi' });
    await eventually(async () => (await queuedComplaints(gw)).some((c) => c.source.messageId === newer));
    expect(await queuedComplaints(gw)).toHaveLength(251);
  });

  it('resumes after a crash mid-drain (SIGKILL) from the checkpoint, none lost, none twice', async () => {
    const x = await sim({ delayMs: 300 });
    const ids = addBacklog(x, 250);
    const prefix = uniquePrefix('xcrash');
    const env = twitterEnv(x);
    const dataDir = mkdtempSync(join(tmpdir(), 'pintu-x-crash-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, ['bin/pintu.js', 'serve'], {
      env: { ...process.env, ...env, REDIS_URL: inject('redisUrl'), PINTU_PREFIX: prefix, PINTU_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const exited = new Promise((ok) => child.once('exit', ok));
    cleanups.push(async () => { child.kill('SIGKILL'); await exited; });

    // Watch the checkpoint from outside; kill the gateway once the first page is queued and the drain is halfway.
    const observer = await startGateway({ PINTU_PREFIX: prefix }, { channels: [], workers: false });
    cleanups.push(() => observer.close());
    const checkpointKey = pollerKeys(prefix).checkpoint('1708');
    const cursor = await eventually(async () => { const h = await observer.pintu.redis.hgetall(checkpointKey); return h.drain_until ? h : null; }, 20_000);
    child.kill('SIGKILL');
    await exited;
    const before = await queuedComplaints(observer);
    expect(before.length).toBeGreaterThanOrEqual(100);
    expect(before.length).toBeLessThan(250);
    expect(cursor.drain_newest).toBe(ids.at(-1));
    expect([ids[150], ids[50]]).toContain(cursor.drain_until);

    const restartedAt = Date.now();
    const { gw } = await gateway(env, prefix);
    const complaints = await eventually(async () => { const c = await queuedComplaints(gw); return c.length === 250 && c; });
    expect(new Set(complaints.map((c) => c.source.messageId))).toEqual(new Set(ids));
    expect(new Set(complaints.map((c) => c.trackingId)).size).toBe(250);
    // The first request after the restart starts below the cursor, not from the top.
    const resumed = mentionRequests(x).find((r) => r.at >= restartedAt)!;
    expect(resumed.query.until_id).toBe(cursor.drain_until);
    const checkpoint = await eventually(async () => { const h = await gw.pintu.redis.hgetall(checkpointKey); return h.since_id === ids.at(-1) && h; });
    expect(checkpoint).toEqual({ since_id: ids.at(-1) });
    await new Promise((r) => setTimeout(r, 300));
    expect(await queuedComplaints(gw)).toHaveLength(250);
  });

  it('honours a 429 until x-rate-limit-reset and exposes the remaining budget', async () => {
    const x = await sim();
    x.failNext(1, { status: 429, resetInSeconds: 2 });
    const id = x.addMention({ from: 'sabar', text: 'PekalonganKota trotoar rusak' });
    const { gw } = await gateway(twitterEnv(x));
    const limited = await eventually(() => mentionRequests(x).find((r) => r.status === 429));
    const metricsText = () => fetch(`${gw.url}/metrics`).then((r) => r.text());
    expect(await metricsText()).toMatch(/pintu_twitter_rate_limit_remaining\{endpoint="mentions"\} 0/);
    await eventually(async () => (await queuedComplaints(gw)).some((c) => c.source.messageId === id), 10_000);
    const next = mentionRequests(x).find((r) => r.at > limited.at)!;
    const reset = Math.ceil(limited.at / 1000) + 2;
    expect(next.at).toBeGreaterThanOrEqual(reset * 1000);
    const text = await metricsText();
    expect(text).toMatch(/pintu_twitter_rate_limit_remaining\{endpoint="mentions"\} 44\d/);
    expect(text).toMatch(/pintu_twitter_api_failures_total\{endpoint="mentions",kind="rate-limited"\} 1/);
  });

  it('backs off on 5xx and carries on', async () => {
    const x = await sim();
    x.failNext(2, { status: 503 });
    const id = x.addMention({ from: 'sabar', text: 'PekalonganKota saluran mampet' });
    const { gw } = await gateway(twitterEnv(x));
    await eventually(async () => (await queuedComplaints(gw)).some((c) => c.source.messageId === id), 15_000);
    const [a, b, c] = mentionRequests(x);
    expect([a, b, c].map((r) => r!.status)).toEqual([503, 503, 200]);
    // Exponential with jitter: at least half of 1 s, then of 2 s between attempts, not the 100 ms poll interval.
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(450);
    expect(c!.at - b!.at).toBeGreaterThanOrEqual(950);
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/pintu_twitter_api_failures_total\{endpoint="mentions",kind="transient"\} 2/);
  });

  it('retries a poll whose connection X cut without answering, and stays up', async () => {
    const x = await sim();
    x.failNext(2, { status: 0 });
    const id = x.addMention({ from: 'putus', text: 'PekalonganKota jembatan retak' });
    const { gw } = await gateway(twitterEnv(x));
    await eventually(async () => (await queuedComplaints(gw)).some((c) => c.source.messageId === id), 15_000);
    expect(mentionRequests(x).slice(0, 3).map((r) => r.status)).toEqual([0, 0, 200]);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${gw.url}/metrics`)).text()).toMatch(/pintu_twitter_api_failures_total\{endpoint="mentions",kind="transient"\} 2/);
  });

  it('runs exactly one poller across two gateways, and the other takes over when it stops', async () => {
    const x = await sim();
    const prefix = uniquePrefix('xtwo');
    const env = twitterEnv(x);
    const one = await gateway(env, prefix);
    const two = await gateway(env, prefix);
    const leaders = () => [one, two].filter((g) => g.session.poller!.isLeader);
    await eventually(() => leaders().length === 1);
    const ids = addBacklog(x, 30);
    await eventually(async () => (await queuedComplaints(one.gw)).length === 30);
    expect(leaders()).toHaveLength(1);
    // Only the leader's requests reached the API: sequential, never overlapping.
    const reqs = mentionRequests(x);
    expect(reqs.every((r, i) => i === 0 || r.at >= reqs[i - 1]!.at)).toBe(true);

    const [leader] = leaders();
    const other = leader === one ? two : one;
    await leader!.session.stop();
    await eventually(() => other.session.poller!.isLeader);
    const late = x.addMention({ from: 'baru', text: 'PekalonganKota pohon tumbang' });
    const complaints = await eventually(async () => { const c = await queuedComplaints(other.gw); return c.length === 31 && c; });
    expect(new Set(complaints.map((c) => c.source.messageId))).toEqual(new Set([...ids, late]));
  });

  it('ignores plain retweets and the account’s own tweets, and reads a region hashtag', async () => {
    const x = await sim();
    const original = x.addMention({ from: 'siti', text: 'sampah menumpuk di TPS dekat pasar #BandungKota' });
    x.addMention({ from: 'pengikut', text: `RT @siti: @lapor1708 sampah menumpuk #BandungKota`, retweetOf: original });
    x.addMention({ from: 'lapor1708', text: '@lapor1708 PekalonganKota pengumuman uji coba' });
    const { gw } = await gateway(twitterEnv(x));
    await eventually(async () => (await queuedComplaints(gw)).length === 1);
    await eventually(async () => /pintu_rejected_messages_total\{channel="twitter",reason="own-tweet"\} 1/.test(await (await fetch(`${gw.url}/metrics`)).text()));
    const [complaint] = await queuedComplaints(gw);
    expect(complaint).toMatchObject({ source: { messageId: original }, region: { keyword: '#BandungKota', code: '32.73' }, text: 'sampah menumpuk di TPS dekat pasar #BandungKota' });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/pintu_rejected_messages_total\{channel="twitter",reason="retweet"\} 1/);
  });
});

describe('X channel configuration', () => {
  it('is off without TWITTER_BEARER_TOKEN and fails fast naming a bad variable', async () => {
    const channel = createTwitterChannel({});
    const gw = await startGateway({}, { channels: [channel], workers: false, sessions: false });
    cleanups.push(() => gw.close());
    expect(await channel.start(gw.pintu)).toBeNull();
    await expect( createTwitterChannel({ TWITTER_BEARER_TOKEN: 't', TWITTER_API_BASE_URL: 'ftp://x' }).start({} as never)).rejects.toThrow(/TWITTER_API_BASE_URL/);
    await expect(createTwitterChannel({ TWITTER_BEARER_TOKEN: 't', TWITTER_MODE: 'webhook' }).start({} as never)).rejects.toThrow(/TWITTER_APP_SECRET is required when TWITTER_MODE=webhook/);
  });
});
