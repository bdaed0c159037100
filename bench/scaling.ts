/**
 * `npm run bench:scaling`: what one complaint costs, for the web and the SMS channel, split by process
 * role. `pintu serve` and `pintu worker` run as child processes on one local redis-server (AOF on);
 * each channel sends a warm-up, then BENCH_COMPLAINTS complaints with the delivery queue paused (only
 * `serve` works: intake and replies, and Redis memory per kept complaint), then the queue is resumed
 * (only `worker` works: delivery to a local HTTP agency). Around each phase: Redis
 * INFO commandstats / stats / memory / cpu (CONFIG RESETSTAT before), and the processes' CPU time
 * from /proc. A smaller pass under MONITOR splits commands sent by clients from those run inside Lua.
 * Prints the tables docs/scaling.md quotes; BENCH_JSON=FILE also writes the raw figures.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { singleMo } from '../adapters/sms/sim/messages.js';
import { bullPrefix, pipelineTag, QUEUE_NAMES } from '../queues/topology.js';
import { recordKeys } from '../src/status.js';
import { freePort } from '../src/redis.js';
import { startLocalCluster } from '../test/helpers/redis-cluster.js';
import { BENCH_APPENDFSYNC, gatewayArgs, machine, startSmsRig, stopChild, waitFor } from './report.js';

const N = Number(process.env.BENCH_COMPLAINTS ?? 3000);
const MONITORED = Number(process.env.BENCH_MONITORED ?? 300);
const WARMUP = 500;
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-scaling-'));
const TICKS_PER_SECOND = 100;
/** A burst of BENCH_COMPLAINTS may take minutes on a small machine. */
const LONG_WAIT_MS = 600_000;

/** `sms`: paced below the reply rate, so each reply goes out at once; `sms-burst`: faster, so most replies wait in the queue. */
type Channel = 'web' | 'sms' | 'sms-burst';
const REPLY_PER_SECOND = 200;
const PACED_PER_SECOND = 150;

/** User + system CPU seconds of a process so far. */
function cpuSeconds(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function infoFields(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

interface RedisCounters { commands: Map<string, { calls: number; usec: number }>; processed: number; inBytes: number; outBytes: number; cpu: number; memory: number }

async function redisCounters(admin: Redis): Promise<RedisCounters> {
  const info = infoFields(await admin.info('all'));
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [key, value] of Object.entries(info)) {
    if (!key.startsWith('cmdstat_')) continue;
    const name = key.slice('cmdstat_'.length);
    // The measuring itself is not the complaint's cost.
    if (name === 'info' || name.startsWith('config') || name === 'monitor') continue;
    const stat = Object.fromEntries(value.split(',').map((kv) => kv.split('=')));
    commands.set(name, { calls: Number(stat.calls), usec: Number(stat.usec) });
  }
  return {
    commands,
    processed: Number(info.total_commands_processed),
    inBytes: Number(info.total_net_input_bytes),
    outBytes: Number(info.total_net_output_bytes),
    cpu: Number(info.used_cpu_user) + Number(info.used_cpu_sys),
    memory: Number(info.used_memory),
  };
}

interface PhaseResult {
  seconds: number;
  processCpu: number;
  commands: number;
  redisUsec: number;
  redisCpu: number;
  inBytes: number;
  outBytes: number;
  memoryDelta: number;
  top: Array<[string, number]>;
}

const rig = await startSmsRig(dir);
const { sink, smsc } = rig;
const env: NodeJS.ProcessEnv = { ...rig.env, RATE_LIMIT_PER_MINUTE: '0', SMS_REPLY_PER_SECOND: String(REPLY_PER_SECOND) };
const gateway = `http://127.0.0.1:${env.PORT}`;
const admin = new Redis(rig.redis.url);
const serve = spawn(process.execPath, gatewayArgs('serve'), { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
const worker = spawn(process.execPath, gatewayArgs('worker'), { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
// Should this process die early (a closed stdout pipe, an error), its gateways must not outlive it.
process.once('exit', () => { serve.kill('SIGKILL'); worker.kill('SIGKILL'); });
const queueConnection = admin.duplicate();
const delivery = new Queue(QUEUE_NAMES.delivery, { connection: queueConnection, prefix: bullPrefix(env.PINTU_PREFIX!, QUEUE_NAMES.delivery) });

let sent = 0;

async function postWeb(url: string, first: number, count: number): Promise<void> {
  let i = first;
  const result = await autocannon({
    url: `${url}/api/v1/complaints`, method: 'POST', connections: Math.min(50, count), amount: count,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: `PekalonganKota jalan rusak di depan pasar, laporan nomor ${i++}`, phone: '081234567890' }) }) }],
  });
  if (result['2xx'] !== count) throw new Error(`web: ${result['2xx']} of ${count} accepted (${result.non2xx} non-2xx, ${result.errors} errors)`);
}

