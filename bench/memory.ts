/**
 * `npm run bench:memory`: the gateway's resident memory (`pintu all`, one process) sampled every second
 * through a 100,000-message SMS burst and then a soak at a steady rate (default 10 minutes), to show it
 * stays under 200 MB and flat. Writes the memory section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { singleMo } from '../adapters/sms/sim/messages.js';
import { gatewayArgs, machine, startSmsRig, writeSection } from './report.js';

const BURST = Number(process.env.BENCH_MEMORY_BURST ?? 100_000);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const SOAK_RATE = Number(process.env.BENCH_SOAK_RATE ?? 50);
const WINDOW = 100;
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-memory-'));

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const message = (i: number) => singleMo(`0813${String(10_000_000 + (i % 5_000_000))}`, '1708', `PekalonganKota lampu jalan mati, laporan uji memori nomor ${i}`);

const rig = await startSmsRig(dir);
const { sink, smsc, env } = rig;
const child = spawn(process.execPath, gatewayArgs('all'), { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
const samples: Array<{ t: number; phase: string; rss: number }> = [];
let phase = 'start';
const started = Date.now();
const sampler = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, phase, rss: rssMb(child.pid!) }), 1000);

try {
  while (smsc.bound.length === 0) await new Promise((r) => setTimeout(r, 100));
  // Bound and idle: the start-up figure (a compiled gateway binds within the first sampling second).
  await new Promise((r) => setTimeout(r, 2000));
  samples.push({ t: (Date.now() - started) / 1000, phase: 'start', rss: rssMb(child.pid!) });
  sink.received.length = 0;
  phase = 'burst';
  const burstStart = Date.now();
  let sent = 0;
  // Built lazily: a 100,000-element array of PDUs would measure the bench, not the gateway.
  await Promise.all(Array.from({ length: WINDOW }, async () => { while (sent < BURST) await smsc.deliver(message(sent++)); }));
  while (sink.received.length < BURST) await new Promise((r) => setTimeout(r, 200));
  const burstSeconds = (Date.now() - burstStart) / 1000;
  sink.received.length = 0;
  console.log(`burst: ${BURST} delivered in ${burstSeconds.toFixed(0)} s`);

  phase = 'soak';
  const soakStart = Date.now();
  let soakSent = 0;
  while (Date.now() - soakStart < SOAK_SECONDS * 1000) {
    const due = Math.floor(((Date.now() - soakStart) / 1000) * SOAK_RATE);
    while (soakSent < due) void smsc.deliver(message(BURST + soakSent++));
    await new Promise((r) => setTimeout(r, 100));
  }
  while (sink.received.length < soakSent) await new Promise((r) => setTimeout(r, 200));
  clearInterval(sampler);

  const of = (p: string) => samples.filter((s) => s.phase === p).map((s) => s.rss);
  const max = (xs: number[]) => Math.max(...xs);
  const soak = samples.filter((s) => s.phase === 'soak');
  const minute = (from: number) => soak.filter((s) => s.t >= from && s.t < from + 60).map((s) => s.rss);
  const firstMinute = minute(soak[0]!.t);
  const lastMinute = minute(soak.at(-1)!.t - 60);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const drift = avg(lastMinute) - avg(firstMinute);
  const peak = max(samples.map((s) => s.rss));
  const table = [
    `| after start-up | ${of('start').at(-1)?.toFixed(0)} |`,
    `| burst: peak | ${max(of('burst')).toFixed(0)} |`,
    `| soak: first minute (mean) | ${avg(firstMinute).toFixed(0)} |`,
    `| soak: last minute (mean) | ${avg(lastMinute).toFixed(0)} |`,
    `| soak: peak | ${max(of('soak')).toFixed(0)} |`,
  ].join('\n');
  const section = `## Memory — \`npm run bench:memory\`

Machine: ${machine()}. One \`pintu all\` process (SMPP session, intake, delivery worker, replies) with a local redis-server,
the SMSC simulator and an HTTP agency sink; RSS of the gateway process from /proc every second. A ${BURST.toLocaleString('en')}-message
MO burst (window ${WINDOW}; all delivered in ${burstSeconds.toFixed(0)} s), then a ${SOAK_SECONDS / 60}-minute soak at ${SOAK_RATE} SMS/s (${soakSent.toLocaleString('en')} messages).

| moment | RSS MB |
|---|---|
${table}

**Peak ${peak.toFixed(0)} MB** (target ≤ 200: ${peak <= 200 ? 'met' : 'missed'}); drift over the soak ${drift >= 0 ? '+' : ''}${drift.toFixed(1)} MB
(last minute against the first: ${drift <= 15 ? 'no growth' : 'growing'}; a fall is the burst's heap being returned).`;
  console.log(section);
  writeSection('memory', section);
} finally {
  clearInterval(sampler);
  child.kill('SIGTERM');
  await new Promise((ok) => child.once('exit', ok));
  await rig.close();
  rmSync(dir, { recursive: true, force: true });
}
