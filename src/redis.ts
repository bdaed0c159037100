/** Redis connections, and the local redis-server child that makes `npm start` work with zero configuration. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * Workers block on Redis and must wait out an outage (maxRetriesPerRequest: null, as BullMQ requires).
 * Producers must fail fast instead, so a channel can refuse what it cannot keep (SMPP 0x64, HTTP 503).
 */
export function connectRedis(url: string, role: 'worker' | 'producer'): Redis {
  const options: RedisOptions = role === 'worker'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, enableAutoPipelining: true };
  return new Redis(url, { ...options, lazyConnect: false, retryStrategy: (times) => Math.min(times * 200, 2000) });
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

export interface LocalRedis { url: string; port: number; child: ChildProcess; stop(): Promise<void> }

/** Start `redis-server` from PATH on a free loopback port, AOF on, files in `dir`. */
export async function startLocalRedis(dir: string, logger?: Logger, port?: number): Promise<LocalRedis> {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error) {
    throw new Error('REDIS_URL is not set and no redis-server is on PATH: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379');
  }
  const dataDir = resolve(dir);
  mkdirSync(dataDir, { recursive: true });
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', [
    '--port', String(chosen), '--bind', '127.0.0.1', '--dir', dataDir,
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = `redis://127.0.0.1:${chosen}`;
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));

  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited at start: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`redis-server did not start on port ${chosen}: ${output.slice(-500)}`); }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  logger?.info({ url, dir: dataDir }, 'REDIS_URL not set: started a local redis-server (AOF on)');
  return {
    url,
    port: chosen,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
