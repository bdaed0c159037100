/** A real gateway for a test: real Redis (the run's redis-server), a real HTTP server, real workers. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Cluster } from 'ioredis';
import { inject } from 'vitest';
import { channels as allChannels } from '../../adapters/index.js';
import { buildApp } from '../../src/app.js';
import { startSessions, type ChannelAdapter } from '../../src/channel.js';
import type { Complaint } from '../../src/complaint.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createPintu, type Pintu } from '../../src/pintu.js';
import { Shutdown, stopGateway } from '../../src/shutdown.js';

export interface TestGateway {
  pintu: Pintu;
  app: FastifyInstance;
  url: string;
  prefix: string;
  dataDir: string;
  close(): Promise<void>;
}

let counter = 0;

export function uniquePrefix(label = 't'): string {
  return `test-${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Env overrides are strings, exactly as an operator would set them. */
export async function startGateway(env: Record<string, string> = {}, options: { workers?: boolean; channels?: ChannelAdapter[]; sessions?: boolean } = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pintu-test-data-'));
  const prefix = env.PINTU_PREFIX ?? uniquePrefix();
  const config = loadConfig({ LOG_LEVEL: 'silent', PINTU_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', ...env, PINTU_PREFIX: prefix, REDIS_URL: env.REDIS_URL ?? inject('redisUrl') });
  const logger = createLogger(config.LOG_LEVEL);
  const pintu = await createPintu(config, logger, config.REDIS_URL!);
  const channels = options.channels ?? allChannels;
  const app = await buildApp(pintu, channels);
  if (options.workers !== false) pintu.startWorkers();
  const sessions = options.sessions !== false ? await startSessions(channels, pintu) : [];
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    pintu, app, prefix, dataDir,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await stopGateway({ app, sessions, pintu }, new Shutdown(config.SHUTDOWN_TIMEOUT_MS, logger));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Poll until `check` returns a truthy value (tests assert outcomes, not timings). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Every complaint a gateway has kept (its records, under the pipeline's hash tag), in the order they were
 * accepted. All records share one slot, so on a Redis Cluster they sit on one master: scan each.
 */
export async function keptComplaints(pintu: Pintu): Promise<Complaint[]> {
  const { record } = pintu.status.keys;
  const nodes = pintu.redis instanceof Cluster ? pintu.redis.nodes('master') : [pintu.redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', record('*'), 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
  }
  const docs = await Promise.all(keys.map((key) => pintu.redis.hget(key, 'doc')));
  return docs.filter((d): d is string => !!d).map((d) => JSON.parse(d) as Complaint).sort((a, b) => (a.id < b.id ? -1 : 1));
}
