/** The `pintu` command as an operator runs it: real child processes, real signals. */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { StatusStore } from '../src/status.js';
import { freePort } from '../src/redis.js';
import { createQueues } from '../queues/topology.js';
import { eventually, uniquePrefix } from './helpers/gateway.js';
import { json } from './helpers/http.js';
import { startAgencySink } from './helpers/agency-sink.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'pintu.js');
const children: ChildProcess[] = [];
const dirs: string[] = [];

function pintu(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = { text: '' };
  child.stdout!.on('data', (d: Buffer) => { output.text += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output.text += d.toString(); });
  // 'close', not 'exit': output arriving after the process ended (its last log lines) is read before the test asserts on it.
  const exit = new Promise<number | null>((ok) => child.once('close', (code) => ok(code)));
  return { child, output, exit };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pintu-cli-'));
  dirs.push(dir);
  return dir;
}

const listening = (port: number) => new Promise<boolean>((ok) => {
  const socket = connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); ok(true); });
  socket.once('error', () => ok(false));
});

/** `pintu all` delivering to an agency that answers after `delayMs`; resolves once one complaint is being delivered. */
async function deliveringToSlowAgency(label: string, delayMs: number, extraEnv: Record<string, string>) {
  const sink = await startAgencySink();
  sink.delayMs = delayMs;
  const port = await freePort();
  const env = {
    REDIS_URL: inject('redisUrl'), PINTU_PREFIX: uniquePrefix(label), PINTU_DATA_DIR: tempDir(), HOST: '127.0.0.1', PORT: String(port),
    NATIONAL_WEBHOOK_URL: sink.url, WEBHOOK_SECRET: `${label}-secret-1234567`, ...extraEnv,
  };
  const run = pintu(['all'], env);
  const base = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => (await fetch(`${base}/readyz`)).ok, 20_000, 200);
    const { trackingId } = await json(fetch(`${base}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Jalan di desa kami rusak parah sekali' }) })) as { trackingId: string };
    await eventually(() => sink.received.length === 1);
    return { sink, run, env, trackingId };
  } catch (err) {
    await sink.close();
    throw err;
  }
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('pintu CLI', () => {
  it('starts with zero configuration (own redis-server child), takes a complaint, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const run = pintu([], { PORT: String(port), HOST: '127.0.0.1', PINTU_DATA_DIR: dataDir });
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/readyz`)).ok, 20_000, 200);
    const startLine = run.output.text.split('\n').find((l) => l.includes('started a local redis-server'))!;
    const redisPort = Number(/127\.0\.0\.1:(\d+)/.exec(startLine)![1]);
    expect(await listening(redisPort)).toBe(true);

    const res = await fetch(`${base}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'PekalonganKota jalan rusak di depan pasar', phone: '081234567890' }) });
    const { trackingId } = await json(res);
    await eventually(async () => (await json(fetch(`${base}/api/v1/complaints/${trackingId}`))).status === 'delivered', 15_000, 100);
    expect(readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8')).toContain(trackingId);
    expect(existsSync(join(dataDir, 'redis'))).toBe(true);

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(await listening(redisPort)).toBe(false);
    expect(await listening(port)).toBe(false);
    // Logs are JSON and never carry the citizen's number.
    expect(run.output.text).not.toContain('81234567890');
    const lines = run.output.text.trim().split('\n');
    expect(lines.every((l) => { try { JSON.parse(l); return true; } catch { return false; } })).toBe(true);
  });

  it('runs from the compiled build, as `npm start` does', async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'ignore' });
    const dataDir = tempDir();
    const port = await freePort();
    const child = spawn(process.execPath, [join(root, 'dist/src/cli.js'), 'all'], { cwd: root, env: { PATH: process.env.PATH!, PORT: String(port), HOST: '127.0.0.1', PINTU_DATA_DIR: dataDir }, stdio: 'ignore' });
    children.push(child);
    const exit = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/readyz`)).ok, 20_000, 200);
    const { trackingId } = await json(fetch(`${base}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'SurabayaKota banjir di jalan utama' }) }));
    await eventually(async () => (await json(fetch(`${base}/api/v1/complaints/${trackingId}`))).status === 'delivered', 15_000, 100);
    expect((await fetch(`${base}/`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('runs serve and worker as separate processes against one Redis', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = uniquePrefix('roles');
    const dataDir = tempDir();
    const port = await freePort();
    const env = { REDIS_URL: redisUrl, PINTU_PREFIX: prefix, PINTU_DATA_DIR: dataDir, HOST: '127.0.0.1' };
    const serve = pintu(['serve'], { ...env, PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/readyz`)).ok, 20_000, 200);
    expect(await json(fetch(`${base}/readyz`))).toEqual({ status: 'ready', checks: { redis: true } });
    const { trackingId } = await json(fetch(`${base}/api/v1/complaints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'SurabayaKota banjir di jalan utama' }) }));
    await new Promise((r) => setTimeout(r, 500));
    expect((await json(fetch(`${base}/api/v1/complaints/${trackingId}`))).status).toBe('received');

    const worker = pintu(['worker'], env);
    await eventually(async () => (await json(fetch(`${base}/api/v1/complaints/${trackingId}`))).status === 'delivered', 20_000, 100);
    serve.child.kill('SIGTERM');
    worker.child.kill('SIGINT');
    expect(await serve.exit).toBe(0);
    expect(await worker.exit).toBe(0);
  });

  it('lets an in-flight delivery finish on SIGTERM before exiting', async () => {
    const { sink, run, env, trackingId } = await deliveringToSlowAgency('drain', 1500, {});
    try {
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
      expect(run.output.text).toContain('shutting down');
      // The agency answered after the signal; the worker waited for it and recorded the delivery.
      const redis = new Redis(env.REDIS_URL);
      expect((await new StatusStore(redis, env.PINTU_PREFIX).get(trackingId))?.status).toBe('delivered');
      redis.disconnect();
      expect(sink.received).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it('stops within SHUTDOWN_TIMEOUT_MS when a delivery outlasts it, names what it left, and keeps the job for a retry', async () => {
    const { sink, run, env, trackingId } = await deliveringToSlowAgency('overrun', 30_000, { DELIVERY_TIMEOUT_MS: '60000', SHUTDOWN_TIMEOUT_MS: '1000' });
    try {
      const signalled = Date.now();
      run.child.kill('SIGTERM');
      expect(await run.exit).toBe(0);
      // Well before the agency would answer (30 s) and before the last-resort exit (SHUTDOWN_TIMEOUT_MS + 15 s).
      expect(Date.now() - signalled).toBeLessThan(10_000);
      const logs = run.output.text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; step?: string });
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'shutdown: a step did not finish in time; going on without it', step: 'delivery worker (in-flight jobs)' }));
      // pino writes asynchronously and flushes at exit, so the last two lines can arrive in either order.
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'stopped' }));
      // Not delivered, not lost: the delivery job is still in Redis (active until its lock lapses, then retried).
      const redis = new Redis(env.REDIS_URL);
      expect((await new StatusStore(redis, env.PINTU_PREFIX).get(trackingId))?.status).toBe('routed');
      const queues = createQueues(redis, env.PINTU_PREFIX);
      expect(await queues.delivery.getJobCounts('active', 'waiting', 'delayed')).toEqual({ active: 1, waiting: 0, delayed: 0 });
      await queues.close();
      redis.disconnect();
    } finally {
      await sink.close();
    }
  });

  it('refuses a bad setting with one readable line naming it', async () => {
    const run = pintu([], { PORT: 'eighty', RATE_LIMIT_PER_MINUTE: '-1' });
    expect(await run.exit).toBe(1);
    const lines = run.output.text.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pintu: invalid configuration — PORT: .*"eighty".*RATE_LIMIT_PER_MINUTE/);
  });

  it('says how to install Redis when there is none and REDIS_URL is unset', async () => {
    const run = pintu([], { PATH: tempDir(), PINTU_DATA_DIR: tempDir() });
    expect(await run.exit).toBe(1);
    expect(run.output.text).toMatch(/no redis-server is on PATH: install it \(Debian\/Ubuntu: apt-get install -y redis-server/);
  });

  it('writes the JSON Schema and prints usage', () => {
    const out = spawnSync(process.execPath, [bin, 'help'], { encoding: 'utf8' });
    expect(out.stdout).toMatch(/usage: pintu \[all\|serve\|worker\]/);
    const bad = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
  });
});
