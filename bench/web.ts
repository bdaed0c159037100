/**
 * `npm run bench:web`: web intake (`pintu serve`) against the ceiling (a bare route doing only queue.add),
 * side by side, same Redis, same load. Writes the web section of BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { freePort, startLocalRedis } from '../src/redis.js';
import { cpuSeconds, gatewayArgs, machine, startNodeOptions, writeSection } from './report.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = 2;
const root = new URL('..', import.meta.url).pathname;

async function startTarget(kind: 'pintu' | 'ceiling', redisUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const env = { ...process.env, REDIS_URL: redisUrl, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', PINTU_PREFIX: 'bench' };
  // Both with `npm start`'s Node options: the ratio measures Pintu's work, not a runtime setting.
  const args = kind === 'pintu' ? gatewayArgs('serve') : [...startNodeOptions(), '--import', 'tsx', join(root, 'bench/ceiling.ts')];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(kind === 'pintu' ? `${url}/healthz` : url, { method: kind === 'pintu' ? 'GET' : 'POST' })).status < 600) return { url, child }; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${kind} did not start`);
}

async function load(url: string) {
  let n = 0;
  const result = await autocannon({
    url: `${url}/api/v1/complaints`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: `PekalonganKota jalan rusak di depan pasar nomor ${n++}`, phone: '081234567890' }) }) }],
  });
  const ok = result['2xx'];
  return { rps: ok / DURATION_S, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-web-'));
const redis = await startLocalRedis(dir);
const admin = new Redis(redis.url);
const rows: Array<{ target: string; round: number; rps: number; p50: number; p99: number; errors: number; cpuPerRequest: number }> = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const kind of ['ceiling', 'pintu'] as const) {
      await admin.flushall();
      const target = await startTarget(kind, redis.url);
      await load(target.url); // warm-up run, discarded
      const cpuBefore = cpuSeconds(target.child.pid!);
      const r = await load(target.url);
      // The server's own CPU per answered request: steadier than req/s on a machine the load generator shares.
      const cpuPerRequest = ((cpuSeconds(target.child.pid!) - cpuBefore) / Math.max(1, r.rps * DURATION_S)) * 1e6;
      rows.push({ target: kind, round, ...r, cpuPerRequest });
      console.log(`${kind} round ${round}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, server CPU ${cpuPerRequest.toFixed(0)} µs/req`);
      target.child.kill('SIGTERM');
      await new Promise((ok) => target.child.once('exit', ok));
    }
  }
} finally {
  admin.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}

const best = (kind: string) => rows.filter((r) => r.target === kind).sort((a, b) => b.rps - a.rps)[0]!;
const pintu = best('pintu');
const ceiling = best('ceiling');
const ratio = pintu.rps / ceiling.rps;
const table = rows.map((r) => `| ${r.target === 'pintu' ? 'Pintu web intake (`pintu serve`)' : 'ceiling: bare route, queue.add only'} | ${r.round} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.cpuPerRequest.toFixed(0)} |`).join('\n');
writeSection('web', `## Web intake — \`npm run bench:web\`

Machine: ${machine()}. autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per run after a discarded warm-up run,
POST /api/v1/complaints with a JSON complaint (unique text, no Idempotency-Key); one local redis-server (AOF on) shared by both,
flushed before each run; targets run as separate processes with LOG_LEVEL=warn and the rate limit off; alternated over ${ROUNDS} rounds.
Both run with the Node options of \`npm start\` (${startNodeOptions().join(' ') || 'none'}); Pintu compiled, as \`npm start\` runs it.

| target | round | req/s (2xx) | p50 ms | p99 ms | errors/non-2xx | server CPU µs/request |
|---|---|---|---|---|---|---|
${table}

**Ratio (best of each): ${ratio.toFixed(2)} × the ceiling** — target ≥ 0.60: ${ratio >= 0.6 ? 'met' : 'missed'}.`);
console.log(`ratio ${ratio.toFixed(2)}`);