/** Send `count` complaints on a channel; resolves once `serve` has taken (and for SMS, answered) them all. */
async function send(channel: Channel, count: number): Promise<void> {
  const first = sent;
  sent += count;
  if (channel === 'web') return postWeb(gateway, first, count);
  const answered = smsc.mt.length;
  const mo = Array.from({ length: count }, (_, k) => singleMo(`0812${String(10_000_000 + first + k)}`, '1708', `PekalonganKota jalan rusak di depan pasar, laporan nomor ${first + k}`));
  const slice = channel === 'sms' ? PACED_PER_SECOND / 10 : count;
  for (let at = 0; at < mo.length; at += slice) {
    const paced = channel === 'sms' ? new Promise((r) => setTimeout(r, 100)) : null;
    const results = await smsc.burst(mo.slice(at, at + slice), 100);
    if (!results.every((r) => r.ok)) throw new Error(`${channel}: not every message was acknowledged`);
    await paced;
  }
  // The accepted-reply SMS is part of serve's work for each message.
  await waitFor(() => smsc.mt.length >= answered + count, 'sms replies', LONG_WAIT_MS);
}

async function phase(run: () => Promise<void>, child: ChildProcess, count: number): Promise<PhaseResult> {
  await admin.config('RESETSTAT');
  const before = await redisCounters(admin);
  const cpuBefore = cpuSeconds(child);
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const processCpu = cpuSeconds(child) - cpuBefore;
  const after = await redisCounters(admin);
  const calls = [...after.commands].map(([name, c]) => [name, c.calls] as [string, number]).sort((a, b) => b[1] - a[1]);
  return {
    seconds,
    processCpu,
    commands: calls.reduce((sum, [, n]) => sum + n, 0) / count,
    redisUsec: [...after.commands.values()].reduce((sum, c) => sum + c.usec, 0) / count,
    redisCpu: (after.cpu - before.cpu) / count,
    inBytes: after.inBytes / count,
    outBytes: after.outBytes / count,
    memoryDelta: (after.memory - before.memory) / count,
    top: calls.slice(0, 8).map(([name, n]) => [name, n / count]),
  };
}

/**
 * Commands per complaint seen by MONITOR: sent by the processes, and run inside Lua scripts. A raw socket,
 * because ioredis's monitor mode loses track of its replies under load ("Command queue state error").
 */
async function monitored(run: () => Promise<void>, count: number): Promise<{ client: number; lua: number }> {
  const url = new URL(rig.redis.url);
  const socket = connect(Number(url.port), url.hostname);
  let client = 0;
  let lua = 0;
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\r\n');
    rest = lines.pop()!;
    for (const line of lines) {
      // +1700000000.123456 [0 127.0.0.1:5555] "evalsha" ...   or   [0 lua] "hset" ...
      const source = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
      if (!source || source[2]!.toLowerCase() === 'info') continue;
      if (source[1] === 'lua') lua++;
      else client++;
    }
  });
  await new Promise<void>((ok, fail) => { socket.once('connect', ok); socket.once('error', fail); });
  socket.write('MONITOR\r\n');
  await run();
  socket.destroy();
  return { client: client / count, lua: lua / count };
}

