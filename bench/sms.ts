/**
 * `npm run bench:sms`: a 20,000-message MO burst from the SMSC simulator (window 100) through the
 * whole pipeline — Pintu's ESME, Redis, router and delivery workers — to a local HTTP agency sink.
 * Where Kannel is installed (Debian `kannel`: bearerbox + smsbox), the same burst goes through it
 * too, an sms-service posting each message to a sink, and the ratios are printed.
 * Prints a BENCHMARKS.md section; BENCH_WRITE=1 writes it there; BENCH_PROFILE=DIR writes Pintu's CPU profile there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatenatedMo, singleMo, type MoParams } from '../adapters/sms/sim/messages.js';
import { Smsc, type DeliveryResult } from '../adapters/sms/sim/smsc.js';
import { freePort } from '../src/redis.js';
import { startAgencySink, type AgencySink } from '../test/helpers/agency-sink.js';
import { cpuSeconds, gatewayArgs, machine, startSmsRig, stopChild, waitFor, writeSection } from './report.js';

const COUNT = Number(process.env.BENCH_MESSAGES ?? 20_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
/** BENCH_ROLES=all runs one `pintu all` process instead of `serve` + `worker`. */
const SPLIT = process.env.BENCH_ROLES !== 'all';
const root = new URL('..', import.meta.url).pathname;
const SIMULATOR = 'SMSC simulator + agency sink';
const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-sms-'));

/** Distinct citizens, each one complaint (dedup and flood control do not thin the burst). */
function burst(): MoParams[] {
  return Array.from({ length: COUNT }, (_, i) => singleMo(`0812${String(10_000_000 + i)}`, '1708', `PekalonganKota jalan rusak di depan pasar, laporan uji beban nomor ${i}`));
}

interface Run { system: string; acked: number; ackP50: number; ackP99: number; ackSeconds: number; endToEndSeconds: number; delivered: number; retried: number; cpu: Array<{ name: string; seconds: number }> }

