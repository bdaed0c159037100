import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { TRACKING_ID_PATTERN } from '../src/complaint.js';
import { encodeTracking, permute, TrackingNumbers } from '../src/tracking.js';
import { uniquePrefix } from './helpers/gateway.js';

const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

describe('tracking numbers', () => {
  it('permute is a bijection: distinct counters never share a number', () => {
    const keys = [0x12345678, 0x9abcdef0, 0x0f0f0f0f, 0xdeadbeef];
    const seen = new Set<number>();
    for (let c = 0; c < 200_000; c++) seen.add(permute(c, keys));
    expect(seen.size).toBe(200_000);
    for (const v of seen) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThan(2 ** 40); }
    // Neighbouring counters land far apart: numbers are not sequential.
    expect(Math.abs(permute(1, keys) - permute(2, keys))).toBeGreaterThan(1000);
  });

  it('encodes 40 bits as 8 unambiguous characters', () => {
    expect(encodeTracking(0)).toBe('00000000');
    expect(encodeTracking(2 ** 40 - 1)).toBe('ZZZZZZZZ');
    for (const v of [1, 12345, 2 ** 39 + 7]) expect(encodeTracking(v)).toMatch(TRACKING_ID_PATTERN);
  });

  it('hands out unique numbers across processes sharing one Redis, including across block refills', async () => {
    const prefix = uniquePrefix('tracking');
    const a = new TrackingNumbers(redis, prefix);
    const b = new TrackingNumbers(redis, prefix);
    const taken = await Promise.all(Array.from({ length: 3000 }, (_, i) => (i % 2 ? a : b).take()));
    expect(new Set(taken).size).toBe(3000);
    for (const id of taken) expect(id).toMatch(TRACKING_ID_PATTERN);
    // A restarted process continues after the blocks already given out.
    const c = new TrackingNumbers(redis, prefix);
    expect(taken).not.toContain(await c.take());
  });
});
