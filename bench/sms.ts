/**
 * `npm run bench:sms`: the whole SMS service, side by side. A 20,000-message MO burst from the SMSC simulator
 * (window 100) goes through Pintu — its ESME, Redis, delivery to a local HTTP agency sink — and every message is
 * answered with a reply SMS (submit_sm back to the simulator); the clock stops when every message was delivered
 * AND answered. Where Kannel is installed (Debian `kannel`: bearerbox + smsbox), the same burst goes through it:
 * an sms-service whose get-url reaches the same kind of sink, which answers with the reply text Kannel sends back
 * as the SMS (max-messages = 1). Pintu's reply rate limit is lifted for the run (the simulator takes any rate).
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
import { BENCH_APPENDFSYNC, cpuSeconds, gatewayArgs, machine, startSmsRig, stopChild, waitFor, writeSection } from './report.js';

const COUNT = Number(process.env.BENCH_MESSAGES ?? 20_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 100);
/** As `npm start` runs it: one `pintu all` process; BENCH_ROLES=split runs `pintu serve` + `pintu worker`. */
const SPLIT = process.env.BENCH_ROLES === 'split';
const root = new URL('..', import.meta.url).pathname;
const SIMULATOR = 'SMSC simulator + agency sink';
const dir = mkdtempSync(join(tmpdir(), 'pintu-bench-sms-'));

/** Distinct citizens, each one complaint (dedup and flood control do not thin the burst). */
function burst(): MoParams[] {
  return Array.from({ length: COUNT }, (_, i) => singleMo(`0812${String(10_000_000 + i)}`, '1708', `PekalonganKota jalan rusak di depan pasar, laporan uji beban nomor ${i}`));
}

interface Run { system: string; acked: number; ackP50: number; ackP99: number; ackSeconds: number; deliveredSeconds: number; endToEndSeconds: number; delivered: number; answered: number; retried: number; cpu: Array<{ name: string; seconds: number }> }

/** A process whose CPU time a run reports: a child's pid, or null for this process (the simulator and the sink). */
interface Measured { name: string; pid: number | null }

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** The reply each citizen gets: the same length as Pintu's acceptance reply, so both systems send the same SMS. */
const replyText = (query: URLSearchParams) =>
  `Aduan Anda diterima. No. lacak: ${(query.get('from') ?? '').slice(-8)}. Diteruskan ke Kota Pekalongan. Cek status: CEK ${(query.get('from') ?? '').slice(-8)}`;

async function measure(system: string, smsc: Smsc, sink: AgencySink, processes: Measured[], timeoutMs = 600_000): Promise<Run> {
  const cpuBefore = processes.map((p) => cpuSeconds(p.pid));
  const answeredBefore = smsc.mt.length;
  const started = performance.now();
  const results: DeliveryResult[] = await smsc.burst(burst(), WINDOW);
  const ackSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + timeoutMs;
  let deliveredSeconds = NaN;
  const answered = () => smsc.mt.length - answeredBefore;
  while ((sink.received.length < COUNT || answered() < COUNT) && Date.now() < deadline) {
    if (Number.isNaN(deliveredSeconds) && sink.received.length >= COUNT) deliveredSeconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 5));
  }
  const endToEndSeconds = (performance.now() - started) / 1000;
  if (Number.isNaN(deliveredSeconds)) deliveredSeconds = endToEndSeconds;
  const cpu = processes.map((p, i) => ({ name: p.name, seconds: cpuSeconds(p.pid) - cpuBefore[i]! }));
  const acks = results.filter((r) => r.ok).map((r) => r.ackMs).sort((a, b) => a - b);
  const run = { system, acked: acks.length, ackP50: percentile(acks, 50), ackP99: percentile(acks, 99), ackSeconds, deliveredSeconds, endToEndSeconds, delivered: sink.received.length, answered: answered(), retried: results.filter((r) => r.attempts.length > 1).length, cpu };
  console.log(`${system}: acked ${run.acked}/${COUNT} in ${ackSeconds.toFixed(2)} s (p50 ${run.ackP50.toFixed(2)} ms, p99 ${run.ackP99.toFixed(2)} ms), delivered ${run.delivered} in ${deliveredSeconds.toFixed(2)} s, delivered and answered ${run.answered} in ${endToEndSeconds.toFixed(2)} s → ${(Math.min(run.delivered, run.answered) / endToEndSeconds).toFixed(0)} msg/s`);
  return run;
}

/** The gateway's intake transactions so far (its /metrics): how many, and how many messages they wrote. */
async function intakeBatches(port: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { count: read('pintu_intake_batch_messages_count'), sum: read('pintu_intake_batch_messages_sum') };
}

async function benchPintu(): Promise<Run> {
  const rig = await startSmsRig(dir);
  const { sink, smsc } = rig;
  // The reply limit lifted for the run: the simulator takes submit_sm at any rate (Kannel's has no limit either).
  const env: NodeJS.ProcessEnv = { ...rig.env, SMS_REPLY_PER_SECOND: '100000' };
  // As deployed: intake (`serve`) and workers (`worker`) in their own processes, so acks never wait behind deliveries.
  const roles = SPLIT ? ['serve', 'worker'] : ['all'];
  const children = roles.map((role) => spawn(process.execPath, gatewayArgs(role), { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: root }));
  try {
    await waitFor(() => smsc.bound.length > 0, 'Pintu to bind');
    // Warm-up: a long message and a few singles, not counted.
    await smsc.deliverAll([...concatenatedMo('081299999999', '1708', `PekalonganKota ${'pemanasan '.repeat(40)}`, { scheme: 'udh8', ref: 1 }), singleMo('081299999998', '1708', 'PekalonganKota pemanasan')]);
    await waitFor(() => sink.received.length >= 2 && smsc.mt.length >= 2, 'warm-up deliveries and replies');
    sink.received.length = 0;
    const measured = [...children.map((c, i) => ({ name: `pintu ${roles[i]}`, pid: c.pid! })), { name: 'redis-server', pid: rig.redis.child.pid! }, { name: SIMULATOR, pid: null }];
    const batches = await intakeBatches(env.PORT!);
    const run = await measure(`Pintu (${roles.map((r) => `pintu ${r}`).join(' + ')}, SMPP transceiver)`, smsc, sink, measured);
    const after = await intakeBatches(env.PORT!);
    console.log(`Pintu intake: ${after.count - batches.count} transactions, ${((after.sum - batches.sum) / Math.max(1, after.count - batches.count)).toFixed(1)} messages each on average`);
    return run;
  } finally {
    await Promise.all(children.map(stopChild));
    await rig.close();
  }
}

