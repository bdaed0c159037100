/**
 * Long SMS reassembly in Redis. Parts are kept per group — sender + destination + scheme/reference +
 * total, since a reference alone collides between citizens — in any order, duplicates ignored. A
 * group is finished once its complaint is queued; its parts stay a while as a "done" record so an
 * SMSC retransmitting an already-used part does not start a new, forever-partial group.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient } from '../../src/redis.js';
import { decodeText, type Concatenation, type DecodedText, type Dc0Reading } from './codec.js';

export interface StoredPart { seq: number; dataCoding: number; octets: Buffer }

export interface Group { key: string; groupId: string; from: string; to: string; total: number; parts: StoredPart[] }

export type AddOutcome =
  | { state: 'incomplete' }
  /** A retransmit of a part of a group that already became a complaint. */
  | { state: 'already-delivered' }
  | ({ state: 'complete' } & Group);

/** Returns the group's fields when every part is in, 'incomplete' otherwise. */
const ADD_PART = `
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then return {'already-delivered'} end
if redis.call('HSETNX', KEYS[1], '_id', ARGV[5]) == 1 then
  redis.call('HSET', KEYS[1], '_total', ARGV[3], '_from', ARGV[8], '_to', ARGV[9])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[6])
end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
if redis.call('HLEN', KEYS[1]) - 4 >= tonumber(ARGV[3]) then
  local all = redis.call('HGETALL', KEYS[1])
  table.insert(all, 1, 'complete')
  return all
end
return {'incomplete'}`;

/** The group's parts become its done record (kept `ARGV[2]` ms); it leaves the deadline set. */
const FINISH = `
if redis.call('HGET', KEYS[1], '_id') == ARGV[3] then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`;

/** Due groups, leased for `ARGV[2]` ms so a crashed sweeper's groups come back to another. */
const CLAIM_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return due`;

const field = (seq: number) => `p${seq}`;
const encodePart = (p: Omit<StoredPart, 'seq'>) => `${p.dataCoding}:${p.octets.toString('hex')}`;

function parseGroup(key: string, flat: string[]): Group {
  const parts: StoredPart[] = [];
  const meta: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (name.startsWith('_')) meta[name] = value;
    else {
      const [dc, hex] = value.split(':');
      parts.push({ seq: Number(name.slice(1)), dataCoding: Number(dc), octets: Buffer.from(hex ?? '', 'hex') });
    }
  }
  parts.sort((a, b) => a.seq - b.seq);
  return { key, groupId: meta._id ?? '', from: meta._from ?? '', to: meta._to ?? '', total: Number(meta._total), parts };
}

export class Reassembly {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  /** A stable, non-identifying name for a group (phone numbers stay out of key names). */
  static groupKey(phone: string, destination: string, c: Concatenation): string {
    return createHash('sha256').update(`${phone}|${destination}|${c.scheme}:${c.ref}|${c.total}`).digest('hex').slice(0, 32);
  }

  /**
   * A group's parts, its done record and the deadline set are used together by one script, so they share
   * a hash tag (one Redis Cluster slot for all reassembly: a few commands per long-SMS part, see docs/scaling.md).
   */
  private keys(key: string): [string, string, string] {
    const tag = `{${this.prefix}:sms}`;
    return [`${tag}:parts:${key}`, `${tag}:done:${key}`, `${tag}:deadlines`];
  }

  /** Resolves once the part is in Redis; rejects when Redis cannot keep it. */
  async add(key: string, sender: { from: string; to: string }, c: Concatenation, part: Omit<StoredPart, 'seq'>): Promise<AddOutcome> {
    const now = Date.now();
    // Parts outlive their deadline by a day, so a sweeper that was down still finds them.
    const result = (await this.redis.eval(ADD_PART, 3, ...this.keys(key), field(c.seq), encodePart(part), c.total, now + this.timeoutMs, randomUUID(), key, this.timeoutMs + 86_400_000, sender.from, sender.to)) as string[];
    const [state, ...flat] = result;
    if (state === 'complete') return { state, ...parseGroup(key, flat) };
    return { state: state as 'incomplete' | 'already-delivered' };
  }

  async finish(group: Pick<Group, 'key' | 'groupId'>): Promise<void> {
    await this.redis.eval(FINISH, 3, ...this.keys(group.key), group.key, this.timeoutMs, group.groupId);
  }

  /** Groups whose time is up, with the parts that came (leased for `leaseMs`). */
  async claimDue(leaseMs: number, limit = 100): Promise<Group[]> {
    const now = Date.now();
    const due = (await this.redis.eval(CLAIM_DUE, 1, this.keys('')[2], now, now + leaseMs, limit)) as string[];
    const groups: Group[] = [];
    for (const key of due) {
      const flat = await this.redis.hgetall(this.keys(key)[0]);
      const group = parseGroup(key, Object.entries(flat).flat());
      if (group.groupId) groups.push(group);
      else await this.redis.zrem(this.keys('')[2], key);
    }
    return groups;
  }
}

/**
 * The text of a group. Runs of consecutive parts with one data_coding are decoded together (a UCS-2
 * emoji may straddle two parts); a gap left by a part that never came is shown as " […] ".
 */
export function assembleText(group: Pick<Group, 'total' | 'parts'>, dc0: Dc0Reading): DecodedText & { missing: number[] } {
  const bySeq = new Map(group.parts.map((p) => [p.seq, p]));
  const missing: number[] = [];
  const pieces: DecodedText[] = [];
  let run: StoredPart[] = [];
  const flush = () => {
    if (run.length) pieces.push(decodeText(Buffer.concat(run.map((p) => p.octets)), run[0]!.dataCoding, dc0));
    run = [];
  };
  for (let seq = 1; seq <= group.total; seq++) {
    const part = bySeq.get(seq);
    if (!part) {
      flush();
      if (!missing.length || missing.at(-1) !== seq - 1) pieces.push({ text: ' […] ', encoding: 'gsm', flags: [] });
      missing.push(seq);
      continue;
    }
    if (run.length && run[0]!.dataCoding !== part.dataCoding) flush();
    run.push(part);
  }
  flush();
  const decoded = pieces.filter((p) => p.text !== ' […] ');
  return {
    text: pieces.map((p) => p.text).join(''),
    encoding: decoded[0]?.encoding ?? 'hex',
    flags: [...new Set(decoded.flatMap((p) => p.flags))],
    missing,
  };
}
