/**
 * `npm run bench:performance`: the performance table of issue 15 against a year of aggregates.
 * Loads BENCH_COMPLAINTS (default 1,000,000) complaints' events over the 365 days of 2025 for all 553 regions
 * into a fresh local redis-server: the commands `performanceOps` gives for each event (what the gateway would run),
 * written as RESP to `redis-cli --pipe` (Redis's mass-insertion mode; ioredis costs ~20 µs of client CPU a command),
 * then times the whole-year table (BENCH_RUNS runs) and reads the aggregates' memory (INFO used_memory before
 * and after the load). Prints the BENCHMARKS.md section; BENCH_WRITE=1 writes it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { performanceCsv, performanceOps, performanceTable, type PerformanceEvent } from '../src/performance.js';
import type { RedisOp } from '../src/redis-ops.js';
import { startLocalRedis } from '../src/redis.js';
import { seedRoutes } from '../src/route.js';
import { machine, writeSection } from './report.js';

const COMPLAINTS = Number(process.env.BENCH_COMPLAINTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const BATCH = 2000;
const PREFIX = '{bench:complaints}';
const HOUR = 3_600_000;
const YEAR_START = Date.parse('2025-01-01T00:00:00+07:00');
const YEAR_MS = 365 * 24 * HOUR;
const CHANNELS: Array<[string, number]> = [['sms', 0.35], ['web', 0.3], ['twitter', 0.2], ['whatsapp', 0.12], ['open311', 0.03]];

// A fixed-seed generator: every run loads the same year.
let seed = 20250101;
const random = () => { seed = (seed * 48271) % 2147483647; return seed / 2147483647; };
const gaussian = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
const logNormalHours = (medianHours: number, sigma: number) => medianHours * Math.exp(sigma * gaussian());

const routes = seedRoutes();
const codes = routes.map((r) => r.code);
const parentOf = new Map(routes.map((r) => [r.code, r.parent]));
// Skewed like population: a shuffled Zipf-like weight per region, the national desk 5 %.
const weights = codes.map((code, i) => (code === 'national' ? 0 : 1 / (1 + ((i * 7919) % codes.length)) ** 0.8));
const total = weights.reduce((a, b) => a + b, 0);
const cumulative: number[] = [];
weights.reduce((sum, w, i) => (cumulative[i] = sum + (0.95 * w) / total), 0);
function pickRegion(): string {
  const x = random();
  if (x >= 0.95) return 'national';
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid]! < x) lo = mid + 1; else hi = mid; }
  return codes[lo]!;
}
function pickChannel(): string {
  let x = random();
  for (const [channel, p] of CHANNELS) { if ((x -= p) < 0) return channel; }
  return 'sms';
}

/** One complaint's events: received, delivered, re-routed (5 %), answered, followed up, resolved, overdue. */
function complaintEvents(): PerformanceEvent[] {
  let code = pickRegion();
  const received = new Date(YEAR_START + random() * YEAR_MS);
  const events: PerformanceEvent[] = [{ type: 'received', code, at: received, channel: pickChannel() }, { type: 'delivered', code, at: received }];
  let t = received.getTime();
  const parent = parentOf.get(code);
  if (random() < 0.05 && parent) {
    t += logNormalHours(10, 1) * HOUR;
    events.push({ type: 'reRouted', code, at: new Date(t) }, { type: 'delivered', code: parent, at: new Date(t) });
    code = parent;
  }
  const late = random();
  if (late < 0.1) events.push({ type: 'overdue', code, delta: 1 });
  if (random() < 0.9) {
    const hours = logNormalHours(18, 1.2);
    t += hours * 1.4 * HOUR;
    events.push({ type: 'firstResponse', code, at: new Date(t), durationMs: hours * HOUR, withinDeadline: hours <= 72 });
    if (late < 0.08) events.push({ type: 'overdue', code, delta: -1 });
    if (random() < 0.8) {
      const followUp = logNormalHours(50, 1);
      t += followUp * 1.4 * HOUR;
      events.push({ type: 'followUp', code, at: new Date(t), durationMs: followUp * HOUR, withinDeadline: followUp <= 120 });
      if (random() < 0.75) events.push({ type: 'resolved', code, at: new Date(t) });
    }
  }
  return events;
}

/** A command in RESP; every key and argument here is ASCII, so string length is byte length. */
function resp(op: RedisOp): string {
  let out = `*${2 + op.args.length}\r\n$${op.command.length}\r\n${op.command}\r\n$${op.key.length}\r\n${op.key}\r\n`;
  for (const arg of op.args) { const text = String(arg); out += `$${text.length}\r\n${text}\r\n`; }
  return out;
}

