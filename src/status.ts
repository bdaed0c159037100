/**
 * Each complaint's record, one Redis hash per tracking number, and its timeline, one list: where the complaint is
 * (status, the route it is with, the delivery generation `hop`), what happened to it (delivered, the agency's
 * updates, re-routes, a dead letter), where to tell the citizen (`notify`), and the complaint itself (delivery
 * reads it from here; it is never shown to citizens). Intake writes the record in the same MULTI as the batch
 * job (queues/intake.ts); the scripts below move it on, each in one step with its timeline entry.
 * Status answers never carry the reporter's identity.
 */
import type { RedisClient as Redis } from './redis.js';
import type { Channel, Complaint } from './complaint.js';
import { STATUSES, type AgencyStatus, type Status } from './lifecycle.js';
import { pipelineTag } from '../queues/topology.js';
import { APPLY_OPS_LUA, opsArgs, packed, type RedisOp } from './redis-ops.js';
import { CLOCK_FIELDS, clockState, type ClockState, type Stage } from './clocks.js';

export { STATUSES, type Status };

/** Where replies about a complaint go: a channel's address for the citizen (see queues/replies.ts `Reply`). */
export interface ReplyAddress {
  channel: string;
  to: string;
  extras?: Record<string, string>;
  /** Everyone can read what is sent there (an X reply): a confidential complaint's details are never sent. */
  public?: boolean;
}

export interface AgencyRef { code: string; name: string }

/** One thing that happened to a complaint after it was received. */
export interface TimelineEntry {
  at: string;
  status: Status;
  /** The agency it was delivered to, or that sent the update. */
  agency?: AgencyRef;
  note?: string;
  /** Where a bukan_wewenang sent it. */
  to?: AgencyRef;
  updateId?: string;
  /** Why delivery failed for good (a dead letter). */
  reason?: string;
}

export interface StatusRecord {
  trackingId: string;
  complaintId: string;
  channel: Channel;
  status: Status;
  /** When the status last changed. */
  statusAt: string | null;
  routeCode: string | null;
  routeName: string | null;
  receivedAt: string;
  routedAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
  failReason: string | null;
  /** The agency's own ticket number, from its answer to the delivery: for admins only. */
  reference: string | null;
  /** Deliveries so far to a new agency (0 until a bukan_wewenang re-routes it). */
  hop: number;
  notify: ReplyAddress | null;
  confidential: boolean;
  /** The deadline clocks at the agency that has it (src/clocks.ts). */
  clock: ClockState;
  /** Its running stage's deadline has passed (counted in the region's overdue figure). */
  overdue: boolean;
  /** The stages already escalated to the agency above, with where they went. */
  escalations: Array<{ stage: Stage; to: AgencyRef; at: string }>;
}

/** Where a re-routed complaint came from, and why: sent to the next agency with it. */
export interface ReroutedFrom { from: AgencyRef; status: 'bukan_wewenang'; note?: string; at: string }

/**
 * A complaint the delivery worker is to deliver now, with the route its record points at. The complaint stays the
 * JSON intake wrote (`doc`): a delivery sends it as it is, and only an anonymous one is parsed (to withhold the identity).
 */
export interface Claimed {
  trackingId: string;
  complaintId: string;
  channel: Channel;
  receivedAt: string;
  /** null: not recorded, read the complaint. */
  anonymous: boolean | null;
  doc: string;
  routeCode: string;
  hop: number;
  reroutedFrom: ReroutedFrom | null;
}

/** The complaint a claim carries, parsed. */
export const claimedComplaint = (claimed: Claimed) => JSON.parse(claimed.doc) as Complaint;

export interface Delivered { trackingId: string; hop: number; routeCode: string; routeName: string; deliveredAt: string; reference: string | null; change: RecordChange }

/** The record's keys, under the pipeline's hash tag (see queues/topology.ts). */
export function recordKeys(prefix: string) {
  const base = `${pipelineTag(prefix)}:`;
  return {
    base,
    record: (trackingId: string) => `${base}complaint:${trackingId}`,
    timeline: (trackingId: string) => `${base}timeline:${trackingId}`,
    /** A complaint id's tracking number. */
    byId: (complaintId: string) => `${base}cid:${complaintId}`,
    /** Tracking numbers accepted and not yet delivered or dead-lettered, scored by when they were accepted. */
    undelivered: `${base}undelivered`,
    /** Tracking numbers whose clock runs, scored by the running stage's due time (src/clocks.ts). */
    deadlines: `${base}deadlines`,
    /** Tracking numbers past their running stage's deadline (escalated), scored by that deadline. */
    overdue: `${base}overdue`,
  };
}