/** Kannel 1.4.5 as the reference: bearerbox binds to the simulator; smsbox GETs every MO from the sink, whose answer is the reply SMS. */
async function benchKannel(): Promise<Run | null> {
  if (spawnSync('bearerbox', ['--version']).error) return null;
  const sink = await startAgencySink();
  sink.replyText = replyText;
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
max-messages = 1
get-url = "${sink.url}?from=%p&to=%P&text=%a"
`);
  const bearerbox = spawn('bearerbox', [conf], { stdio: 'ignore' });
  let smsbox: ChildProcess | null = null;
  try {
    await waitFor(() => smsc.bound.length > 0, 'Kannel to bind');
    // smsbox gives up at once when bearerbox is not listening yet; once bearerbox has bound, it is.
    smsbox = spawn('smsbox', [conf], { stdio: 'ignore' });
    // smsbox connects to bearerbox on its own schedule: warm up until a message comes through.
    for (let i = 0; sink.received.length === 0 || smsc.mt.length === 0; i++) {
      if (i === 30) throw new Error(`Kannel delivered nothing; see ${join(dir, 'bearerbox.log')}`);
      await smsc.deliver(singleMo('081299999998', '1708', `PekalonganKota pemanasan ${i}`));
      await new Promise((r) => setTimeout(r, 2000));
    }
    await new Promise((r) => setTimeout(r, 1000));
    sink.received.length = 0;
    return await measure('Kannel 1.4.5 (bearerbox + smsbox, sms-service get-url, reply = its body)', smsc, sink, [{ name: 'bearerbox', pid: bearerbox.pid! }, { name: 'smsbox', pid: smsbox.pid! }, { name: SIMULATOR, pid: null }]);
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
  const row = (r: Run) => `| ${r.system} | ${r.acked}/${COUNT} | ${r.ackP50.toFixed(2)} | ${r.ackP99.toFixed(2)} | ${(r.acked / r.ackSeconds).toFixed(0)} | ${r.delivered} | ${(r.delivered / r.deliveredSeconds).toFixed(0)} | ${r.answered} | ${(Math.min(r.delivered, r.answered) / r.endToEndSeconds).toFixed(0)} | ${r.retried} |`;
  const whole = (r: Run) => Math.min(r.delivered, r.answered) / r.endToEndSeconds;
  const deliveredOnly = (r: Run) => r.delivered / r.deliveredSeconds;
  const cpuRows = [pintu, kannel].filter((r): r is Run => r !== null)
    .flatMap((r) => r.cpu.map((c) => `| ${r.system.split(' (')[0]} | ${c.name} | ${c.seconds.toFixed(1)} | ${((c.seconds / Math.max(1, r.delivered)) * 1e6).toFixed(0)} |`)).join('\n');
  const verdict = kannel
    ? `**Whole service (delivered and answered): ${(whole(pintu) / whole(kannel)).toFixed(2)} × Kannel** (target ≥ 2.5: ${whole(pintu) >= 2.5 * whole(kannel) ? 'met' : 'missed'}); **ack p99: ${(pintu.ackP99 / kannel.ackP99).toFixed(2)} × Kannel's** (target ≤ 0.5: ${pintu.ackP99 <= 0.5 * kannel.ackP99 ? 'met' : 'missed'}); delivered only: ${(deliveredOnly(pintu) / deliveredOnly(kannel)).toFixed(2)} ×.`
    : 'Kannel is not installed here (`apt-get install -y kannel`), so there is no reference run.';
  const section = `## SMS (SMPP MO), the whole service — \`npm run bench:sms\`

Machine: ${machine()}. ${COUNT} distinct single-part MO (GSM 03.38) from the SMSC simulator over TCP, at most ${WINDOW} deliver_sm
unanswered; every message is delivered to a local HTTP agency sink **and** answered with a reply SMS (submit_sm back to the simulator).
"ack" is deliver_sm → deliver_sm_resp as the SMSC sees it; "delivered" is from the first deliver_sm to the last delivery at the sink;
"whole service" is until the last message was both delivered and answered. Pintu: \`${SPLIT ? 'pintu serve` + `pintu worker' : 'pintu all'}\` as child processes
(\`BENCH_ROLES=split\`: \`pintu serve\` + \`pintu worker\`), compiled, \`npm start\`'s Node options, one local redis-server (AOF ${BENCH_APPENDFSYNC}), defaults except
SMS_REPLY_PER_SECOND=100000 (the limit lifted), warm-up excluded. Kannel: bearerbox (file store) + smsbox, \`sms-service\` with
\`keyword = default\`, \`get-url\` to its own sink, whose text/plain answer Kannel sends back as the reply (\`max-messages = 1\`).

| system | acked | ack p50 ms | ack p99 ms | acks/s | delivered | delivered msg/s | answered | whole service msg/s | retransmitted |
|---|---|---|---|---|---|---|---|---|---|
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
