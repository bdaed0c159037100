/** Shared by the admin tests: tokens, an authenticated client, and a gateway whose logs can be read. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { newAdminToken } from '../src/admin/tokens.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createPintu, type Pintu } from '../src/pintu.js';
import { inject } from 'vitest';
import { uniquePrefix } from './helpers/gateway.js';

export const ADMIN = newAdminToken('ayu', 'admin');
export const VIEWER = newAdminToken('vito', 'viewer');
export const ADMIN_ENV = { ADMIN_TOKENS: `${ADMIN.entry}, ${VIEWER.entry}` };

/** Calls /admin/api with a bearer token; a string body is sent as is. */
export function adminApi(baseUrl: string, token: string | null = ADMIN.token) {
  return (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => fetch(`${baseUrl}/admin/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

/** A second `pintu` core on the same Redis prefix, as another process would run it (no HTTP). */
export async function startPeer(prefix: string, env: Record<string, string> = {}): Promise<Pintu> {
  const config = loadConfig({ LOG_LEVEL: 'silent', PINTU_PREFIX: prefix, REDIS_URL: inject('redisUrl'), ...env });
  return createPintu(config, createLogger(config.LOG_LEVEL), config.REDIS_URL!);
}

/** An in-process gateway (HTTP + workers) whose every log line is kept in `logs`. */
export async function startLoggedGateway(env: Record<string, string>) {
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } });
  const config = loadConfig({ LOG_LEVEL: 'trace', PINTU_DATA_DIR: mkdtempSync(join(tmpdir(), 'pintu-admin-')), PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0', PINTU_PREFIX: uniquePrefix('admin-log'), REDIS_URL: inject('redisUrl'), ...env });
  const pintu = await createPintu(config, createLogger(config.LOG_LEVEL, sink), config.REDIS_URL!);
  const app = await buildApp(pintu, []);
  pintu.startWorkers();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { pintu, app, logs, url: `http://127.0.0.1:${port}`, async close() { await app.close(); await pintu.close(); } };
}
