/**
 * `npm run bench:web`, two comparisons side by side, same Redis (AOF everysec), same load, alternated over rounds:
 * - the whole service: Pintu as `npm start` runs it (`pintu all`) against the plain pipeline a developer would write
 *   in an afternoon (bench/plain-pipeline.ts), both delivering to a local HTTP agency sink; rate = complaints
 *   delivered ÷ time from the first request to the last delivery;
 * - intake only: `pintu serve` against the ceiling, a bare route doing only `queue.add` (bench/ceiling.ts).
 * Writes the web section of BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort, startLocalRedis } from '../src/redis.js';
import { startAgencySink, type AgencySink } from '../test/helpers/agency-sink.js';
import { BENCH_APPENDFSYNC, cpuSeconds, gatewayArgs, machine, startNodeOptions, stopChild, waitFor, writeSection } from './report.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const root = new URL('..', import.meta.url).pathname;

type Kind = 'pintu all' | 'plain pipeline' | 'pintu serve' | 'ceiling';
const LABELS: Record<Kind, string> = {
  'pintu all': 'Pintu, the whole service (`pintu all`, as `npm start`)',
  'plain pipeline': 'plain pipeline: fastify → queue.add → BullMQ worker (concurrency 50) → POST',
  'pintu serve': 'Pintu web intake only (`pintu serve`)',
  ceiling: 'ceiling: bare route, queue.add only',
};

async function startTarget(kind: Kind, redisUrl: string, sink: AgencySink): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const env = {
    ...process.env, REDIS_URL: redisUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', PINTU_PREFIX: 'bench',
    NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'bench-national-secret-1234', AGENCY_URL: sink.url,
  };
  // All with `npm start`'s Node options: the ratios measure the work, not a runtime setting.
  const script = { 'plain pipeline': 'bench/plain-pipeline.ts', ceiling: 'bench/ceiling.ts' } as Partial<Record<Kind, string>>;
  const args = kind.startsWith('pintu') ? gatewayArgs(kind.slice('pintu '.length)) : [...startNodeOptions(), '--import', 'tsx', join(root, script[kind]!)];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(kind === 'ceiling' ? url : `${url}/healthz`, { method: kind === 'ceiling' ? 'POST' : 'GET' }).catch(() => null)) !== null, `${kind} to start`, 20_000);
  return { url, child };
}

async function load(url: string) {
  let n = 0;
  const started = performance.now();
  const result = await autocannon({
    url: `${url}/api/v1/complaints`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: `PekalonganKota jalan rusak di depan pasar nomor ${n++}`, phone: '081234567890' }) }) }],
  });
  return { started, accepted: result['2xx'], p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

interface Row { kind: Kind; round: number; accepted: number; acceptedPerSecond: number; delivered: number; deliveredPerSecond: number; p50: number; p99: number; errors: number; cpuPerComplaint: number }

async function measure(kind: Kind, round: number, redis: Redis, redisUrl: string, sink: AgencySink): Promise<Row> {
  await redis.flushall();
  const target = await startTarget(kind, redisUrl, sink);
  const whole = kind === 'pintu all' || kind === 'plain pipeline';
  try {
    await load(target.url); // warm-up run, discarded
    if (whole) await waitFor(() => sink.received.length > 0 && performance.now() - sink.lastReceivedAt > 1000, 'the warm-up deliveries', 120_000);
    sink.received.length = 0;
    const cpuBefore = cpuSeconds(target.child.pid!);
    const r = await load(target.url);
    let seconds = DURATION_S;
    if (whole) {
      await waitFor(() => sink.received.length >= r.accepted, 'every accepted complaint delivered', 300_000);
      seconds = (sink.lastReceivedAt - r.started) / 1000;
    }
    // The server's own CPU per complaint: steadier than rates on a machine the load generator shares.
    const cpuPerComplaint = ((cpuSeconds(target.child.pid!) - cpuBefore) / Math.max(1, r.accepted)) * 1e6;
    const row: Row = {
      kind, round, accepted: r.accepted, acceptedPerSecond: r.accepted / DURATION_S, delivered: whole ? sink.received.length : 0,
      deliveredPerSecond: whole ? sink.received.length / seconds : 0, p50: r.p50, p99: r.p99, errors: r.errors, cpuPerComplaint,
    };
    console.log(`${kind} round ${round}: accepted ${row.acceptedPerSecond.toFixed(0)}/s${whole ? `, delivered ${row.deliveredPerSecond.toFixed(0)}/s` : ''}, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, server CPU ${cpuPerComplaint.toFixed(0)} µs/complaint`);
    return row;
  } finally {
    await stopChild(target.child);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-web-'));
const redisServer = await startLocalRedis(dir, { appendfsync: BENCH_APPENDFSYNC });
const admin = new Redis(redisServer.url);
const sink = await startAgencySink();
const rows: Row[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of ['plain pipeline', 'pintu all', 'ceiling', 'pintu serve'] as const) rows.push(await measure(kind, round, admin, redisServer.url, sink));
  }
} finally {
  admin.disconnect();
  await sink.close();
  await redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}

const best = (kind: Kind, rate: (r: Row) => number) => Math.max(...rows.filter((r) => r.kind === kind).map(rate));
const wholeRatio = best('pintu all', (r) => r.deliveredPerSecond) / best('plain pipeline', (r) => r.deliveredPerSecond);
const intakeRatio = best('pintu serve', (r) => r.acceptedPerSecond) / best('ceiling', (r) => r.acceptedPerSecond);
const table = rows.map((r) => `| ${LABELS[r.kind]} | ${r.round} | ${r.acceptedPerSecond.toFixed(0)} | ${r.delivered ? r.deliveredPerSecond.toFixed(0) : '—'} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.cpuPerComplaint.toFixed(0)} |`).join('\n');
writeSection('web', `## Web — \`npm run bench:web\`

Machine: ${machine()}. autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per run after a discarded warm-up run,
POST /api/v1/complaints with a JSON complaint (unique text, no Idempotency-Key); one local redis-server (AOF ${BENCH_APPENDFSYNC}) shared by all,
flushed before each run; one local HTTP agency sink; targets run as separate processes with LOG_LEVEL=warn and the rate limit off,
alternated over ${ROUNDS} rounds, all with the Node options of \`npm start\` (${startNodeOptions().join(' ') || 'none'}); Pintu compiled, as \`npm start\` runs it.
"Delivered/s" = complaints the sink received ÷ time from the first request to the last delivery.

| target | round | accepted/s | delivered/s | p50 ms | p99 ms | errors/non-2xx | server CPU µs/complaint |
|---|---|---|---|---|---|---|---|
${table}

**Whole service (best of each): ${wholeRatio.toFixed(2)} × the plain pipeline** — target ≥ 2: ${wholeRatio >= 2 ? 'met' : 'missed'}.
**Intake only: ${intakeRatio.toFixed(2)} × the ceiling** — target ≥ 0.8: ${intakeRatio >= 0.8 ? 'met' : 'missed'}.`);
console.log(`whole service ${wholeRatio.toFixed(2)}, intake ${intakeRatio.toFixed(2)}`);