/** Intake with the delivery queue paused (serve only), then delivery (worker only). */
async function measure(channel: Channel, count: number) {
  const delivered = sink.received.length;
  const intakePhase = await phase(() => send(channel, count), serve, count);
  const workerPhase = await phase(async () => {
    await delivery.resume();
    await waitFor(() => sink.received.length >= delivered + count, 'deliveries', LONG_WAIT_MS);
  }, worker, count);
  await delivery.pause();
  return { intake: intakePhase, worker: workerPhase };
}

async function monitoredPass(channel: Channel) {
  const delivered = sink.received.length;
  const intakeSide = await monitored(() => send(channel, MONITORED), MONITORED);
  const workerSide = await monitored(async () => {
    await delivery.resume();
    await waitFor(() => sink.received.length >= delivered + MONITORED, 'deliveries', LONG_WAIT_MS);
  }, MONITORED);
  await delivery.pause();
  return { intake: intakeSide, worker: workerSide };
}

/**
 * BENCH_CLUSTER=1: the web burst again on a local 3-master Redis Cluster (both roles running), to show how a
 * complaint's Redis work spreads over the masters: each queue is one hash tag, so one master carries each queue.
 */
async function clusterSpread(): Promise<string> {
  const cluster = await startLocalCluster();
  const nodes = cluster.nodes.map((n) => new Redis(n.port, n.host));
  const clusterEnv: NodeJS.ProcessEnv = { ...env, REDIS_URL: cluster.url, PORT: String(await freePort()), PINTU_PREFIX: 'scaling-cluster', SMPP_URL: '' };
  const url = `http://127.0.0.1:${clusterEnv.PORT}`;
  const roles = ['serve', 'worker'].map((role) => spawn(process.execPath, gatewayArgs(role), { env: clusterEnv, stdio: ['ignore', 'ignore', 'inherit'], cwd: root }));
  try {
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => null))?.ok === true, 'serve on the cluster', 60_000);
    const delivered = sink.received.length;
    await postWeb(url, sent, WARMUP);
    await waitFor(() => sink.received.length >= delivered + WARMUP, 'warm-up deliveries on the cluster', LONG_WAIT_MS);
    await Promise.all(nodes.map((n) => n.config('RESETSTAT')));
    await postWeb(url, sent + WARMUP, N);
    await waitFor(() => sink.received.length >= delivered + WARMUP + N, 'deliveries on the cluster', LONG_WAIT_MS);
    sent += WARMUP + N;
    const counters = await Promise.all(nodes.map(redisCounters));
    const usec = counters.map((c) => [...c.commands.values()].reduce((sum, x) => sum + x.usec, 0) / N);
    const total = usec.reduce((a, b) => a + b, 0);
    // Which master holds each queue's (and the route table's) hash tag.
    const tags = { 'complaints (records, dedup, delivery queue)': pipelineTag(clusterEnv.PINTU_PREFIX!), ...Object.fromEntries(['dead-letters', 'replies-sms'].map((q) => [q, bullPrefix(clusterEnv.PINTU_PREFIX!, q)])), routes: `{${clusterEnv.PINTU_PREFIX}:routes}` };
    const slots = await nodes[0]!.cluster('SLOTS');
    const holder = async (key: string) => {
      const slot = Number(await nodes[0]!.cluster('KEYSLOT', key));
      return slots.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
    };
    const held = await Promise.all(Object.entries(tags).map(async ([name, tag]) => [name, await holder(tag)] as const));
    const rows = cluster.nodes.map((n, i) => `| ${i + 1} | ${held.filter(([, port]) => port === n.port).map(([name]) => name).join(', ') || '—'} | ${f([...counters[i]!.commands.values()].reduce((sum, x) => sum + x.calls, 0) / N)} | ${f(usec[i]!, 0)} µs | ${f((100 * usec[i]!) / total, 0)} % |`);
    return `#### The same web burst on a 3-master Redis Cluster (BENCH_CLUSTER=1)

Serve and worker both running, ${N} complaints after a ${WARMUP}-complaint warm-up; per complaint, per master (everything one intake batch writes shares one hash tag, so one master):

| master | hash tags it holds | commands | time in commands | share |
|---|---|---|---|---|
${rows.join('\n')}`;
  } finally {
    await Promise.all(roles.map(stopChild));
    for (const n of nodes) n.disconnect();
    await cluster.stop();
  }
}