/** The fields intake writes, as HSET arguments (queues/intake.ts runs them inside its script). */
export function receivedFields(complaint: Complaint, notify: ReplyAddress | null): string[] {
  return [
    'id', complaint.id, 'channel', complaint.channel, 'receivedAt', complaint.receivedAt, 'status', 'received', 'hop', '0',
    'route', complaint.region.code, 'routeName', complaint.region.name,
    'anonymous', complaint.reporter.anonymous ? '1' : '0', 'confidential', complaint.reporter.confidential ? '1' : '0',
    ...(notify ? ['notify', JSON.stringify(notify)] : []),
    'doc', JSON.stringify(complaint),
  ];
}

/**
 * A record change decided in JavaScript (src/clocks.ts, src/performance.ts), applied by the scripts below in the same
 * step as the move that causes it. Encoded after the script's own arguments: fields to set (count, pairs), fields to
 * remove (count, names), the deadline ('' takes the complaint out of the deadline set), whether the running clock
 * stage ended (its overdue count ends with it), then commands (src/redis-ops.ts).
 */
export interface RecordChange { set: Record<string, string>; unset: string[]; deadline: number | null; endsStage: boolean; ops: RedisOp[] }

export const NO_CHANGE: RecordChange = { set: {}, unset: [], deadline: null, endsStage: false, ops: [] };

function changeArgs(change: RecordChange): Array<string | number> {
  return [
    Object.keys(change.set).length, ...Object.entries(change.set).flat(), change.unset.length, ...change.unset,
    // Strings, not numbers: read the same from ARGV and from a packed argument.
    change.deadline === null ? '' : String(change.deadline), change.endsStage ? '1' : '0', ...opsArgs(change.ops),
  ];
}

/** `apply_change(args, base, key, tid, route, i, run)`: the change at args[i] for record `key`; returns the index after it. */
const APPLY_CHANGE_LUA = `${APPLY_OPS_LUA}
local function apply_change(args, base, key, tid, route, i, run)
  local nset = tonumber(args[i])
  if run and nset > 0 then redis.call('HSET', key, unpack(args, i + 1, i + 2 * nset)) end
  i = i + 1 + 2 * nset
  local nunset = tonumber(args[i])
  if run and nunset > 0 then redis.call('HDEL', key, unpack(args, i + 1, i + nunset)) end
  i = i + 1 + nunset
  if run then
    if args[i] ~= '' then redis.call('ZADD', base .. 'deadlines', args[i], tid) else redis.call('ZREM', base .. 'deadlines', tid) end
    if args[i + 1] == '1' and redis.call('HGET', key, 'overdue') == '1' then
      redis.call('HINCRBY', base .. 'perf:overdue', route, -1)
      redis.call('HDEL', key, 'overdue')
      redis.call('ZREM', base .. 'overdue', tid)
    end
  end
  return apply_ops(args, i + 2, run)
end`;

/** What a claim reads of a record, in this order (the script returns them flat, one run per complaint). */
const CLAIMED_FIELDS = ['status', 'doc', 'route', 'id', 'channel', 'receivedAt', 'anonymous', 'hop', 'reroutedFrom'] as const;
const CLAIMED_LUA = `local fields = {${CLAIMED_FIELDS.map((f) => `'${f}'`).join(', ')}}
local function claimed(out, tid, h)
  out[#out + 1] = tid
  for f = 2, #fields do out[#out + 1] = h[f] or '' end
end`;

/** Records to deliver: received ones become routed; those already delivered, answered or dead-lettered are skipped. */
const CLAIM = `${CLAIMED_LUA}
local out = {}
for i = 3, #ARGV do
  local key = ARGV[1] .. 'complaint:' .. ARGV[i]
  local h = redis.call('HMGET', key, unpack(fields))
  if h[1] == 'received' then redis.call('HSET', key, 'status', 'routed', 'statusAt', ARGV[2], 'routedAt', ARGV[2]) end
  if h[1] == 'received' or h[1] == 'routed' then claimed(out, ARGV[i], h) end
end
return out`;

