/**
 * Each complaint's record, one Redis hash per tracking number: its status (received → routed → delivered |
 * failed), where it went, and the complaint itself (delivery reads it from here; it is never shown to
 * citizens). Intake writes the record in the same MULTI as the batch job (queues/intake.ts); the delivery
 * worker moves it on with the scripts below. Status answers never carry the reporter's identity.
 */
import type { RedisClient as Redis } from './redis.js';
import type { Channel, Complaint } from './complaint.js';
import { pipelineTag } from '../queues/topology.js';

export const STATUSES = ['received', 'routed', 'delivered', 'failed'] as const;
export type Status = (typeof STATUSES)[number];

export interface StatusRecord {
  trackingId: string;
  complaintId: string;
  channel: Channel;
  status: Status;
  routeCode: string | null;
  routeName: string | null;
  receivedAt: string;
  routedAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
  failReason: string | null;
}

/**
 * A complaint the delivery worker is to deliver now, with the route its record points at. The complaint stays the
 * JSON intake wrote (`doc`): a delivery sends it as it is, and only an anonymous one is parsed (to withhold the identity).
 */
export interface Claimed { trackingId: string; complaintId: string; channel: Channel; receivedAt: string; /** null: not recorded, read the complaint */ anonymous: boolean | null; doc: string; routeCode: string }

/** The complaint a claim carries, parsed. */
export const claimedComplaint = (claimed: Claimed) => JSON.parse(claimed.doc) as Complaint;

export interface Delivered { trackingId: string; routeCode: string; routeName: string; deliveredAt: string }

/** The record's keys, under the pipeline's hash tag (see queues/topology.ts). */
export function recordKeys(prefix: string) {
  const base = `${pipelineTag(prefix)}:`;
  return {
    base,
    record: (trackingId: string) => `${base}complaint:${trackingId}`,
    /** Tracking numbers accepted and not yet delivered or dead-lettered, scored by when they were accepted. */
    undelivered: `${base}undelivered`,
  };
}

/** The fields intake writes, as HSET arguments (queues/intake.ts runs them inside its script). */
export function receivedFields(complaint: Complaint): string[] {
  return [
    'id', complaint.id, 'channel', complaint.channel, 'receivedAt', complaint.receivedAt, 'status', 'received',
    'route', complaint.region.code, 'routeName', complaint.region.name, 'anonymous', complaint.reporter.anonymous ? '1' : '0',
    'doc', JSON.stringify(complaint),
  ];
}

/** Status ranks: a stage never moves a record backwards (a re-run or replayed job can finish out of order). */
const RANK_LUA = `local rank = {received=0, routed=1, failed=2, delivered=3}`;

/** What a claim reads of a record, in this order (the script returns them flat, one run per complaint). */
const CLAIMED_FIELDS = ['status', 'doc', 'route', 'id', 'channel', 'receivedAt', 'anonymous'] as const;
const CLAIMED_LUA = `local fields = {${CLAIMED_FIELDS.map((f) => `'${f}'`).join(', ')}}`;

/** Records to deliver: received ones become routed; those already delivered or dead-lettered are skipped. */
const CLAIM = `${CLAIMED_LUA}
local out = {}
for i = 3, #ARGV do
  local key = ARGV[1] .. 'complaint:' .. ARGV[i]
  local h = redis.call('HMGET', key, unpack(fields))
  if h[1] == 'received' then redis.call('HSET', key, 'status', 'routed', 'routedAt', ARGV[2]) end
  if h[1] == 'received' or h[1] == 'routed' then
    out[#out + 1] = ARGV[i]
    for f = 2, #fields do out[#out + 1] = h[f] or '' end
  end
end
return out`;

/** One record, whatever its status but delivered (a replay delivers a dead letter again). */
const CLAIM_ONE = `${CLAIMED_LUA}
local h = redis.call('HMGET', KEYS[1], unpack(fields))
if not h[1] or h[1] == 'delivered' then return false end
if h[1] == 'received' then redis.call('HSET', KEYS[1], 'status', 'routed', 'routedAt', ARGV[1]) end
local out = {ARGV[2]}
for f = 2, #fields do out[#out + 1] = h[f] or '' end
return out`;

/** Deliveries, 4 arguments each (tracking number, route, route name, time); they leave the undelivered set. */
const DELIVERED = `${RANK_LUA}
local done = {}
for i = 2, #ARGV, 4 do
  local key = ARGV[1] .. 'complaint:' .. ARGV[i]
  local current = redis.call('HGET', key, 'status')
  if current and rank[current] and rank[current] < rank.delivered then
    redis.call('HSET', key, 'status', 'delivered', 'route', ARGV[i + 1], 'routeName', ARGV[i + 2], 'deliveredAt', ARGV[i + 3])
  end
  done[#done + 1] = ARGV[i]
end
redis.call('ZREM', KEYS[1], unpack(done))
return #done`;

const FAILED = `${RANK_LUA}
local current = redis.call('HGET', KEYS[1], 'status')
if current and rank[current] and rank[current] < rank.delivered then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'failedAt', ARGV[2], 'failReason', ARGV[3])
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1`;

