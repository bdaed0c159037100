/** Benchmarks write their own section of BENCHMARKS.md, between markers, so each can be re-run alone. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Smsc } from '../adapters/sms/sim/smsc.js';
import { freePort, startLocalRedis, type LocalRedis } from '../src/redis.js';
import { startAgencySink, type AgencySink } from '../test/helpers/agency-sink.js';

const FILE = new URL('../BENCHMARKS.md', import.meta.url);
const HEADER = `# Pintu benchmarks

Every figure here was written by the command shown with it, on the machine described with it.
Ratios are measured side by side in one run. Targets come from the issues; a missed target says what limits it.
`;

/**
 * The benchmarks' Redis fsync policy, the same for every side of a comparison: `everysec` (the issues' setting) unless
 * BENCH_APPENDFSYNC=always (what the gateway's own local Redis uses; docs/faults.md says why).
 */
export const BENCH_APPENDFSYNC = process.env.BENCH_APPENDFSYNC === 'always' ? 'always' : 'everysec';

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export function writeSection(name: string, markdown: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  writeFileSync(FILE, re.test(current) ? current.replace(re, block) : `${current.trimEnd()}\n\n${block}\n`);
}

/**
 * The gateway as production runs it: compiled JavaScript (`npm run build`), built once per bench run,
 * with the Node options of `npm start` (read from package.json, so the two cannot drift apart),
 * plus `--cpu-prof` when BENCH_PROFILE is set.
 */
let built = false;
export function gatewayArgs(role: string): string[] {
  const root = new URL('..', import.meta.url).pathname;
  if (!built) {
    execFileSync(process.execPath, [`${root}scripts/build.mjs`], { stdio: 'inherit' });
    built = true;
  }
  return [...startNodeOptions(), ...extraNodeOptions(), ...profileArgs(), `${root}dist/src/cli.js`, role];
}

/** BENCH_NODE_OPTIONS: Node options added to the gateway's, to measure a V8 setting or attach a profiler. */
function extraNodeOptions(): string[] {
  return (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
}

/** The Node options `npm start` gives the gateway (package.json's "start" script). */
export function startNodeOptions(): string[] {
  const root = new URL('..', import.meta.url).pathname;
  const start = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
  const options = /\bnode ((?:--\S+ )*)dist\/src\/cli\.js/.exec(start);
  if (!options) throw new Error(`package.json "start" does not run node … dist/src/cli.js: ${start}`);
  return options[1]!.trim().split(' ').filter(Boolean);
}

/** `BENCH_PROFILE=DIR`: the gateway under test writes a V8 CPU profile (--cpu-prof) there when it exits. */
function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE;
  // BENCH_PERF=1: a symbol map for `perf record -p <pid>` (CPU samples, kernel included, unlike --cpu-prof's wall-clock ones).
  return [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...(process.env.BENCH_PERF === '1' ? ['--perf-basic-prof'] : [])];
}

/** Poll until `check` holds; throws naming `what` after `ms`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGTERM, and SIGKILL if it has not exited after 10 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  return new Promise((ok) => { child.once('exit', () => ok()); setTimeout(() => { child.kill('SIGKILL'); ok(); }, 10_000).unref(); });
}

export interface SmsRig { redis: LocalRedis; sink: AgencySink; smsc: Smsc; env: NodeJS.ProcessEnv; close(): Promise<void> }

/** What every SMS benchmark runs against: a local redis-server, an HTTP agency sink, the SMSC simulator. */
export async function startSmsRig(dir: string): Promise<SmsRig> {
  const redis = await startLocalRedis(join(dir, 'redis'), { appendfsync: BENCH_APPENDFSYNC });
  const sink = await startAgencySink();
  const smsc = await Smsc.start({ retryDelayMs: 500, respTimeoutMs: 30_000 });
  const env = {
    ...process.env, REDIS_URL: redis.url, PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', PINTU_PREFIX: 'bench', PINTU_DATA_DIR: join(dir, 'pintu'),
    NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: 'bench-national-secret-1234', SMPP_URL: smsc.url, SMS_FLOOD_PER_HOUR: '0',
  };
  return { redis, sink, smsc, env, async close() { await smsc.close(); await sink.close(); await redis.stop(); } };
}

/** User + system CPU seconds a process has used so far: a child's pid, or null for this process (Linux ticks are 1/100 s). */
export function cpuSeconds(pid: number | null): number {
  if (pid === null) { const { user, system } = process.cpuUsage(); return (user + system) / 1e6; }
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch { return NaN; }
}
