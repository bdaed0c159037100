/**
 * Does a redis-server answer writes it has not yet written? A local redis-server (AOF on, the given fsync policy) gets
 * a heavy write load on one connection while another counts INCRs it was answered; then it is SIGKILLed, started
 * again on its AOF, and the counter compared with the last answer. A counter below it means writes Redis
 * acknowledged were lost in a process crash — what happens to acknowledged complaints (docs/faults.md).
 *
 *   npx tsx scripts/redis-crash-check.ts [everysec|always] [runs=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startLocalRedis } from '../src/redis.js';

const appendfsync = process.argv[2] === 'always' ? 'always' : 'everysec';
const runs = Number(process.argv[3] ?? 10);
const big = 'x'.repeat(20_000);

async function once(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pintu-crash-check-'));
  try {
    let server = await startLocalRedis(dir, { appendfsync });
    const connect = () => new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => {});
    const loads = [connect(), connect(), connect()];
    const counter = connect();
    let stop = false;
    // ~1 MB per round trip on each: enough for a background fsync to be slow now and then.
    for (const load of loads) void (async () => { while (!stop) { const p = load.pipeline(); for (let i = 0; i < 50; i++) p.set(`big${i}`, big); await p.exec().catch(() => {}); } })();
    let answered = 0;
    void (async () => { while (!stop) { try { answered = await counter.incr('counter'); } catch { return; } } })();
    await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
    const atKill = answered;
    const exited = new Promise((ok) => server.child.once('exit', ok));
    server.child.kill('SIGKILL');
    stop = true;
    await exited;
    for (const c of [...loads, counter]) c.disconnect();
    server = await startLocalRedis(dir, { appendfsync, port: server.port });
    const check = new Redis(server.url);
    const kept = Number(await check.get('counter'));
    check.disconnect();
    await server.stop();
    return Math.max(0, atKill - kept);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let crashesLosing = 0;
for (let i = 1; i <= runs; i++) {
  const lost = await once();
  if (lost) crashesLosing++;
  console.log(`run ${i}: ${lost ? `LOST ${lost} acknowledged writes` : 'nothing acknowledged was lost'}`);
}
console.log(`appendfsync ${appendfsync}: ${crashesLosing} of ${runs} crashes lost acknowledged writes`);