/**
 * One record to deliver for delivery generation ARGV[3] (empty: the current one): not yet delivered, or a dead
 * letter being replayed; nothing when it moved on (delivered, answered, re-routed since).
 */
const CLAIM_ONE = `${CLAIMED_LUA}
local h = redis.call('HMGET', KEYS[1], unpack(fields))
if not h[1] or not (h[1] == 'received' or h[1] == 'routed' or h[1] == 'failed') then return false end
if ARGV[3] ~= '' and (h[8] or '0') ~= ARGV[3] then return false end
if h[1] == 'received' then redis.call('HSET', KEYS[1], 'status', 'routed', 'statusAt', ARGV[1], 'routedAt', ARGV[1]) end
local out = {}
claimed(out, ARGV[2], h)
return out`;

/**
 * Deliveries, one packed argument each: tracking number, hop, route, route name, time, reference, timeline entry,
 * then the change a delivery brings (its first-response clock starts, it is counted): recorded when the record is
 * still waiting for that delivery generation; they leave the undelivered set.
 */
const DELIVERED = `${APPLY_CHANGE_LUA}
local base, done = ARGV[1], {}
for k = 2, #ARGV do
  local a = cmsgpack.unpack(ARGV[k])
  local tid = a[1]
  local key = base .. 'complaint:' .. tid
  local h = redis.call('HMGET', key, 'status', 'hop')
  local waiting = (h[1] == 'received' or h[1] == 'routed' or h[1] == 'failed') and (h[2] or '0') == a[2]
  if waiting then
    redis.call('HSET', key, 'status', 'delivered', 'statusAt', a[5], 'route', a[3], 'routeName', a[4], 'deliveredAt', a[5])
    if a[6] ~= '' then redis.call('HSET', key, 'reference', a[6]) end
    redis.call('RPUSH', base .. 'timeline:' .. tid, a[7])
  end
  apply_change(a, base, key, tid, a[3], 8, waiting)
  done[#done + 1] = tid
end
redis.call('ZREM', KEYS[1], unpack(done))
return #done`;

/** A dead letter: the record says failed (unless it was delivered meanwhile) and leaves the undelivered set. */
const FAILED = `
local h = redis.call('HMGET', KEYS[1], 'status', 'hop')
if (h[1] == 'received' or h[1] == 'routed') and (h[2] or '0') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'statusAt', ARGV[3], 'failedAt', ARGV[3], 'failReason', ARGV[4])
  redis.call('RPUSH', KEYS[2], ARGV[5])
end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`;

/**
 * An agency's update, all or nothing: the update id not seen before, the complaint still with the route and in the
 * status the caller read (it decided the move, the clocks and the counts from them), the move allowed from there
 * (ARGV[4]: ",from,from,"). Writes the status, the timeline entry, the notification (a pending reply, queued by the
 * sweeper if this process dies), the clock change, and for bukan_wewenang the new route with the next delivery
 * generation, waiting in the undelivered set.
 */
const UPDATE = `${APPLY_CHANGE_LUA}
local record, timeline, undelivered, pending, due = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local done = redis.call('HGET', record, 'u:' .. ARGV[1])
if done then return {'repeat', done} end
local h = redis.call('HMGET', record, 'status', 'route', 'hop')
if not h[1] then return {'missing', ''} end
if h[2] ~= ARGV[2] or h[1] ~= ARGV[13] then return {'moved', h[2]} end
if not string.find(ARGV[4], ',' .. h[1] .. ',', 1, true) then return {'conflict', h[1]} end
redis.call('RPUSH', timeline, ARGV[5])
local status = ARGV[3]
apply_change(ARGV, ARGV[14], record, ARGV[12], h[2], 15, true)
if ARGV[7] ~= '' then
  local hop = tonumber(h[3] or '0') + 1
  redis.call('HSET', record, 'status', 'routed', 'statusAt', ARGV[6], 'route', ARGV[7], 'routeName', ARGV[8], 'hop', hop, 'reroutedFrom', ARGV[9], 'u:' .. ARGV[1], status)
  redis.call('HDEL', record, 'deliveredAt', 'reference')
  local t = redis.call('TIME')
  redis.call('ZADD', undelivered, tonumber(t[1]) * 1000, ARGV[12])
  status = 'routed'
else
  redis.call('HSET', record, 'status', status, 'statusAt', ARGV[6], 'u:' .. ARGV[1], status)
end
if ARGV[10] ~= '' then
  local t = redis.call('TIME')
  redis.call('HSET', pending, ARGV[10], ARGV[11])
  redis.call('ZADD', due, tonumber(t[1]) * 1000, ARGV[10])
end
return {'ok', status, tostring(tonumber(h[3] or '0') + (ARGV[7] ~= '' and 1 or 0))}`;