/** Every complaint's commands through `redis-cli --pipe`, BATCH complaints per write; fails on any error reply. */
async function massInsert(port: number): Promise<{ commands: number; events: number }> {
  const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  cli.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = once(cli, 'exit');
  let commands = 0;
  let events = 0;
  for (let done = 0; done < COMPLAINTS; done += BATCH) {
    const chunk: string[] = [];
    for (let i = 0; i < BATCH && done + i < COMPLAINTS; i++) {
      for (const event of complaintEvents()) {
        for (const op of performanceOps(PREFIX, event)) chunk.push(resp(op));
        events++;
      }
    }
    commands += chunk.length;
    if (!cli.stdin.write(Buffer.from(chunk.join(''), 'latin1'))) await once(cli.stdin, 'drain');
  }
  cli.stdin.end();
  await exited;
  const summary = /errors: (\d+), replies: (\d+)/.exec(output);
  if (!summary || summary[1] !== '0' || Number(summary[2]) !== commands) throw new Error(`redis-cli --pipe: ${output.trim()}`);
  return { commands, events };
}

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-performance-'));
const local = await startLocalRedis(dir);
const redis = new Redis(local.url);
try {
  // The aggregates, not persistence, are measured here: no AOF of the seven million load commands.
  await redis.config('SET', 'appendonly', 'no');
  const before = await usedMemory(redis);

  const loadStart = performance.now();
  const { commands, events } = await massInsert(local.port);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const after = await usedMemory(redis);
  const keys = await redis.dbsize();
  // Where the memory is: MEMORY USAGE of every key, by kind.
  const byKind = { year: 0, log: 0, overdue: 0 };
  for (let cursor = '0'; ;) {
    const [nextCursor, batch] = await redis.scan(cursor, 'COUNT', 1000);
    const usage = await Promise.all(batch.map((key) => redis.memory('USAGE', key, 'SAMPLES', 0)));
    batch.forEach((key, i) => { byKind[key.endsWith(':log') ? 'log' : key.endsWith(':overdue') ? 'overdue' : 'year'] += Number(usage[i] ?? 0); });
    if ((cursor = nextCursor) === '0') break;
  }
  console.log(`loaded ${COMPLAINTS} complaints: ${events} events, ${commands} commands in ${loadSeconds.toFixed(1)} s; ${keys} keys, ${mb(after - before)} MB`);

  const time = async (from: string, to: string) => {
    const ms: number[] = [];
    let regions = 0;
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      const table = await performanceTable(redis, { prefix: PREFIX, routes, from, to, minComplaints: 10 });
      ms.push(performance.now() - start);
      regions = table.regions.length;
    }
    console.log(`${from} … ${to}: ${regions} regions, median ${median(ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms`);
    return { ms, regions };
  };
  const year = await time('2025-01-01', '2025-12-31');
  const rolling = await time('2025-01-16', '2026-01-15');
  const quarter = await time('2025-04-01', '2025-06-30');
  const csvStart = performance.now();
  const table = await performanceTable(redis, { prefix: PREFIX, routes, from: '2025-01-01', to: '2025-12-31', minComplaints: 10 });
  const csv = performanceCsv(table);
  const csvMs = performance.now() - csvStart;
  const ranked = table.regions.filter((r) => r.rankNational !== null).length;

  const aggregateMb = (after - before) / 2 ** 20;
  const yearMedian = median(year.ms);
  const yearMax = Math.max(...year.ms);
  const row = (label: string, r: { ms: number[] }) => `| ${label} | ${median(r.ms).toFixed(0)} | ${Math.max(...r.ms).toFixed(0)} |`;
  const section = `## Performance table (monev) — \`npm run bench:performance\`

Machine: ${machine()}. One local redis-server (${(await redis.info('server')).match(/redis_version:(\S+)/)![1]}, AOF off for the load).
${COMPLAINTS.toLocaleString('en')} complaints over the 365 days of 2025 for all ${codes.length} regions (skewed like population, national desk 5 %):
received by channel, delivered, 5 % re-routed to the province, 90 % answered (log-normal, median 18 working hours), 72 % followed up,
54 % resolved, 10 % overdue for a while — ${events.toLocaleString('en')} events, ${commands.toLocaleString('en')} Redis commands from \`performanceOps\`,
written as RESP to \`redis-cli --pipe\`: loaded in ${loadSeconds.toFixed(1)} s (${Math.round(COMPLAINTS / loadSeconds).toLocaleString('en')} complaints/s).

| aggregates | |
|---|---|
| Redis memory (used_memory after − before the load) | ${aggregateMb.toFixed(1)} MB |
| keys | ${keys.toLocaleString('en')} |
| of which region-year counter strings (MEMORY USAGE) | ${mb(byKind.year)} MB |
| of which response logs | ${mb(byKind.log)} MB |
| per complaint | ${((after - before) / COMPLAINTS).toFixed(0)} bytes |

\`performanceTable\` for all ${year.regions} regions (${ranked} ranked), ${RUNS} runs each, ms:

| period | median | max |
|---|---|---|
${row('calendar year 2025 (12 whole months)', year)}
${row('16 Jan 2025 – 15 Jan 2026 (two part months)', rolling)}
${row('Q2 2025 (3 whole months)', quarter)}

The whole-year table plus its CSV (${(csv.length / 1024).toFixed(0)} KB): ${csvMs.toFixed(0)} ms.

**Whole year: median ${yearMedian.toFixed(0)} ms, max ${yearMax.toFixed(0)} ms** (target ≤ 300: ${yearMax <= 300 ? 'met' : 'missed'});
**aggregates ${aggregateMb.toFixed(0)} MB** (target ≤ 200: ${aggregateMb <= 200 ? 'met' : 'missed'}).`;
  console.log(`\n${section}`);
  if (process.env.BENCH_WRITE === '1') writeSection('performance', section);
} finally {
  redis.disconnect();
  await local.stop();
  rmSync(dir, { recursive: true, force: true });
}