/** Average MEMORY USAGE of what stays in Redis per complaint once it is delivered, by kind of record. */
async function retention(): Promise<Array<{ record: string; bytes: number; kept: string }>> {
  const prefix = env.PINTU_PREFIX!;
  const usage = async (keys: string[]) => {
    const sizes = await Promise.all(keys.map(async (key) => Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))));
    return sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
  };
  const completedJobs = async (queue: string) => {
    const base = `${bullPrefix(prefix, queue)}:${queue}`;
    return (await admin.zrange(`${base}:completed`, 0, 49)).map((id) => `${base}:${id}`);
  };
  const scanned = async (pattern: string) => (await admin.scan('0', 'MATCH', pattern, 'COUNT', 5000))[1].slice(0, 50);
  const keys = recordKeys(prefix);
  return [
    { record: 'complaint record (status, route, the complaint itself)', bytes: await usage(await scanned(keys.record('*'))), kept: 'until STATUS_RETENTION_DAYS (730) after selesai or diarsipkan; an open complaint for good' },
    { record: 'dedup key (SMS, X, Idempotency-Key)', bytes: await usage(await scanned(`${keys.base}dedup:*`)), kept: 'DEDUP_WINDOW_SECONDS (7 days)' },
    { record: 'completed `complaints` job (one per intake batch)', bytes: await usage(await completedJobs(QUEUE_NAMES.delivery)), kept: '1 hour, at most 1,000' },
  ];
}

const f = (n: number, digits = 1) => n.toFixed(digits);
const kb = (bytes: number) => `${f(bytes / 1024, 2)} KiB`;

