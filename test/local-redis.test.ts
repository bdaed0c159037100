/**
 * The zero-configuration Redis child: a start after a SIGKILLed gateway must not run two servers on one AOF, and it
 * fsyncs before it answers; a Redis that does not is named at start-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';
import { startLocalRedis, warnIfNotDurable } from '../src/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'pintu-local-redis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('local redis-server child', () => {
  it('stops an orphan left in the data dir, then starts with its data', async () => {
    const orphan = await startLocalRedis(dir);
    const first = new Redis(orphan.url);
    await first.set('kept', 'yes');
    first.disconnect();
    // The gateway that owned it dies without stopping it (as with kill -9): the child is left running.
    const next = await startLocalRedis(dir);
    try {
      expect(alive(orphan.child.pid!)).toBe(false);
      const second = new Redis(next.url);
      expect(await second.get('kept')).toBe('yes');
      second.disconnect();
    } finally {
      await next.stop();
    }
  });

  it('writes its AOF before it answers, and a gateway warns about a Redis that does not', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    for (const appendfsync of ['always', 'everysec'] as const) {
      const local = await startLocalRedis(join(dir, appendfsync), { appendfsync });
      const redis = new Redis(local.url);
      try {
        expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', appendfsync]);
        await warnIfNotDurable(redis, logger);
      } finally {
        redis.disconnect();
        await local.stop();
      }
    }
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; appendfsync?: string; msg: string }).filter((l) => l.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ appendfsync: 'everysec', msg: expect.stringMatching(/a Redis crash can lose complaints/) })]);
    // The default is the durable one.
    const local = await startLocalRedis(join(dir, 'default'));
    const redis = new Redis(local.url);
    expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    redis.disconnect();
    await local.stop();
  });
});