/** A process whose CPU time a run reports: a child's pid, or null for this process (the simulator and the sink). */
interface Measured { name: string; pid: number | null }

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function measure(system: string, smsc: Smsc, sink: AgencySink, processes: Measured[], timeoutMs = 600_000): Promise<Run> {
  const cpuBefore = processes.map((p) => cpuSeconds(p.pid));
  const started = performance.now();
  const results: DeliveryResult[] = await smsc.burst(burst(), WINDOW);
  const ackSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + timeoutMs;
  while (sink.received.length < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const endToEndSeconds = (performance.now() - started) / 1000;
  const cpu = processes.map((p, i) => ({ name: p.name, seconds: cpuSeconds(p.pid) - cpuBefore[i]! }));
  const acks = results.filter((r) => r.ok).map((r) => r.ackMs).sort((a, b) => a - b);
  const run = { system, acked: acks.length, ackP50: percentile(acks, 50), ackP99: percentile(acks, 99), ackSeconds, endToEndSeconds, delivered: sink.received.length, retried: results.filter((r) => r.attempts.length > 1).length, cpu };
  console.log(`${system}: acked ${run.acked}/${COUNT} in ${ackSeconds.toFixed(2)} s (p50 ${run.ackP50.toFixed(2)} ms, p99 ${run.ackP99.toFixed(2)} ms), delivered ${run.delivered} in ${endToEndSeconds.toFixed(2)} s → ${(run.delivered / endToEndSeconds).toFixed(0)} msg/s`);
  return run;
}

async function benchPintu(): Promise<Run> {
  const rig = await startSmsRig(dir);
  const { sink, smsc, env } = rig;
  // As deployed: intake (`serve`) and workers (`worker`) in their own processes, so acks never wait behind deliveries.
  const roles = SPLIT ? ['serve', 'worker'] : ['all'];
  const children = roles.map((role) => spawn(process.execPath, gatewayArgs(role), { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root }));
  try {
    await waitFor(() => smsc.bound.length > 0, 'Pintu to bind');
    // Warm-up: a long message and a few singles, not counted.
    await smsc.deliverAll([...concatenatedMo('081299999999', '1708', `PekalonganKota ${'pemanasan '.repeat(40)}`, { scheme: 'udh8', ref: 1 }), singleMo('081299999998', '1708', 'PekalonganKota pemanasan')]);
    await waitFor(() => sink.received.length >= 2, 'warm-up deliveries');
    sink.received.length = 0;
    const measured = [...children.map((c, i) => ({ name: `pintu ${roles[i]}`, pid: c.pid! })), { name: 'redis-server', pid: rig.redis.child.pid! }, { name: SIMULATOR, pid: null }];
    return await measure(`Pintu (${roles.map((r) => `pintu ${r}`).join(' + ')}, SMPP transceiver)`, smsc, sink, measured);
  } finally {
    await Promise.all(children.map(stopChild));
    await rig.close();
  }
}

/** Kannel 1.4.5 as the reference: bearerbox binds to the simulator; smsbox posts every MO to the sink. */
async function benchKannel(): Promise<Run | null> {
  if (spawnSync('bearerbox', ['--version']).error) return null;
  const sink = await startAgencySink();
  const smsc = await Smsc.start({ systemId: 'kannel', password: 'secret', retryDelayMs: 500, respTimeoutMs: 30_000 });
  const [adminPort, smsboxPort, sendsmsPort] = [await freePort(), await freePort(), await freePort()];
  const conf = join(dir, 'kannel.conf');
  writeFileSync(conf, `group = core
admin-port = ${adminPort}
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = ${smsboxPort}
box-allow-ip = "127.0.0.1"
log-file = "${join(dir, 'bearerbox.log')}"
log-level = 4
store-type = file
store-location = "${join(dir, 'kannel.store')}"

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = ${smsc.port}
transceiver-mode = true
smsc-username = kannel
smsc-password = secret
system-type = ""
enquire-link-interval = 30
max-pending-submits = ${WINDOW}

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = ${sendsmsPort}
log-file = "${join(dir, 'smsbox.log')}"
log-level = 4

group = sms-service
keyword = default
catch-all = true
max-messages = 0
post-url = "${sink.url}?from=%p&to=%P"
`);
  const bearerbox = spawn('bearerbox', [conf], { stdio: 'ignore' });
  let smsbox: ChildProcess | null = null;
  try {
    await waitFor(() => smsc.bound.length > 0, 'Kannel to bind');
    // smsbox gives up at once when bearerbox is not listening yet; once bearerbox has bound, it is.
    smsbox = spawn('smsbox', [conf], { stdio: 'ignore' });
    // smsbox connects to bearerbox on its own schedule: warm up until a message comes through.
    for (let i = 0; sink.received.length === 0; i++) {
      if (i === 30) throw new Error(`Kannel delivered nothing; see ${join(dir, 'bearerbox.log')}`);
      await smsc.deliver(singleMo('081299999998', '1708', `PekalonganKota pemanasan ${i}`));
      await new Promise((r) => setTimeout(r, 2000));
    }
    sink.received.length = 0;
    return await measure('Kannel 1.4.5 (bearerbox + smsbox, sms-service post-url)', smsc, sink, [{ name: 'bearerbox', pid: bearerbox.pid! }, { name: 'smsbox', pid: smsbox.pid! }, { name: SIMULATOR, pid: null }]);
  } finally {
    if (smsbox) await stopChild(smsbox);
    await stopChild(bearerbox);
    await smsc.close();
    await sink.close();
  }
}

try {
  const pintu = await benchPintu();
  const kannel = await benchKannel();
  const row = (r: Run) => `| ${r.system} | ${r.acked}/${COUNT} | ${r.ackP50.toFixed(2)} | ${r.ackP99.toFixed(2)} | ${(r.acked / r.ackSeconds).toFixed(0)} | ${r.delivered} | ${(r.delivered / r.endToEndSeconds).toFixed(0)} | ${r.retried} |`;
  const e2e = (r: Run) => r.delivered / r.endToEndSeconds;
  const cpuRows = [pintu, kannel].filter((r): r is Run => r !== null)
    .flatMap((r) => r.cpu.map((c) => `| ${r.system.split(' (')[0]} | ${c.name} | ${c.seconds.toFixed(1)} | ${((c.seconds / Math.max(1, r.delivered)) * 1e6).toFixed(0)} |`)).join('\n');
  const verdict = kannel
    ? `**End to end: ${(e2e(pintu) / e2e(kannel)).toFixed(2)} × Kannel** (target ≥ 2.5: ${e2e(pintu) >= 2.5 * e2e(kannel) ? 'met' : 'missed'}); **ack p99: ${(pintu.ackP99 / kannel.ackP99).toFixed(2)} × Kannel's** (target ≤ 0.5: ${pintu.ackP99 <= 0.5 * kannel.ackP99 ? 'met' : 'missed'}).`
    : 'Kannel is not installed here (`apt-get install -y kannel`), so there is no reference run.';
  const section = `## SMS (SMPP MO) — \`npm run bench:sms\`

Machine: ${machine()}. ${COUNT} distinct single-part MO (GSM 03.38) from the SMSC simulator over TCP, at most ${WINDOW} deliver_sm
unanswered; "ack" is deliver_sm → deliver_sm_resp as the SMSC sees it; "end to end" is from the first deliver_sm to the last
complaint received by a local HTTP sink. Pintu: \`pintu serve\` + \`pintu worker\` as child processes (\`BENCH_ROLES=all\`: one \`pintu all\`), one local redis-server (AOF everysec), defaults
(WORKER_CONCURRENCY 16, SMPP_MAX_IN_FLIGHT 100), warm-up excluded. Kannel: bearerbox (file store) + smsbox, \`sms-service\` with
\`keyword = default\` and \`post-url\` to its own sink, no replies.

| system | acked | ack p50 ms | ack p99 ms | acks/s | delivered | end-to-end msg/s | retransmitted |
|---|---|---|---|---|---|---|---|
${row(pintu)}
${kannel ? row(kannel) : ''}

${verdict}

CPU used during each measured burst (\`/proc/<pid>/stat\`; the simulator and the sink share the benchmark's own process):

| system | process | CPU s | µs per message |
|---|---|---|---|
${cpuRows}`;
  console.log(`\n${section}`);
  if (process.env.BENCH_WRITE === '1') writeSection('sms', section);
  rmSync(dir, { recursive: true, force: true });
} catch (err) {
  console.error(`bench:sms failed: ${(err as Error).message} (work files kept in ${dir})`);
  process.exitCode = 1;
}
