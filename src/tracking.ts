/**
 * Tracking numbers, unique by construction: a counter in Redis handed to each process in blocks, each
 * value scrambled by a keyed 40-bit permutation, so numbers are neither sequential nor guessable and
 * a complaint costs no Redis round trip for its number.
 */
import { randomBytes } from 'node:crypto';
import { TRACKING_ALPHABET } from './complaint.js';
import type { RedisClient } from './redis.js';

const BLOCK = 1000;
const HALF_BITS = 20;
const HALF_MASK = (1 << HALF_BITS) - 1;
const ROUNDS = 4;

/** A keyed integer mix (murmur3's finaliser) as the Feistel round function. */
function round(value: number, key: number): number {
  let h = (value ^ key) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & HALF_MASK;
}

/** A bijection on 0 … 2^40−1: distinct counters always give distinct numbers. */
export function permute(counter: number, keys: readonly number[]): number {
  let left = Math.floor(counter / 2 ** HALF_BITS) & HALF_MASK;
  let right = counter & HALF_MASK;
  for (let i = 0; i < ROUNDS; i++) [left, right] = [right, left ^ round(right, keys[i]!)];
  return left * 2 ** HALF_BITS + right;
}

/** 40 bits → 8 Crockford base32 characters. */
export function encodeTracking(value: number): string {
  let out = '';
  for (let i = 0, v = value; i < 8; i++, v = Math.floor(v / 32)) out = TRACKING_ALPHABET[v % 32] + out;
  return out;
}

export class TrackingNumbers {
  private next = 0;
  private end = 0;
  private keys: number[] = [];
  private refill: Promise<void> | null = null;
  private readonly key: string;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.key = `{${prefix}:tracking}`;
  }

  async take(): Promise<string> {
    while (this.next >= this.end) await (this.refill ??= this.allocate().finally(() => { this.refill = null; }));
    return encodeTracking(permute(this.next++, this.keys));
  }

  /** One hash holds the permutation key (set once, by whoever comes first) and the shared counter. */
  private async allocate(): Promise<void> {
    const result = await this.redis.multi()
      .hsetnx(this.key, 'key', randomBytes(16).toString('hex'))
      .hincrby(this.key, 'counter', BLOCK)
      .hget(this.key, 'key')
      .exec();
    if (!result || result.some(([err]) => err)) throw new Error('could not allocate tracking numbers');
    const end = Number(result[1]![1]);
    if (end > 2 ** 40) throw new Error('tracking number space exhausted');
    const hex = String(result[2]![1]);
    this.keys = Array.from({ length: ROUNDS }, (_, i) => Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16));
    [this.next, this.end] = [end - BLOCK, end];
  }
}