/**
 * The clock of ARGV[1] reached its deadline (ARGV[2]: now, ms): once per stage, mark it escalated and overdue (counted
 * for its region, listed in the overdue set). 'again' when this stage was marked before (the job that delivers the
 * escalation may not have been queued: it is queued again, under the same id).
 */
const ESCALATE = `
local key = KEYS[1]
local h = redis.call('HMGET', key, 'stage', 'due', 'escalated', 'route', 'hop', 'overdue')
if not h[1] or h[1] == '' then redis.call('ZREM', KEYS[2], ARGV[1]) return {'none'} end
if tonumber(h[2]) > tonumber(ARGV[2]) then return {'early'} end
local stage, escalated = h[1], h[3] or ''
local answer = {'new', stage, h[2], h[4], h[5] or '0'}
if string.find(',' .. escalated .. ',', ',' .. stage .. ',', 1, true) then
  answer[1] = 'again'
  return answer
end
redis.call('HSET', key, 'escalated', escalated == '' and stage or (escalated .. ',' .. stage))
if h[6] ~= '1' then
  redis.call('HSET', key, 'overdue', '1')
  redis.call('HINCRBY', KEYS[3], h[4], 1)
  redis.call('ZADD', KEYS[4], h[2], ARGV[1])
end
return answer`;

/** Out of the deadline set once its escalation is queued, unless the deadline moved meanwhile. */
const DUE_DONE = `if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) end return 0`;

export interface Escalation { trackingId: string; stage: Stage; due: number; routeCode: string; hop: number; again: boolean }

type Scripted = Redis & {
  pintuClaim(key: string, ...args: string[]): Promise<string[]>;
  pintuClaimOne(key: string, now: string, trackingId: string, hop: string): Promise<string[] | null>;
  pintuDelivered(key: string, base: string, ...deliveries: Buffer[]): Promise<number>;
  pintuFailed(record: string, timeline: string, undelivered: string, trackingId: string, hop: string, at: string, reason: string, entry: string): Promise<number>;
  pintuUpdate(...args: Array<string | number>): Promise<[string, string, string?]>;
  pintuEscalate(record: string, deadlines: string, overdueCounts: string, overdue: string, trackingId: string, now: number): Promise<string[]>;
  pintuDueDone(deadlines: string, trackingId: string, due: string): Promise<number>;
};

const RECORD_FIELDS = [
  'id', 'channel', 'status', 'statusAt', 'route', 'routeName', 'receivedAt', 'routedAt', 'deliveredAt', 'failedAt', 'failReason', 'reference',
  'hop', 'notify', 'confidential', 'overdue', 'escalations', ...CLOCK_FIELDS,
] as const;

/** An agency's update, as the agency API checked it. */
export interface UpdateRequest {
  trackingId: string;
  updateId: string;
  /** The route and status the caller found the complaint with (it checked the agency and decided the change from them). */
  expectedRoute: string;
  expectedStatus: Status;
  status: AgencyStatus;
  /** The statuses the complaint may be in for this move. */
  from: Status[];
  entry: TimelineEntry;
  reroute: { route: AgencyRef; from: ReroutedFrom } | null;
  notification: { id: string; reply: unknown } | null;
  replyKeys: { pending: string; due: string };
  change: RecordChange;
}

export type UpdateOutcome =
  | { outcome: 'ok' | 'repeat'; status: Status; hop: number }
  | { outcome: 'missing' }
  | { outcome: 'moved'; route: string }
  | { outcome: 'conflict'; status: Status };

export class StatusStore {
  private readonly redis: Scripted;
  readonly keys: ReturnType<typeof recordKeys>;

