/**
 * Everything a fault scenario breaks, for real: its own redis-server (AOF on) that can be SIGKILLed and
 * started again on the same files, `pintu` child processes (bin/pintu.js, roles all/serve/worker), the
 * SMSC simulator, the fake X API and a counting agency. The scenario sends citizen messages with a
 * marker in their text, breaks something, lets the system settle, and counts at the agency.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startXSim, type XSim, type XSimOptions } from '../../adapters/twitter/sim/server.js';
import { singleMo } from '../../adapters/sms/sim/messages.js';
import { Smsc, type DeliveryResult } from '../../adapters/sms/sim/smsc.js';
import { newAdminToken } from '../../src/admin/tokens.js';
import { freePort, startLocalRedis, type LocalRedis } from '../../src/redis.js';
import { createQueues, type Queues } from '../../queues/topology.js';
import { recordKeys } from '../../src/status.js';
import { eventually } from '../helpers/gateway.js';
import { CountingSink, marker, type Tally } from './counting-sink.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'pintu.js');

/** How many SMS the bursts send (`npm run test:faults` default: the 20,000; CI sets fewer). */
export const SMS_COUNT = Number(process.env.FAULT_SMS_COUNT ?? 20_000);

export type Role = 'all' | 'serve' | 'worker';

export interface PintuProcess {
  name: string;
  role: Role;
  port: number | null;
  child: ChildProcess;
  logFile: string;
  /** SIGKILL: no shutdown hook runs, nothing is flushed or unbound. */
  kill9(): Promise<void>;
}

export interface FaultRedis { url: string; kill9(): Promise<void>; restart(): Promise<void>; stop(): Promise<void> }

/** A redis-server of the scenario's own, so it can be killed; restarted on the same port and AOF files. */
async function faultRedis(dir: string): Promise<FaultRedis> {
  let redis: LocalRedis = await startLocalRedis(dir);
  const { port, url } = redis;
  return {
    url,
    async kill9() {
      const exited = new Promise((ok) => redis.child.once('exit', ok));
      redis.child.kill('SIGKILL');
      await exited;
    },
    async restart() { redis = await startLocalRedis(dir, { port }); },
    stop: () => redis.stop(),
  };
}

export interface FaultRig {
  name: string;
  dir: string;
  prefix: string;
  redis: FaultRedis;
  sink: CountingSink;
  smsc: Smsc;
  x: XSim;
  /** A bearer token for the admin API of every process (ADMIN_TOKENS holds its hash). */
  adminToken: string;
  /** The test's own connection to the scenario's Redis (patient, like a worker's), and its view of the queues. */
  db: Redis;
  queues: Queues;
  processes: PintuProcess[];
  /** Processes that exited without being killed by the scenario (must stay empty). */
  unexpectedExits: string[];
  startedAt: number;
  pintu(role: Role, env?: Record<string, string>): Promise<PintuProcess>;
  /** Citizen SMS with markers `FT-<tag>-<n>`, one phone number each. */
  smsBurst(tag: string, count: number, window?: number): { markers: string[]; done: Promise<DeliveryResult[]> };
  /** X mentions of @lapor1708 with markers `FT-<tag>-<n>`. */
  mentions(tag: string, count: number): string[];
  /** Resolves once every delivery job is finished (stalled ones included) and every complaint delivered or dead-lettered. */
  settle(timeoutMs?: number): Promise<void>;
  /** Complaint records in Redis now (accepted complaints, delivered or not). */
  records(): Promise<number>;
  /** Count at the agency, print `lost=N duplicated=N`, and return the numbers. */
  report(sent: string[], extra?: Record<string, unknown>): Tally;
  close(): Promise<void>;
}

/** SMS answers so far that were 0 (acknowledged), counted incrementally. */
export function ackCounter(smsc: Smsc): () => number {
  let seen = 0;
  let acked = 0;
  return () => {
    for (; seen < smsc.answers.length; seen++) if (smsc.answers[seen] === 0) acked++;
    return acked;
  };
}

