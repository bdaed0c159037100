/** Redis connections, and the local redis-server child that makes `npm start` work with zero configuration. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/** What code that only sends commands needs: one Redis (direct or found through Sentinel) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export const REDIS_URL_FORMS = 'redis://[:password@]host:6379 (rediss:// for TLS), redis+cluster://[:password@]h1:p1,h2:p2,... or redis+sentinel://[:password@]s1:p1,s2:p2/mastername[?sentinelPassword=...]';

interface HostPort { host: string; port: number }
interface Auth { username?: string; password?: string; tls: boolean }
export type RedisTarget =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; nodes: HostPort[] } & Auth)
  | ({ kind: 'sentinel'; sentinels: HostPort[]; name: string; sentinelPassword?: string } & Auth);

const MULTI_HOST = /^(rediss?)\+(cluster|sentinel):\/\/(?:([^@/]*)@)?([^/?#@]+)(?:\/([^/?#]*))?(?:\?sentinelPassword=([^&#]*))?$/;

function hostPorts(list: string, defaultPort: number): HostPort[] | null {
  const nodes = list.split(',').map((item) => /^([^:,\s]+|\[[0-9a-fA-F:.]+\])(?::(\d{1,5}))?$/.exec(item.trim()));
  if (nodes.some((m) => !m)) return null;
  return nodes.map((m) => ({ host: m![1]!.replace(/^\[|\]$/g, ''), port: m![2] ? Number(m![2]) : defaultPort }));
}

/** Read a REDIS_URL; null when it is none of the accepted forms (REDIS_URL_FORMS). */
export function parseRedisUrl(url: string): RedisTarget | null {
  const multi = MULTI_HOST.exec(url);
  if (!multi) {
    try {
      const u = new URL(url);
      return /^rediss?:$/.test(u.protocol) && u.hostname ? { kind: 'single', url } : null;
    } catch {
      return null;
    }
  }
  const [, scheme, mode, userInfo, hosts, name, sentinelPassword] = multi;
  const [user, password] = (userInfo ?? '').split(/:(.*)/s, 2).map((part) => (part ? decodeURIComponent(part) : undefined));
  const auth: Auth = { tls: scheme === 'rediss', ...(user && { username: user }), ...(password && { password }) };
  if (mode === 'cluster') {
    const nodes = hostPorts(hosts!, 6379);
    return nodes && !name && sentinelPassword === undefined ? { kind: 'cluster', nodes, ...auth } : null;
  }
  const sentinels = hostPorts(hosts!, 26379);
  if (!sentinels || !name) return null;
  return { kind: 'sentinel', sentinels, name: decodeURIComponent(name), ...auth, ...(sentinelPassword && { sentinelPassword: decodeURIComponent(sentinelPassword) }) };
}

/**
 * REDIS_CLUSTER_NODES (`h1:p1,h2:p2,...`) as a cluster URL; the password and TLS come from REDIS_URL when it is a
 * plain `redis://`/`rediss://` URL (its host is then not used). Null when the two cannot be combined.
 */
export function clusterUrlFromNodes(nodes: string, redisUrl: string | undefined): string | null {
  if (!hostPorts(nodes, 6379)) return null;
  const base = redisUrl === undefined ? { kind: 'single' as const, url: 'redis://localhost' } : parseRedisUrl(redisUrl);
  if (base?.kind !== 'single') return null;
  const u = new URL(base.url);
  const userInfo = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  return `${u.protocol === 'rediss:' ? 'rediss' : 'redis'}+cluster://${userInfo}${nodes.replace(/\s+/g, '')}`;
}

/**
 * Workers block on Redis and must wait out an outage (maxRetriesPerRequest: null, as BullMQ requires).
 * Producers must fail fast instead, so a channel can refuse what it cannot keep (SMPP 0x64, HTTP 503).
 * The same holds on a Redis Cluster, where ioredis takes the per-node part in `redisOptions`.
 */