  constructor(redis: Redis, private readonly prefix: string) {
    // defineCommand sends each script once and then calls it by SHA.
    if (!('pintuClaim' in redis)) {
      redis.defineCommand('pintuClaim', { numberOfKeys: 1, lua: CLAIM });
      redis.defineCommand('pintuClaimOne', { numberOfKeys: 1, lua: CLAIM_ONE });
      redis.defineCommand('pintuDelivered', { numberOfKeys: 1, lua: DELIVERED });
      redis.defineCommand('pintuFailed', { numberOfKeys: 3, lua: FAILED });
      redis.defineCommand('pintuUpdate', { numberOfKeys: 5, lua: UPDATE });
      redis.defineCommand('pintuEscalate', { numberOfKeys: 4, lua: ESCALATE });
      redis.defineCommand('pintuDueDone', { numberOfKeys: 1, lua: DUE_DONE });
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

  /** One complaint to deliver now (for delivery generation `hop`, or the current one), or null when it moved on. */
  async claimOne(trackingId: string, hop?: number): Promise<Claimed | null> {
    const found = await this.redis.pintuClaimOne(this.keys.record(trackingId), new Date().toISOString(), trackingId, hop === undefined ? '' : String(hop));
    return found ? claimedAt(found, 0) : null;
  }

  async delivered(deliveries: Delivered[]): Promise<void> {
    if (!deliveries.length) return;
    await this.redis.pintuDelivered(this.keys.undelivered, this.keys.base, ...deliveries.map((d) => {
      const entry: TimelineEntry = { at: d.deliveredAt, status: 'delivered', agency: { code: d.routeCode, name: d.routeName } };
      return packed([d.trackingId, String(d.hop), d.routeCode, d.routeName, d.deliveredAt, d.reference ?? '', JSON.stringify(entry), ...changeArgs(d.change)]);
    }));
  }

  async failed(trackingId: string, hop: number, failedAt: string, reason: string): Promise<void> {
    const entry: TimelineEntry = { at: failedAt, status: 'failed', reason };
    await this.redis.pintuFailed(this.keys.record(trackingId), this.keys.timeline(trackingId), this.keys.undelivered, trackingId, String(hop), failedAt, reason, JSON.stringify(entry));
  }

  async update(req: UpdateRequest): Promise<UpdateOutcome> {
    const [outcome, value, hop] = await this.redis.pintuUpdate(
      this.keys.record(req.trackingId), this.keys.timeline(req.trackingId), this.keys.undelivered, req.replyKeys.pending, req.replyKeys.due,
      req.updateId, req.expectedRoute, req.status, `,${req.from.join(',')},`, JSON.stringify(req.entry), req.entry.at,
      req.reroute?.route.code ?? '', req.reroute?.route.name ?? '', req.reroute ? JSON.stringify(req.reroute.from) : '',
      req.notification?.id ?? '', req.notification ? JSON.stringify(req.notification.reply) : '', req.trackingId,
      req.expectedStatus, this.keys.base, ...changeArgs(req.change),
    );
    if (outcome === 'ok' || outcome === 'repeat') return { outcome, status: value as Status, hop: Number(hop ?? 0) };
    if (outcome === 'moved') return { outcome, route: value };
    if (outcome === 'conflict') return { outcome, status: value as Status };
    return { outcome: 'missing' };
  }

  async trackingIdOf(complaintId: string): Promise<string | null> {
    return this.redis.get(this.keys.byId(complaintId));
  }

  /** Tracking numbers whose running stage's deadline has come, at most `limit`. */
  async due(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.deadlines, '-inf', now, 'LIMIT', 0, limit);
  }

  /** Mark a complaint whose deadline came as escalated and overdue; null when its clock moved on. */
  async escalate(trackingId: string, now: number): Promise<Escalation | null> {
    const [outcome, stage, due, routeCode, hop] = await this.redis.pintuEscalate(this.keys.record(trackingId), this.keys.deadlines, `${this.keys.base}perf:overdue`, this.keys.overdue, trackingId, now);
    if (outcome !== 'new' && outcome !== 'again') return null;
    return { trackingId, stage: stage as Stage, due: Number(due), routeCode: routeCode!, hop: Number(hop), again: outcome === 'again' };
  }

  /** The escalation of this deadline is queued: the complaint leaves the deadline set (unless its deadline moved). */
  async escalationQueued(escalation: Escalation): Promise<void> {
    await this.redis.pintuDueDone(this.keys.deadlines, escalation.trackingId, String(escalation.due));
  }

  /** Where an escalation went, for admins. */
  async escalated(trackingId: string, entry: { stage: Stage; to: AgencyRef; at: string }): Promise<void> {
    const record = await this.get(trackingId);
    const escalations = [...(record?.escalations ?? []).filter((e) => e.stage !== entry.stage), entry];
    await this.redis.hset(this.keys.record(trackingId), 'escalations', JSON.stringify(escalations));
  }

  /** Complaints past a deadline now, per region code (the performance aggregates' live figure). */
  async overdueCounts(): Promise<Record<string, number>> {
    const counts = await this.redis.hgetall(`${this.keys.base}perf:overdue`);
    return Object.fromEntries(Object.entries(counts).map(([code, n]) => [code, Number(n)]));
  }

  /** The complaints past a deadline now, oldest deadline first. */
  async overdue(limit = 1000): Promise<string[]> {
    return this.redis.zrange(this.keys.overdue, 0, limit - 1);
  }

  /** The complaint itself (with the reporter's identity): for delivery and admins only. */
  async complaint(trackingId: string): Promise<Complaint | null> {
    const doc = await this.redis.hget(this.keys.record(trackingId), 'doc');
    return doc ? (JSON.parse(doc) as Complaint) : null;
  }

  async timeline(trackingId: string): Promise<TimelineEntry[]> {
    return (await this.redis.lrange(this.keys.timeline(trackingId), 0, -1)).map((e) => JSON.parse(e) as TimelineEntry);
  }

  async get(trackingId: string): Promise<StatusRecord | null> {
    const values = await this.redis.hmget(this.keys.record(trackingId), ...RECORD_FIELDS);
    if (!values[0]) return this.legacy(trackingId);
    const h = Object.fromEntries(RECORD_FIELDS.map((f, i) => [f, values[i] ?? null])) as Record<(typeof RECORD_FIELDS)[number], string | null>;
    return {
      trackingId, complaintId: h.id!, channel: h.channel as Channel, status: h.status as Status, statusAt: h.statusAt,
      routeCode: h.route, routeName: h.routeName, receivedAt: h.receivedAt!,
      routedAt: h.routedAt, deliveredAt: h.deliveredAt, failedAt: h.failedAt, failReason: h.failReason,
      reference: h.reference, hop: Number(h.hop ?? 0), notify: h.notify ? (JSON.parse(h.notify) as ReplyAddress) : null,
      confidential: h.confidential === '1', clock: clockState(h), overdue: h.overdue === '1',
      escalations: h.escalations ? (JSON.parse(h.escalations) as StatusRecord['escalations']) : [],
    };
  }

  /** Records written before the pipeline's keys moved under one hash tag (`<prefix>:status:<trackingId>`) still answer. */
  private async legacy(trackingId: string): Promise<StatusRecord | null> {
    const h = await this.redis.hgetall(`${this.prefix}:status:${trackingId}`);
    if (!h.complaintId || !h.status) return null;
    return {
      trackingId, complaintId: h.complaintId, channel: h.channel as Channel, status: h.status as Status, statusAt: null,
      routeCode: h.routeCode ?? null, routeName: h.routeName ?? null, receivedAt: h.receivedAt!,
      routedAt: h.routedAt ?? null, deliveredAt: h.deliveredAt ?? null, failedAt: h.failedAt ?? null, failReason: h.failReason ?? null,
      reference: null, hop: 0, notify: null, confidential: false, clock: clockState({}), overdue: false, escalations: [],
    };
  }
}

function claimedAt(flat: string[], i: number): Claimed {
  const [trackingId, doc, routeCode, complaintId, channel, receivedAt, anonymous, hop, reroutedFrom] = flat.slice(i, i + CLAIMED_FIELDS.length) as string[];
  return {
    trackingId: trackingId!, doc: doc!, routeCode: routeCode!, complaintId: complaintId!, channel: channel as Channel, receivedAt: receivedAt!,
    anonymous: anonymous === '1' ? true : anonymous === '0' ? false : null, hop: Number(hop || 0),
    reroutedFrom: reroutedFrom ? (JSON.parse(reroutedFrom) as ReroutedFrom) : null,
  };
}
