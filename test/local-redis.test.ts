/** The zero-configuration Redis child: a start after a SIGKILLed gateway must not run two servers on one AOF. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalRedis } from '../src/redis.js';

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
});