try {
  await waitFor(async () => (await fetch(`${gateway}/readyz`).catch(() => null))?.ok === true && smsc.bound.length > 0, 'serve to start and bind', 60_000);
  const results: Record<string, Awaited<ReturnType<typeof measure>> & { monitor: Awaited<ReturnType<typeof monitoredPass>> }> = {};
  for (const channel of ['web', 'sms', 'sms-burst'] as const) {
    // Warm-up through the whole pipeline (JIT, connections, route table), not counted.
    await delivery.resume();
    await send(channel, WARMUP);
    await waitFor(() => sink.received.length >= sent, 'warm-up deliveries', LONG_WAIT_MS);
    await delivery.pause();
    const measured = await measure(channel, N);
    results[channel] = { ...measured, monitor: await monitoredPass(channel) };
    console.error(`${channel}: done`);
  }
  const kept = await retention();
  const commit = execSync('git rev-parse --short HEAD', { cwd: root, encoding: 'utf8' }).trim();
  const dirty = execSync('git status --porcelain --untracked-files=no', { cwd: root, encoding: 'utf8' }).trim() ? ' (with uncommitted changes in the tree)' : '';
  const row = (label: string, pick: (r: Awaited<ReturnType<typeof measure>>['intake'], m: { client: number; lua: number }) => string) => `| ${label} | ${[
    ...(['web', 'sms'] as const).flatMap((c) => [pick(results[c]!.intake, results[c]!.monitor.intake), pick(results[c]!.worker, results[c]!.monitor.worker)]),
    pick(results['sms-burst']!.intake, results['sms-burst']!.monitor.intake),
  ].join(' | ')} |`;
  const total = (c: Channel) => f(results[c]!.intake.commands + results[c]!.worker.commands);
  const section = `### Measured by \`npm run bench:scaling\` (BENCH_COMPLAINTS=${N}, MONITOR pass ${MONITORED}) at commit ${commit}${dirty}

Machine: ${machine()}. One local redis-server (AOF ${BENCH_APPENDFSYNC}); \`pintu serve\` and \`pintu worker\` as child processes (compiled JS, LOG_LEVEL=warn,
defaults otherwise: WORKER_CONCURRENCY 16); web: autocannon, 50 connections, JSON posts without Idempotency-Key; SMS: the SMSC
simulator, window 100, distinct senders, single-part GSM messages, each answered by an accepted-reply SMS (SMS_REPLY_PER_SECOND=${REPLY_PER_SECOND}):
sent at ${PACED_PER_SECOND}/s, so every reply goes out at once, and again as one burst, so most replies wait in the durable \`replies-sms\` queue. Per complaint:

| | web: serve (intake) | web: worker (route + deliver) | SMS: serve (intake + reply at once) | SMS: worker (route + deliver) | SMS burst over the reply rate: serve (intake + queued reply) |
|---|---|---|---|---|---|
${row('Redis commands executed (incl. inside Lua)', (r) => f(r.commands))}
${row('…sent by the process (MONITOR)', (_r, m) => f(m.client))}
${row('…run inside Lua scripts (MONITOR)', (_r, m) => f(m.lua))}
${row('Redis time in commands (commandstats usec)', (r) => `${f(r.redisUsec, 0)} µs`)}
${row('Redis process CPU (INFO cpu)', (r) => `${f(r.redisCpu * 1e6, 0)} µs`)}
${row('bytes to Redis', (r) => kb(r.inBytes))}
${row('bytes from Redis', (r) => kb(r.outBytes))}
${row('process CPU (/proc utime+stime)', (r) => `${f((r.processCpu / N) * 1000, 2)} ms`)}
${row('⇒ complaints per CPU-second (one core)', (r) => f(N / r.processCpu, 0))}
${row('wall-clock rate in this run', (r) => `${f(N / r.seconds, 0)}/s`)}
${row('Redis memory: serve = per queued complaint; worker = change once delivered (kept for the dedup window)', (r) => kb(r.memoryDelta))}

**Redis commands per complaint, intake to delivery: web ${total('web')}; SMS with its reply ${total('sms')} when the reply goes at once, ${f(results['sms-burst']!.intake.commands + results.sms!.worker.commands)} when it waits in the queue.**

What stays in Redis per complaint once delivered (MEMORY USAGE, average of up to 50 keys each; sorted-set entries and
BullMQ's event streams, capped at about 10,000 entries per queue, come on top):

| record | bytes | kept |
|---|---|---|
${kept.map((k) => `| ${k.record} | ${f(k.bytes, 0)} | ${k.kept} |`).join('\n')}

Most executed commands per complaint:

${(['web', 'sms', 'sms-burst'] as const).map((c) => `- ${c} serve: ${results[c]!.intake.top.map(([n, v]) => `${n} ${f(v)}`).join(', ')}\n- ${c} worker: ${results[c]!.worker.top.map(([n, v]) => `${n} ${f(v)}`).join(', ')}`).join('\n')}`;
  console.log(section);
  if (process.env.BENCH_CLUSTER === '1') console.log(`\n${await clusterSpread()}`);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ commit, machine: machine(), n: N, results, kept }, null, 2));
} finally {
  await Promise.all([stopChild(serve), stopChild(worker)]);
  await delivery.close();
  queueConnection.disconnect();
  admin.disconnect();
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
}