export async function startRig(name: string, options: { x?: XSimOptions } = {}): Promise<FaultRig> {
  const dir = mkdtempSync(join(tmpdir(), `pintu-fault-${name}-`));
  // A scenario that could not settle keeps its processes' logs for the error to point at.
  let keepLogs = false;
  const redis = await faultRedis(join(dir, 'redis'));
  const secret = 'fault-suite-national-secret';
  const sink = await CountingSink.start(secret);
  // An SMSC keeps a message until it is acknowledged: attempts never run out here.
  const smsc = await Smsc.start({ retryDelayMs: 200, respTimeoutMs: 10_000, maxAttempts: Number.MAX_SAFE_INTEGER });
  const x = await startXSim({ mentionsLimit: 1_000_000, ...options.x });
  const admin = newAdminToken('fault-suite', 'admin');
  const prefix = `fault-${name}`;
  const db = new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
  db.on('error', () => {});
  const queues = createQueues(db, prefix);
  // The scenario kills this Redis on purpose; its connection errors are expected, not news.
  for (const q of [queues.delivery, queues.deadLetters]) q.on('error', () => {});
  const processes: PintuProcess[] = [];
  const unexpectedExits: string[] = [];
  const killed = new Set<ChildProcess>();
  let phone = 0;

  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp',
    REDIS_URL: redis.url, PINTU_PREFIX: prefix, HOST: '127.0.0.1', LOG_LEVEL: 'info', RATE_LIMIT_PER_MINUTE: '0',
    NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: secret, ADMIN_TOKENS: admin.entry,
    DELIVERY_BACKOFF_MS: '200', SHUTDOWN_TIMEOUT_MS: '2000',
    SMPP_URL: smsc.url, SMPP_RECONNECT_MAX_SECONDS: '1', SMPP_ENQUIRE_LINK_SECONDS: '5', SMPP_ENQUIRE_LINK_TIMEOUT_SECONDS: '5',
    TWITTER_BEARER_TOKEN: 'fault-suite-bearer', TWITTER_API_BASE_URL: x.url, TWITTER_USER_ID: x.account.id,
    TWITTER_POLL_INTERVAL_MS: '500', TWITTER_POLLER_LOCK_MS: '3000',
  };

  const rig: FaultRig = {
    name, dir, prefix, redis, sink, smsc, x, db, queues, processes, unexpectedExits,
    adminToken: admin.token,
    startedAt: Date.now(),

    async pintu(role, env = {}) {
      const id = `${role}-${processes.length + 1}`;
      const port = role === 'worker' ? null : await freePort();
      const dataDir = join(dir, id);
      mkdirSync(dataDir, { recursive: true });
      const logFile = join(dir, `${id}.log`);
      const log = openSync(logFile, 'a');
      const child = spawn(process.execPath, [bin, role], {
        cwd: root, stdio: ['ignore', log, log],
        env: { ...baseEnv, PINTU_DATA_DIR: dataDir, PORT: String(port ?? 0), ...env },
      });
      closeSync(log);
      child.once('exit', (code, signal) => { if (!killed.has(child)) unexpectedExits.push(`${id} exited (${code ?? signal}); see ${logFile}`); });
      const proc: PintuProcess = {
        name: id, role, port, child, logFile,
        async kill9() {
          killed.add(child);
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((ok) => child.once('exit', ok));
          child.kill('SIGKILL');
          await exited;
        },
      };
      processes.push(proc);
      await eventually(() => {
        if (child.exitCode !== null) throw new Error(`${id} exited at start: ${readFileSync(logFile, 'utf8').slice(-800)}`);
        return readFileSync(logFile, 'utf8').includes(`"pintu ${role} started"`);
      }, 30_000, 100);
      return proc;
    },

    smsBurst(tag, count, window = 100) {
      const markers = Array.from({ length: count }, (_, i) => marker(tag, i));
      const pdus = markers.map((m) => singleMo(`0812${String(phone++).padStart(8, '0')}`, '1708', `PekalonganKota jalan rusak di depan pasar ${m}`));
      return { markers, done: smsc.burst(pdus, window) };
    },

    mentions(tag, count) {
      const markers = Array.from({ length: count }, (_, i) => marker(tag, i));
      for (const [i, m] of markers.entries()) x.addMention({ from: `warga${i % 50}`, name: `Warga ${i % 50}`, text: `PekalonganKota lampu jalan mati ${m}` });
      return markers;
    },

    async settle(timeoutMs = 300_000) {
      // Jobs still to run, and complaints accepted but neither delivered nor dead-lettered yet.
      const busy = async () => {
        const c = await queues.delivery.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        return Object.values(c).reduce((a, b) => a + b, 0) + (await db.zcard(recordKeys(prefix).undelivered));
      };
      // Idle twice in a row: a job moving between stages is never missed.
      await eventually(async () => {
        if ((await busy()) > 0) return false;
        await new Promise((r) => setTimeout(r, 500));
        return (await busy()) === 0;
      }, timeoutMs, 500).catch(async (err: Error) => {
        keepLogs = true;
        // Say what is still busy, so a failure (in CI too) tells where the pipeline stopped.
        const counts = await queues.delivery.getJobCounts();
        const undelivered = await db.zrange(recordKeys(prefix).undelivered, 0, 4, 'WITHSCORES');
        const stuck = await Promise.all((await queues.delivery.getJobs(['waiting', 'active', 'delayed', 'prioritized'], 0, 4)).map(async (j) => `${j.id}:${await j.getState()}:attempts=${j.attemptsMade}:${j.failedReason ?? ''}`));
        throw new Error(`${err.message}: delivery jobs ${JSON.stringify(counts)}, undelivered (first 5, with received-at) ${JSON.stringify(undelivered)}, jobs ${JSON.stringify(stuck)}, processes that died unasked ${JSON.stringify(unexpectedExits)}; logs in ${dir}`);
      });
    },

    async records() {
      let [cursor, n] = ['0', 0];
      do {
        const [next, keys] = await db.scan(cursor, 'MATCH', recordKeys(prefix).record('*'), 'COUNT', 1000);
        [cursor, n] = [next, n + keys.length];
      } while (cursor !== '0');
      return n;
    },

    report(sent, extra = {}) {
      const tally = sink.tally(sent);
      const seconds = ((Date.now() - rig.startedAt) / 1000).toFixed(1);
      const details = Object.entries({ sent: tally.sent, received: tally.received, unique: tally.unique, redelivered: tally.redelivered, ...extra, seconds }).map(([k, v]) => `${k}=${v}`).join(' ');
      console.log(`[faults] ${name}: lost=${tally.lost} duplicated=${tally.duplicated} (${details})`);
      if (tally.lost) console.log(`[faults] ${name}: missing ${sink.missing(sent).slice(0, 20).join(', ')}…`);
      return tally;
    },

    async close() {
      for (const p of processes) await p.kill9();
      await queues.close().catch(() => {});
      db.disconnect();
      await Promise.all([sink.close(), smsc.close(), x.close()]);
      await redis.stop();
      if (!process.env.FAULT_KEEP_LOGS && !keepLogs) rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
