/**
 * Per-complaint status for citizens and monitoring: received → routed → delivered | failed,
 * one Redis hash per tracking number. Never holds the reporter's identity.
 */
import type { RedisClient as Redis } from './redis.js';
import type { Channel, Complaint } from './complaint.js';

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

/** A record whose complaint never made it into the queue (intake failed after writing it) disappears after this. */
const UNCONFIRMED_TTL_SECONDS = 24 * 3600;

const RECEIVED = `
redis.call('HSET', KEYS[1], 'complaintId', ARGV[1], 'trackingId', ARGV[2], 'channel', ARGV[3], 'status', 'received', 'receivedAt', ARGV[4], 'routeCode', ARGV[6], 'routeName', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1`;

/** Later stages never move the status backwards (a replayed or retried job can finish out of order). */
const ADVANCE = `
local rank = {received=0, routed=1, failed=2, delivered=3}
local current = redis.call('HGET', KEYS[1], 'status')
redis.call('PERSIST', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if current and rank[current] and rank[current] > rank[ARGV[1]] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
return 1`;

type Scripted = Redis & {
  pintuReceived(key: string, ...args: Array<string | number>): Promise<number>;
  pintuAdvance(key: string, ...args: string[]): Promise<number>;
};

/** Finds a complaint that is queued but has no record yet (see Intake.accept), or null. */
export type PendingLookup = (trackingId: string) => Promise<Complaint | null>;

export class StatusStore {
  private readonly redis: Scripted;

  constructor(redis: Redis, private readonly prefix: string, private readonly pending?: PendingLookup) {
    // defineCommand sends each script once and then calls it by SHA.
    if (!('pintuReceived' in redis)) {
      redis.defineCommand('pintuReceived', { numberOfKeys: 1, lua: RECEIVED });
      redis.defineCommand('pintuAdvance', { numberOfKeys: 1, lua: ADVANCE });
    }
    this.redis = redis as Scripted;
  }

  private key(trackingId: string): string {
    return `${this.prefix}:status:${trackingId}`;
  }

  /**
   * The first record of a complaint, so its tracking number answers at once. It expires unless the router
   * confirms it; the route is the one resolved at intake until the router records where it actually went.
   */
  async received(complaint: Complaint): Promise<void> {
    await this.redis.pintuReceived(this.key(complaint.trackingId), complaint.id, complaint.trackingId, complaint.channel, complaint.receivedAt, UNCONFIRMED_TTL_SECONDS, complaint.region.code, complaint.region.name);
  }

  async release(trackingId: string): Promise<void> {
    await this.redis.del(this.key(trackingId));
  }

  /** Record a stage; the record becomes permanent. Fields of earlier stages are filled in if missing. */
  async advance(complaint: Complaint, status: Status, fields: Partial<Record<keyof StatusRecord, string>>): Promise<void> {
    const base = { complaintId: complaint.id, trackingId: complaint.trackingId, channel: complaint.channel, receivedAt: complaint.receivedAt };
    const args = Object.entries({ ...base, ...fields }).flat();
    await this.redis.pintuAdvance(this.key(complaint.trackingId), status, ...args);
  }

  async get(trackingId: string): Promise<StatusRecord | null> {
    const h = await this.redis.hgetall(this.key(trackingId));
    if (!h.complaintId || !h.status) {
      const complaint = await this.pending?.(trackingId);
      return complaint ? receivedRecord(complaint) : null;
    }
    return {
      trackingId,
      complaintId: h.complaintId,
      channel: h.channel as Channel,
      status: h.status as Status,
      routeCode: h.routeCode ?? null,
      routeName: h.routeName ?? null,
      receivedAt: h.receivedAt!,
      routedAt: h.routedAt ?? null,
      deliveredAt: h.deliveredAt ?? null,
      failedAt: h.failedAt ?? null,
      failReason: h.failReason ?? null,
    };
  }
}

function receivedRecord(complaint: Complaint): StatusRecord {
  return {
    trackingId: complaint.trackingId, complaintId: complaint.id, channel: complaint.channel, status: 'received',
    routeCode: complaint.region.code, routeName: complaint.region.name, receivedAt: complaint.receivedAt,
    routedAt: null, deliveredAt: null, failedAt: null, failReason: null,
  };
}