type Scripted = Redis & {
  pintuClaim(key: string, ...args: string[]): Promise<string[]>;
  pintuClaimOne(key: string, now: string, trackingId: string): Promise<string[] | null>;
  pintuDelivered(key: string, ...args: string[]): Promise<number>;
  pintuFailed(record: string, undelivered: string, trackingId: string, at: string, reason: string): Promise<number>;
};

function claimedAt(flat: string[], i: number): Claimed {
  const [trackingId, doc, routeCode, complaintId, channel, receivedAt, anonymous] = flat.slice(i, i + CLAIMED_FIELDS.length) as string[];
  return { trackingId: trackingId!, doc: doc!, routeCode: routeCode!, complaintId: complaintId!, channel: channel as Channel, receivedAt: receivedAt!, anonymous: anonymous === '1' ? true : anonymous === '0' ? false : null };
}

const RECORD_FIELDS = ['id', 'channel', 'status', 'route', 'routeName', 'receivedAt', 'routedAt', 'deliveredAt', 'failedAt', 'failReason'] as const;

export class StatusStore {
  private readonly redis: Scripted;
  readonly keys: ReturnType<typeof recordKeys>;

  constructor(redis: Redis, private readonly prefix: string) {
    // defineCommand sends each script once and then calls it by SHA.
    if (!('pintuClaim' in redis)) {
      redis.defineCommand('pintuClaim', { numberOfKeys: 1, lua: CLAIM });
      redis.defineCommand('pintuClaimOne', { numberOfKeys: 1, lua: CLAIM_ONE });
      redis.defineCommand('pintuDelivered', { numberOfKeys: 1, lua: DELIVERED });
      redis.defineCommand('pintuFailed', { numberOfKeys: 2, lua: FAILED });
    }
    this.redis = redis as Scripted;
    this.keys = recordKeys(prefix);
  }

  /** The complaints of a batch that still need delivering (received ones are marked routed). */
  async claim(trackingIds: string[]): Promise<Claimed[]> {
    const flat = await this.redis.pintuClaim(this.keys.undelivered, this.keys.base, new Date().toISOString(), ...trackingIds);
    const claimed: Claimed[] = [];
    for (let i = 0; i < flat.length; i += CLAIMED_FIELDS.length) claimed.push(claimedAt(flat, i));
    return claimed;
  }

  /** One complaint to deliver now, or null when it is delivered already (or unknown). */
  async claimOne(trackingId: string): Promise<Claimed | null> {
    const found = await this.redis.pintuClaimOne(this.keys.record(trackingId), new Date().toISOString(), trackingId);
    return found ? claimedAt(found, 0) : null;
  }

  async delivered(deliveries: Delivered[]): Promise<void> {
    if (!deliveries.length) return;
    await this.redis.pintuDelivered(this.keys.undelivered, this.keys.base, ...deliveries.flatMap((d) => [d.trackingId, d.routeCode, d.routeName, d.deliveredAt]));
  }

  async failed(trackingId: string, failedAt: string, reason: string): Promise<void> {
    await this.redis.pintuFailed(this.keys.record(trackingId), this.keys.undelivered, trackingId, failedAt, reason);
  }

  /** The complaint itself (with the reporter's identity): for delivery and admins only. */
  async complaint(trackingId: string): Promise<Complaint | null> {
    const doc = await this.redis.hget(this.keys.record(trackingId), 'doc');
    return doc ? (JSON.parse(doc) as Complaint) : null;
  }

  async get(trackingId: string): Promise<StatusRecord | null> {
    const values = await this.redis.hmget(this.keys.record(trackingId), ...RECORD_FIELDS);
    if (!values[0]) return this.legacy(trackingId);
    const h = Object.fromEntries(RECORD_FIELDS.map((f, i) => [f, values[i] ?? null])) as Record<(typeof RECORD_FIELDS)[number], string | null>;
    return {
      trackingId, complaintId: h.id!, channel: h.channel as Channel, status: h.status as Status,
      routeCode: h.route, routeName: h.routeName, receivedAt: h.receivedAt!,
      routedAt: h.routedAt, deliveredAt: h.deliveredAt, failedAt: h.failedAt, failReason: h.failReason,
    };
  }

  /** Records written before the pipeline's keys moved under one hash tag (`<prefix>:status:<trackingId>`) still answer. */
  private async legacy(trackingId: string): Promise<StatusRecord | null> {
    const h = await this.redis.hgetall(`${this.prefix}:status:${trackingId}`);
    if (!h.complaintId || !h.status) return null;
    return {
      trackingId, complaintId: h.complaintId, channel: h.channel as Channel, status: h.status as Status,
      routeCode: h.routeCode ?? null, routeName: h.routeName ?? null, receivedAt: h.receivedAt!,
      routedAt: h.routedAt ?? null, deliveredAt: h.deliveredAt ?? null, failedAt: h.failedAt ?? null, failReason: h.failReason ?? null,
    };
  }
}
