/** Group commit (src/batcher.ts): what arrives during a write goes together in the next one. */
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.js';

/** A writer whose writes finish when the test says so; it records each batch. */
function writer() {
  const batches: number[][] = [];
  const finish: Array<(fail?: Error) => void> = [];
  const write = (items: number[]) => new Promise<number[]>((ok, fail) => {
    batches.push(items);
    finish.push((err) => (err ? fail(err) : ok(items.map((n) => n * 10))));
  });
  return { batches, finish, write };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('Batcher', () => {
  it('writes a lone item at once, and the ones that came during that write together next', async () => {
    const w = writer();
    const batcher = new Batcher(w.write, { maxBatch: 10, maxInFlight: 1 });
    const first = batcher.submit(1);
    await turn();
    expect(w.batches).toEqual([[1]]);
    const rest = [2, 3, 4].map((n) => batcher.submit(n));
    await turn();
    expect(w.batches).toHaveLength(1);
    w.finish[0]!();
    expect(await first).toBe(10);
    await turn();
    await turn();
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
    w.finish[1]!();
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
  });

  it('puts what one turn of the event loop brings into one write, at most maxBatch, and keeps maxInFlight writes going', async () => {
    const w = writer();
    const batcher = new Batcher(w.write, { maxBatch: 3, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => batcher.submit(n));
    await turn();
    expect(w.batches).toEqual([[1, 2, 3], [4, 5, 6]]);
    w.finish[0]!();
    await turn();
    await turn();
    expect(w.batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    w.finish[1]!();
    w.finish[2]!();
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('fails the items of a failed write only', async () => {
    const w = writer();
    const batcher = new Batcher(w.write, { maxBatch: 2, maxInFlight: 2 });
    const [a, b, c] = [1, 2, 3].map((n) => batcher.submit(n));
    await turn();
    w.finish[0]!(new Error('redis went away'));
    w.finish[1]!();
    await expect(a).rejects.toThrow('redis went away');
    await expect(b).rejects.toThrow('redis went away');
    expect(await c).toBe(30);
  });
});