export function connectRedis(url: string, role: 'worker' | 'producer'): RedisClient {
  const target = parseRedisUrl(url);
  if (!target) throw new Error(`REDIS_URL must be ${REDIS_URL_FORMS}`);
  const producer = role === 'producer';
  const perRequest: RedisOptions = producer ? { maxRetriesPerRequest: 1, connectTimeout: 2000 } : { maxRetriesPerRequest: null };
  const retryStrategy = (times: number) => Math.min(times * 200, 2000);
  const options: RedisOptions = { ...perRequest, enableReadyCheck: true, enableOfflineQueue: !producer, enableAutoPipelining: producer, lazyConnect: false, retryStrategy };
  if (target.kind === 'single') return new Redis(url, options);
  const { username, password, tls } = target;
  const auth = { ...(username && { username }), ...(password && { password }), ...(tls && { tls: {} }) };
  if (target.kind === 'sentinel') {
    const { sentinels, name, sentinelPassword } = target;
    return new Redis({ ...options, ...auth, sentinels, name, ...(sentinelPassword && { sentinelPassword }), ...(tls && { enableTLSForSentinelMode: true, sentinelTLS: {} }) });
  }
  const clusterOptions: ClusterOptions = {
    enableReadyCheck: true, enableOfflineQueue: !producer, enableAutoPipelining: producer, lazyConnect: false,
    clusterRetryStrategy: retryStrategy,
    redisOptions: { ...perRequest, ...auth },
  };
  return new Cluster(target.nodes, clusterOptions);
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

/**
 * A gateway killed with SIGKILL cannot stop its redis-server child. Two servers appending to one AOF would
 * corrupt it, so the next start stops the orphan (SIGTERM: it finishes its AOF) before starting its own.
 */
async function stopOrphan(pidFile: string, logger?: Logger): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const isRedis = (() => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('redis-server'); } catch { return false; } })();
  if (!pid || !isRedis) return;
  logger?.warn({ pid }, 'a redis-server from an earlier run still holds the data dir: stopping it first');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
}

export interface LocalRedisOptions {
  logger?: Logger;
  /** Restart on the same port (and files). */
  port?: number;
  /**
   * `always` (the default): Redis writes and fsyncs the AOF before it answers, so a Redis crash (SIGKILL, the OOM
   * killer) loses nothing a channel was told is kept. With `everysec` Redis may answer writes it has not yet written
   * when an fsync is slow, and a crash loses them (docs/faults.md). Intake's group commit keeps the fsyncs few.
   */
  appendfsync?: 'always' | 'everysec';
}

/** Start `redis-server` from PATH on a free loopback port, AOF on, files in `dir`. */
export async function startLocalRedis(dir: string, { logger, port, appendfsync = 'always' }: LocalRedisOptions = {}): Promise<LocalRedis> {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (found.error) {
    throw new Error('REDIS_URL is not set and no redis-server is on PATH: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379');
  }
  const dataDir = resolve(dir);
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, 'redis.pid');
  await stopOrphan(pidFile, logger);
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', [
    '--port', String(chosen), '--bind', '127.0.0.1', '--dir', dataDir, '--pidfile', pidFile,
    '--appendonly', 'yes', '--appendfsync', appendfsync, '--save', '',
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
  logger?.info({ url, dir: dataDir, appendfsync }, 'REDIS_URL not set: started a local redis-server (AOF on)');
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

/**
 * Says so when the Redis in use could lose complaints already acknowledged if it crashed: AOF off, or fsync less
 * often than every write. Managed Redis often refuses CONFIG; then there is nothing to check.
 */
export async function warnIfNotDurable(redis: RedisClient, logger: Logger): Promise<void> {
  const setting = async (name: string) => ((await redis.call('CONFIG', 'GET', name)) as string[])[1];
  let appendonly: string | undefined;
  let appendfsync: string | undefined;
  try {
    [appendonly, appendfsync] = [await setting('appendonly'), await setting('appendfsync')];
  } catch {
    return;
  }
  if (appendonly === 'yes' && appendfsync === 'always') return;
  logger.warn({ appendonly, appendfsync }, 'Redis may answer before a write is on disk: a Redis crash can lose complaints the channels were told are kept (set appendonly yes, appendfsync always)');
}
