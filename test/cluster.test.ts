/**
 * Scale-out on a real 3-master Redis Cluster on loopback: two `pintu serve` and two `pintu worker` child
 * processes share it. SMS (each gateway bound to the SMSC simulator), X mentions (one poller across the
 * gateways) and web complaints each reach the agency once; a route change made through one gateway's
 * admin API reaches the workers. And a gateway that finds its primary through Redis Sentinel.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatenatedMo, singleMo } from '../adapters/sms/sim/messages.js';
import { Smsc } from '../adapters/sms/sim/smsc.js';
import { startXSim, type XSim } from '../adapters/twitter/sim/server.js';
import { Complaint } from '../src/complaint.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { connectRedis, freePort, parseRedisUrl } from '../src/redis.js';
import { recordKeys } from '../src/status.js';
import { ADMIN, ADMIN_ENV, adminApi } from './admin-helpers.js';
import { startAgencySink, type AgencySink } from './helpers/agency-sink.js';
import { eventually, uniquePrefix } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { startLocalCluster, type LocalCluster } from './helpers/redis-cluster.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'cluster-national-secret-1';
const ROUTE_SECRET = 'cluster-pekalongan-secret-1';
const LONG = 'air PDAM mati tiga hari berturut-turut tanpa pemberitahuan apa pun kepada warga, '.repeat(4).trim();

interface Child { child: ChildProcess; output: { text: string }; exit: Promise<unknown> }
const children: Child[] = [];

/** `pintu <role>` as an operator runs it; its output is kept for a failing test's message. */
function pintu(role: 'serve' | 'worker', env: Record<string, string>): Child {
  const child = spawn(process.execPath, [join(root, 'bin/pintu.js'), role], { cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { text: '' };
  child.stdout!.on('data', (d: Buffer) => { output.text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output.text += d.toString(); });
  const started = { child, output, exit: new Promise((ok) => child.once('exit', ok)) };
  children.push(started);
  return started;
}

async function stopAll(): Promise<void> {
  await Promise.all(children.splice(0).map(async ({ child, exit }) => { if (child.exitCode === null) child.kill('SIGTERM'); await exit; }));
}

async function startServe(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const run = pintu('serve', { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/readyz`)).ok, 30_000, 200).catch((err: Error) => { throw new Error(`${err.message}\n${run.output.text}`); });
  return url;
}

const postComplaint = (gateway: string, text: string, key: string) => json(fetch(`${gateway}/api/v1/complaints`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ text }),
}));

/** Complaint ids (the Idempotency-Key) an agency received, with how many times each. */
function deliveries(sink: AgencySink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const d of sink.received) counts.set(String(d.headers['idempotency-key']), (counts.get(String(d.headers['idempotency-key'])) ?? 0) + 1);
  return counts;
}

const delivered = (sink: AgencySink) => sink.received.map((d) => Complaint.parse(d.body.complaint));

describe('REDIS_URL forms', () => {
  it.each([
    { url: 'redis://127.0.0.1:6379', kind: 'single' },
    { url: 'rediss://:pw@redis.example:6380/2', kind: 'single' },
    { url: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3', kind: 'cluster', nodes: [['10.0.0.1', 7000], ['10.0.0.2', 7001], ['10.0.0.3', 6379]] },
    { url: 'rediss+cluster://pintu:s%40cret@a:7000,b:7000', kind: 'cluster', username: 'pintu', password: 's@cret', tls: true },
    { url: 'redis+sentinel://:pw@s1:26379,s2/pintu-primary?sentinelPassword=sp', kind: 'sentinel', name: 'pintu-primary', password: 'pw', sentinelPassword: 'sp', nodes: [['s1', 26379], ['s2', 26379]] },
    { url: 'redis+sentinel://s1:26379', kind: null },
    { url: 'redis+cluster://a:7000/primary', kind: null },
    { url: 'redis+cluster://a:port', kind: null },
    { url: 'http://127.0.0.1:6379', kind: null },
  ])('$url → $kind', ({ url, kind, nodes, ...expected }) => {
    const target = parseRedisUrl(url);
    expect(target?.kind ?? null).toBe(kind);
    if (target && target.kind !== 'single') {
      expect(target).toMatchObject(expected);
      if (nodes) expect((target.kind === 'cluster' ? target.nodes : target.sentinels).map((n) => [n.host, n.port])).toEqual(nodes);
    }
  });

  it('takes REDIS_CLUSTER_NODES with the password and TLS of REDIS_URL, and names a bad value without echoing a password', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_URL: 'rediss://:pw@ignored:6379' }).REDIS_URL).toBe('rediss+cluster://:pw@a:7000,b:7001');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000' }).REDIS_URL).toBe('redis+cluster://a:7000');
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_URL: 'redis+sentinel://s:26379/m' })).toThrow(/REDIS_CLUSTER_NODES: must be host:port/);
    const bad = (() => { try { loadConfig({ REDIS_URL: 'redis+cluster://:hunter2@a:7000/x' }); } catch (err) { return err as Error; } })();
    expect(bad).toBeInstanceOf(ConfigError);
    expect(bad!.message).toMatch(/REDIS_URL: must be redis:\/\/.*redis\+cluster:\/\/.*redis\+sentinel:\/\//);
    expect(bad!.message).not.toContain('hunter2');
  });
});

describe('two gateways and two workers on a 3-master Redis Cluster', () => {
  let cluster: LocalCluster;
  let sink: AgencySink;
  let routeSink: AgencySink;
  let smsc: Smsc;
  let x: XSim;
  let gateways: string[];
  let env: Record<string, string>;

  beforeAll(async () => {
    [cluster, sink, routeSink, smsc, x] = await Promise.all([startLocalCluster(), startAgencySink(), startAgencySink(), Smsc.start({ retryDelayMs: 100 }), startXSim()]);
    env = {
      REDIS_URL: cluster.url, PINTU_PREFIX: uniquePrefix('cluster'), PINTU_DATA_DIR: mkdtempSync(join(tmpdir(), 'pintu-cluster-data-')), HOST: '127.0.0.1',
      NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_MINUTE: '0', ...ADMIN_ENV,
      SMPP_URL: smsc.url, SMS_FLOOD_PER_HOUR: '0', SMS_REPLY_PER_SECOND: '100',
      TWITTER_BEARER_TOKEN: 'test-bearer', TWITTER_API_BASE_URL: x.url, TWITTER_POLL_INTERVAL_MS: '100', TWITTER_POLLER_LOCK_MS: '1500',
    };
    // The first gateway keeps two SMPP binds, the second one.
    gateways = await Promise.all([startServe({ ...env, SMPP_BINDS: '2' }), startServe(env)]);
    pintu('worker', env);
    pintu('worker', env);
    await eventually(() => smsc.bound.length === 3, 20_000);
  }, 90_000);

  afterAll(async () => {
    await stopAll();
    await Promise.all([cluster?.stop(), sink?.close(), routeSink?.close(), smsc?.close(), x?.close()]);
    if (env) rmSync(env.PINTU_DATA_DIR!, { recursive: true, force: true });
  });

  it('delivers every SMS, X and web complaint once, whichever gateway took it and whichever worker routed it', async () => {
    const phones = Array.from({ length: 12 }, (_, i) => `0813${String(process.pid % 1000).padStart(3, '0')}${String(i).padStart(5, '0')}`);
    // Single messages, and long ones whose parts the SMSC spreads over the three binds of both gateways.
    const sms = await Promise.all(phones.map((phone, i) => (i % 4 === 0
      ? smsc.deliverAll(concatenatedMo(phone, '1708', `PekalonganKota ${LONG}`, { scheme: 'udh8', ref: i, order: [3, 1, 2] }))
      : smsc.deliverAll([singleMo(phone, '1708', `PekalonganKota jalan berlubang nomor ${i}`)]))));
    expect(sms.flat().every((r) => r.ok)).toBe(true);

    const tweets = Array.from({ length: 8 }, (_, i) => x.addMention({ from: `warga${i}`, text: `SurabayaKota banjir di jalan nomor ${i}` }));

    const web = await Promise.all(Array.from({ length: 12 }, (_, i) => postComplaint(gateways[i % 2]!, `SemarangKota sampah menumpuk nomor ${i}`, `web-${env.PINTU_PREFIX}-${i}`)));
    // A citizen's retry reaching the other gateway is the same complaint.
    const retried = await Promise.all(web.slice(0, 4).map((w, i) => postComplaint(gateways[(i + 1) % 2]!, `SemarangKota sampah menumpuk nomor ${i}`, `web-${env.PINTU_PREFIX}-${i}`)));
    expect(retried.map((r) => r.trackingId)).toEqual(web.slice(0, 4).map((w) => w.trackingId));

    const expected = phones.length + tweets.length + web.length;
    await eventually(() => deliveries(sink).size >= expected, 30_000);
    // Late duplicates would arrive within the router's and delivery's retry delays: give them a moment.
    await new Promise((r) => setTimeout(r, 1000));
    const counts = deliveries(sink);
    expect(counts.size).toBe(expected);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    const complaints = delivered(sink);
    expect(complaints.filter((c) => c.channel === 'sms').map((c) => c.reporter.phone).sort()).toEqual(phones.map((p) => `+62${p.slice(1)}`).sort());
    expect(complaints.filter((c) => c.channel === 'sms' && c.text === LONG)).toHaveLength(3);
    expect(new Set(complaints.filter((c) => c.channel === 'twitter').map((c) => c.source.messageId))).toEqual(new Set(tweets));
    expect(new Set(complaints.filter((c) => c.channel === 'web').map((c) => c.trackingId))).toEqual(new Set(web.map((w) => w.trackingId)));
    // Every SMS was answered once, by the gateway whose bind took it.
    await eventually(() => smsc.mt.length >= phones.length);
    expect(smsc.mt.map((m) => m.to).sort()).toEqual(phones.map((p) => `62${p.slice(1)}`).sort());
    // Both gateways took SMS over their binds.
    const smsTaken = await Promise.all(gateways.map(async (g) => /^pintu_sms_mo_pdus_total\{kind="(message|part)"\} [1-9]/m.test(await (await fetch(`${g}/metrics`)).text())));
    expect(smsTaken).toEqual([true, true]);
    // Keys carry one hash tag per group (docs/scaling.md): the groups are separate slots, so the cluster may put
    // them on different masters, while the whole complaint pipeline is one slot on one master.
    const keysOn = cluster.nodes.map((n) => spawnSync('redis-cli', ['-p', String(n.port), '--scan', '--pattern', `*${env.PINTU_PREFIX}*`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean));
    const tagsOn = keysOn.map((keys) => new Set(keys.map((k) => /\{([^}]*)\}/.exec(k)?.[1] ?? '')));
    const tags = new Set(tagsOn.flatMap((t) => [...t]));
    for (const group of ['complaints', 'routes', 'tracking', 'twitter']) expect(tags).toContain(`${env.PINTU_PREFIX}:${group}`);
    expect(tagsOn.filter((t) => t.has(`${env.PINTU_PREFIX}:complaints`))).toHaveLength(1);
    // No command touched keys of two slots (the cluster answers CROSSSLOT) and nothing failed.
    expect(children.map((c) => c.output.text).join('')).not.toMatch(/CROSSSLOT|"level":(50|60)/);
  });

  it('runs exactly one X poller across the gateways', async () => {
    const leaders = await Promise.all(gateways.map(async (g) => /^pintu_twitter_poller_leader 1$/m.test(await (await fetch(`${g}/metrics`)).text())));
    expect(leaders.filter(Boolean)).toHaveLength(1);
  });

  it('brings a route change made through one gateway to the other gateway and to both workers', async () => {
    const res = await adminApi(gateways[0]!, ADMIN.token)('PATCH', '/routes/33.75', { destination: { url: routeSink.url, secret: ROUTE_SECRET } });
    expect(res.status).toBe(200);
    await eventually(async () => (await json(adminApi(gateways[1]!, ADMIN.token)('GET', '/routes/33.75'))).destination?.url === routeSink.url, 5000);
    const before = sink.received.length;
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => postComplaint(gateways[i % 2]!, `PekalonganKota lampu jalan mati nomor ${i}`, `route-${env.PINTU_PREFIX}-${i}`)));
    await eventually(() => routeSink.received.length >= after.length, 20_000);
    expect(new Set(delivered(routeSink).map((c) => c.trackingId))).toEqual(new Set(after.map((a) => a.trackingId)));
    expect(sink.received.length).toBe(before);
  });
});

/** One primary, one replica, one sentinel on loopback; Debian's redis-server runs as a sentinel with --sentinel. */
async function startSentinelSet(dir: string) {
  const [primary, replica, sentinel] = await Promise.all([freePort(), freePort(), freePort()]);
  const server = (args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    return { child, exit: new Promise((ok) => child.once('exit', ok)) };
  };
  const started = [
    server(['--port', String(primary), '--bind', '127.0.0.1', '--save', '', '--dir', dir]),
    server(['--port', String(replica), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--replicaof', '127.0.0.1', String(primary)]),
  ];
  // A sentinel rewrites its configuration file, so it gets one of its own.
  const confFile = join(dir, 'sentinel.conf');
  writeFileSync(confFile, `port ${sentinel}\nbind 127.0.0.1\nsentinel monitor pintu-primary 127.0.0.1 ${primary} 1\nsentinel down-after-milliseconds pintu-primary 2000\n`);
  started.push(server([confFile, '--sentinel']));
  const ask = () => spawnSync('redis-cli', ['-p', String(sentinel), 'sentinel', 'get-master-addr-by-name', 'pintu-primary'], { encoding: 'utf8' }).stdout;
  await eventually(() => ask().includes(String(primary)), 10_000, 100);
  return {
    url: `redis+sentinel://127.0.0.1:${sentinel}/pintu-primary`,
    primary,
    async stop() { for (const s of started) s.child.kill('SIGTERM'); await Promise.all(started.map((s) => s.exit)); },
  };
}

describe('a gateway behind Redis Sentinel', () => {
  let dir: string;
  let set: Awaited<ReturnType<typeof startSentinelSet>>;
  let sink: AgencySink;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pintu-sentinel-'));
    [set, sink] = await Promise.all([startSentinelSet(dir), startAgencySink()]);
  });
  afterAll(async () => {
    await stopAll();
    await Promise.all([set?.stop(), sink?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the primary through the sentinel and takes a complaint', async () => {
    const prefix = uniquePrefix('sentinel');
    const port = await freePort();
    const run = pintu('serve', { REDIS_URL: set.url, PINTU_PREFIX: prefix, PINTU_DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(port), NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: SECRET });
    pintu('worker', { REDIS_URL: set.url, PINTU_PREFIX: prefix, PINTU_DATA_DIR: dir, NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: SECRET });
    const gateway = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${gateway}/readyz`)).ok, 30_000, 200).catch((err: Error) => { throw new Error(`${err.message}\n${run.output.text}`); });
    const { trackingId } = await postComplaint(gateway, 'PekalonganKota jalan rusak di depan pasar', `sentinel-${prefix}`);
    await eventually(() => sink.received.some((d) => d.body.complaint.trackingId === trackingId), 20_000);
    // The complaint lives on the primary the sentinel named.
    const direct = connectRedis(`redis://127.0.0.1:${set.primary}`, 'worker');
    expect(await direct.exists(recordKeys(prefix).record(trackingId))).toBe(1);
    direct.disconnect();
  });
});
