/**
 * The regional performance table of issue 15 (monev), built from aggregates kept as events happen.
 *
 * Recording is "event → Redis commands" (`performanceOps`): a pure function the caller runs inside its own
 * MULTI or Lua script (src/redis-ops.ts), so an event is counted exactly once with the state change that causes it. Every key
 * starts with the caller's hash-tagged prefix (`{pintu:complaints}`), so on a Redis Cluster they share its slot.
 *
 * Layout, per region and local year (the region's own time zone decides the day of an event):
 * - `<prefix>:perf:<code>:<YYYY>` — one string of u32 counters written with BITFIELD INCRBY: a year head and
 *   twelve month heads (each a totals row, a first-response and a follow-up histogram), then 366 day rows. A row
 *   holds delivered, first response (count, within deadline), follow-up (same), resolved, re-routed and received
 *   per channel; the last u32 counts the year's events. An event increments its year's, its month's and its
 *   day's row (and histogram buckets) in ONE command. A whole year is one GETRANGE of its head, whole months
 *   of their heads, part of a month of its day rows; a period is read as the cheaper of its parts added up or
 *   the year minus the rest.
 * - `<prefix>:perf:<code>:<YYYY-MM>:log` — two bytes per response (day, stage, histogram bucket), APPENDed, so a
 *   period that starts or ends mid-month still gets its percentiles (the month heads cover whole months).
 * - `<prefix>:perf:overdue` — a hash of live overdue counts per region (HINCRBY ±1).
 * One event costs one command, a response two (BITFIELD + APPEND).
 *
 * The Kinerja chart's figures per day (`performanceDaily`) read the same keys: the period's day rows for the counts,
 * its month logs for each day's median first response.
 *
 * Percentiles come from log-spaced buckets (1 s to 10,000 h, 254 buckets): a reported median or p90 is within
 * PERCENTILE_RELATIVE_ERROR (±3.4 %) of the true nearest-rank value; below 1 s it is reported as 0.5 s, and
 * beyond 10,000 h as 10,000 h.
 */
import type { ChainableCommander } from 'ioredis';
import { z } from 'zod';
import { dayNumber, localDayNumber, zoneOf } from './calendar.js';
import type { Level } from './complaint.js';
import type { RedisClient } from './redis.js';
import type { RedisOp } from './redis-ops.js';
import { NATIONAL_CODE, type Route } from './route.js';

/** The performance table's settings, for the lead to merge into src/config.ts (`...PerformanceSettings.shape`). */
export const PerformanceSettings = z.object({
  PERFORMANCE_MIN_COMPLAINTS: z.coerce.number().int().min(0).default(10)
    .describe('Regions with fewer complaints received in the period are listed in the performance table but not ranked'),
});

/**
 * Channels with their own received counter, in slot order: append new channels at the end, never reorder or
 * remove (the slot is the position). Anything not listed counts as `other`.
 */
export const PERFORMANCE_CHANNELS = ['sms', 'twitter', 'web', 'whatsapp', 'open311'] as const;
const CHANNEL_SLOTS = 16;
const OTHER_CHANNEL = 'other';
if (PERFORMANCE_CHANNELS.length > CHANNEL_SLOTS - 1) throw new Error(`at most ${CHANNEL_SLOTS - 1} named channels fit the counter row`);

// ─── layout ────────────────────────────────────────────────────────────────────────────────────────────────

/** u32 slots of a counter row. */
const SLOT = { delivered: 0, firstResponse: 1, firstResponseWithin: 2, followUp: 3, followUpWithin: 4, resolved: 5, reRouted: 6, channels: 8 } as const;
const ROW = SLOT.channels + CHANNEL_SLOTS;
const BUCKETS = 256;
/** u32 index of bucket 0 of each stage's month histogram. */
const HISTOGRAM = { firstResponse: ROW, followUp: ROW + BUCKETS } as const;
/** A head: a totals row and the two histograms, for the whole year (head 0) or a month (heads 1–12). */
const HEAD = ROW + 2 * BUCKETS;
const YEAR_HEAD = 0;
/** u32 index of head `head`, and of the row of day `dayOfYear` (0–365). */
const headAt = (head: number) => head * HEAD;
const dayRow = (dayOfYear: number) => 13 * HEAD + dayOfYear * ROW;
/**
 * The last u32 counts the year's events. Every BITFIELD increments it, so the first one creates the string at its
 * full size: Redis sizes a new string exactly, but grows an existing one greedily (to twice what it needs).
 */
const EVENTS = dayRow(366);

const DAY_MS = 86_400_000;
const pad = (n: number) => String(n).padStart(2, '0');
const MIN_MS = 1000;
const MAX_MS = 10_000 * 3_600_000;
/** Buckets 1..254 are log-spaced over [1 s, 10,000 h); 0 is below, 255 at or above. */
const GAMMA = (MAX_MS / MIN_MS) ** (1 / (BUCKETS - 2));
const LOG_GAMMA = Math.log(GAMMA);
/** The most a reported median/p90 differs from the true one, relative to it (within 1 s … 10,000 h). */
export const PERCENTILE_RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);

export function bucketOf(ms: number): number {
  if (!(ms >= MIN_MS)) return 0;
  if (ms >= MAX_MS) return BUCKETS - 1;
  return Math.min(BUCKETS - 2, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GAMMA));
}

/** The value a bucket stands for: the point of least relative error to both of its ends. */
export function bucketValue(bucket: number): number {
  if (bucket === 0) return MIN_MS / 2;
  if (bucket === BUCKETS - 1) return MAX_MS;
  return MIN_MS * GAMMA ** (bucket - 1) * ((2 * GAMMA) / (GAMMA + 1));
}

// ─── events → commands ─────────────────────────────────────────────────────────────────────────────────────

export type ResponseStage = 'firstResponse' | 'followUp';

/** What happened, to which region (`code`: the route that has the complaint), and when. */
export type PerformanceEvent =
  | { type: 'received'; code: string; at: Date; channel: string }
  | { type: 'delivered' | 'resolved' | 'reRouted'; code: string; at: Date }
  /** `durationMs`: the stage's running time (calendar.ts `elapsed`: working time when its deadline is in wd). */
  | { type: ResponseStage; code: string; at: Date; durationMs: number; withinDeadline: boolean }
  /** The live overdue count: +1 when a complaint becomes overdue here, −1 when it is answered or leaves. */
  | { type: 'overdue'; code: string; delta: 1 | -1 };


export class PerformanceError extends Error {}

const HASH_TAG = /\{[^{}]+\}/;

/** The aggregates' keys under `prefix`, which must carry a hash tag (`{pintu:complaints}`). */
export function performanceKeys(prefix: string) {
  if (!HASH_TAG.test(prefix)) throw new PerformanceError(`the performance key prefix must contain a hash tag like {pintu:complaints} (got ${JSON.stringify(prefix)})`);
  return {
    year: (code: string, year: string) => `${prefix}:perf:${code}:${year}`,
    log: (code: string, month: string) => `${prefix}:perf:${code}:${month}:log`,
    overdue: `${prefix}:perf:overdue`,
  };
}

const channelSlot = (channel: string) => {
  const index = (PERFORMANCE_CHANNELS as readonly string[]).indexOf(channel);
  return SLOT.channels + (index === -1 ? CHANNEL_SLOTS - 1 : index);
};

/** Where an event lands: its local year, month (0–11), day of the month (1–31) and day of the year (0–365). */
function placeOf(epochDay: number) {
  const date = new Date(epochDay * DAY_MS);
  const year = date.getUTCFullYear();
  return { year: String(year), month: date.getUTCMonth(), day: date.getUTCDate(), dayOfYear: epochDay - Date.UTC(year, 0, 1) / DAY_MS };
}
type Place = ReturnType<typeof placeOf>;

const increment = (index: number) => ['INCRBY', 'u32', `#${index}`, 1];
/** BITFIELD INCRBY of `slot` in the event's year and month heads, and (for a counter) in its day row. */
const incrementHeads = (headSlot: number, place: Place) => [...increment(headAt(YEAR_HEAD) + headSlot), ...increment(headAt(1 + place.month) + headSlot)];
const incrementMonthAndDay = (slot: number, place: Place) => [...incrementHeads(slot, place), ...increment(dayRow(place.dayOfYear) + slot)];

/** Two ASCII bytes: day (5 bits), stage (1 bit) and the bucket's high bit; then the bucket's low 7 bits. */
function logRecord(day: number, stage: ResponseStage, bucket: number): string {
  return String.fromCharCode(day | (stage === 'followUp' ? 32 : 0) | ((bucket >> 7) << 6), bucket & 127);
}

/**
 * A counter's commands are the same for every event of its type (and channel) in one region on one local day: built
 * once. Every complaint counts one or two, and building them was a tenth of the memory an SMS allocated.
 */
const counterOps = new Map<string, readonly RedisOp[]>();
const COUNTER_OPS_KEPT = 4096;

/** The Redis commands that record `event`: run them in the same MULTI or script as the change that causes it. */
export function performanceOps(prefix: string, event: PerformanceEvent): readonly RedisOp[] {
  const keys = performanceKeys(prefix);
  if (event.type === 'overdue') return [{ command: 'HINCRBY', key: keys.overdue, args: [event.code, event.delta] }];
  if (!(event.at instanceof Date) || Number.isNaN(event.at.getTime())) throw new PerformanceError(`event ${event.type} for ${event.code}: "at" must be a valid Date`);
  const epochDay = localDayNumber(event.at, zoneOf(event.code));
  switch (event.type) {
    case 'received':
    case 'delivered':
    case 'resolved':
    case 'reRouted': {
      const slot = event.type === 'received' ? channelSlot(event.channel) : SLOT[event.type];
      const memo = `${prefix}|${event.code}|${slot}|${epochDay}`;
      let ops = counterOps.get(memo);
      if (!ops) {
        const place = placeOf(epochDay);
        ops = [{ command: 'BITFIELD', key: keys.year(event.code, place.year), args: [...incrementMonthAndDay(slot, place), ...increment(EVENTS)] }];
        if (counterOps.size >= COUNTER_OPS_KEPT) counterOps.clear();
        counterOps.set(memo, ops);
      }
      return ops;
    }
    case 'firstResponse':
    case 'followUp': {
      const place = placeOf(epochDay);
      const key = keys.year(event.code, place.year);
      const bucket = bucketOf(event.durationMs);
      const args = [
        ...incrementMonthAndDay(SLOT[event.type], place),
        ...(event.withinDeadline ? incrementMonthAndDay(SLOT[`${event.type}Within`], place) : []),
        ...incrementHeads(HISTOGRAM[event.type] + bucket, place),
        ...increment(EVENTS),
      ];
      const month = `${place.year}-${pad(place.month + 1)}`;
      return [{ command: 'BITFIELD', key, args }, { command: 'APPEND', key: keys.log(event.code, month), args: [logRecord(place.day, event.type, bucket)] }];
    }
  }
}

/** Queue `ops` on an ioredis pipeline or MULTI (`redis.multi()`); returns it for chaining. */
export function appendOps<T extends ChainableCommander>(pipeline: T, ops: readonly RedisOp[]): T {
  for (const op of ops) pipeline.call(op.command, op.key, ...op.args);
  return pipeline;
}


// ─── the table ─────────────────────────────────────────────────────────────────────────────────────────────

export interface StageFigures { count: number; withinDeadline: number; medianHours: number | null; p90Hours: number | null }

export interface RegionPerformance {
  code: string;
  name: string;
  level: Level;
  /** The province code a regency belongs to; a province's own code; null for the national desk. */
  province: string | null;
  received: number;
  receivedByChannel: Record<string, number>;
  delivered: number;
  firstResponse: StageFigures;
  followUp: StageFigures;
  resolved: number;
  reRouted: number;
  overdueNow: number;
  rankInProvince: number | null;
  rankNational: number | null;
}

export interface PerformanceTable { from: string; to: string; regions: RegionPerformance[] }

export interface PerformanceQuery {
  prefix: string;
  /** The route table (`registry.index().routes.values()`): names, levels, provinces; inactive routes are left out. */
  routes: Iterable<Route>;
  /** Local dates, inclusive, each region's own day. */
  from: string;
  to: string;
  province?: string;
  level?: Level;
  minComplaints: number;
}

/** The longest period one query may cover. */
const MAX_PERIOD_DAYS = 5 * 366;

interface Tally { counters: Float64Array; firstResponse: Float64Array; followUp: Float64Array }
const newTally = (): Tally => ({ counters: new Float64Array(ROW), firstResponse: new Float64Array(BUCKETS), followUp: new Float64Array(BUCKETS) });

/**
 * What a period reads of one region's year key: runs of heads (the year's, months'), and part months (day rows
 * and their log), each added or subtracted — "2025 minus 1–15 January" is cheaper than eleven months and a half.
 */
type Part =
  | { sign: 1 | -1; kind: 'heads'; year: string; first: number; last: number }
  | { sign: 1 | -1; kind: 'days'; year: string; month: string; first: number; last: number; firstDayOfYear: number; lastDayOfYear: number };

const monthLength = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** Roughly what a part costs to fetch, in u32s (a command's own cost counted as a few hundred). */
const cost = (parts: Part[]) => parts.reduce((sum, p) => sum + 300 + (p.kind === 'heads' ? (p.last - p.first + 1) * HEAD : (p.last - p.first + 1) * ROW + 50), 0);

/** Days `first`..`last` (day numbers) of one year as whole-month heads and part months, all with `sign`. */
function addedParts(year: number, first: number, last: number, sign: 1 | -1): Part[] {
  const parts: Part[] = [];
  const y = String(year);
  const january1 = Date.UTC(year, 0, 1) / DAY_MS;
  for (let month = 1; month <= 12; month++) {
    const start = Date.UTC(year, month - 1, 1) / DAY_MS;
    const end = start + monthLength(year, month) - 1;
    const a = Math.max(first, start);
    const b = Math.min(last, end);
    if (a > b) continue;
    const previous = parts.at(-1);
    if (a === start && b === end) {
      if (previous?.kind === 'heads' && previous.last === month - 1) previous.last = month;
      else parts.push({ sign, kind: 'heads', year: y, first: month, last: month });
    } else {
      parts.push({ sign, kind: 'days', year: y, month: `${y}-${pad(month)}`, first: a - start + 1, last: b - start + 1, firstDayOfYear: a - january1, lastDayOfYear: b - january1 });
    }
  }
  return parts;
}

/** The cheapest parts that add up to the period: per year, its days directly, or the year head minus the rest. */
function partsOf(from: string, to: string): Part[] {
  const start = dayNumber(from)!;
  const end = dayNumber(to)!;
  const parts: Part[] = [];
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    const january1 = Date.UTC(year, 0, 1) / DAY_MS;
    const december31 = Date.UTC(year + 1, 0, 1) / DAY_MS - 1;
    const a = Math.max(start, january1);
    const b = Math.min(end, december31);
    const direct = addedParts(year, a, b, 1);
    const complement: Part[] = [
      { sign: 1, kind: 'heads', year: String(year), first: YEAR_HEAD, last: YEAR_HEAD },
      ...addedParts(year, january1, a - 1, -1),
      ...addedParts(year, b + 1, december31, -1),
    ];
    parts.push(...(cost(complement) < cost(direct) ? complement : direct));
  }
  return parts;
}

function checkPeriod(from: string, to: string): void {
  const start = dayNumber(from);
  const end = dayNumber(to);
  if (start === null) throw new PerformanceError(`from: must be a date YYYY-MM-DD (got ${JSON.stringify(from)})`);
  if (end === null) throw new PerformanceError(`to: must be a date YYYY-MM-DD (got ${JSON.stringify(to)})`);
  if (end < start) throw new PerformanceError('to: must not be before from');
  if (end - start + 1 > MAX_PERIOD_DAYS) throw new PerformanceError(`to: a period may cover at most ${MAX_PERIOD_DAYS} days`);
}

/** Add (sign 1) or subtract (−1) big-endian u32s: day rows into the counters, heads into counters and histograms. */
function addU32s(bytes: Buffer, kind: 'heads' | 'days', sign: 1 | -1, tally: Tally): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length - (bytes.length % 4));
  const width = kind === 'heads' ? HEAD : ROW;
  for (let i = 0, n = view.byteLength / 4; i < n; i++) {
    const v = view.getUint32(i * 4);
    if (v === 0) continue;
    const slot = i % width;
    if (slot < ROW) tally.counters[slot]! += sign * v;
    else if (slot < HISTOGRAM.followUp) tally.firstResponse[slot - HISTOGRAM.firstResponse]! += sign * v;
    else tally.followUp[slot - HISTOGRAM.followUp]! += sign * v;
  }
}

/** Add or subtract the responses of days `first`..`last` of a month log to the histograms. */
function addLog(bytes: Buffer, first: number, last: number, sign: 1 | -1, tally: Tally): void {
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const high = bytes[i]!;
    const day = high & 31;
    if (day < first || day > last) continue;
    const bucket = ((high >> 6) << 7) | bytes[i + 1]!;
    (high & 32 ? tally.followUp : tally.firstResponse)[bucket]! += sign;
  }
}

/** Nearest-rank percentile of a histogram, in hours; null when it is empty. */
function percentileHours(histogram: Float64Array, count: number, p: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(p * count));
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += histogram[b]!;
    if (seen >= rank) return round(bucketValue(b) / 3_600_000);
  }
  return null;
}

/** Four significant digits: the estimate is only good to a few percent anyway. */
const round = (hours: number) => Number(hours.toPrecision(4));

function stage(tally: Tally, which: ResponseStage): StageFigures {
  const histogram = tally[which];
  const count = histogram.reduce((a, b) => a + b, 0);
  return {
    count: tally.counters[SLOT[which]]!,
    withinDeadline: tally.counters[SLOT[`${which}Within`]]!,
    medianHours: percentileHours(histogram, count, 0.5),
    p90Hours: percentileHours(histogram, count, 0.9),
  };
}

/** A counter row's received counts by channel, `other` last. */
function channelCounts(row: Float64Array): Record<string, number> {
  const counts: Record<string, number> = {};
  [...PERFORMANCE_CHANNELS, OTHER_CHANNEL].forEach((channel, i) => { counts[channel] = row[SLOT.channels + (channel === OTHER_CHANNEL ? CHANNEL_SLOTS - 1 : i)]!; });
  return counts;
}

const provinceOf = (route: Route) => (route.level === 'regency' ? route.parent : route.level === 'province' ? route.code : null);

/**
 * The performance table for a period: every active region (filtered by `province` — the province and its
 * regencies — and by `level`), with ranks computed over all active regions before filtering. A region is
 * ranked when it received at least `minComplaints` complaints in the period: regencies and provinces each
 * nationally among their own level (`rankNational`), regencies also within their province (`rankInProvince`);
 * the national desk is never ranked. Order: share of delivered complaints answered within the first-response
 * deadline (highest first), then median first-response time (fastest first); equal figures share a rank.
 */
export async function performanceTable(redis: RedisClient, query: PerformanceQuery): Promise<PerformanceTable> {
  const { from, to } = query;
  checkPeriod(from, to);
  if (!Number.isInteger(query.minComplaints) || query.minComplaints < 0) throw new PerformanceError('minComplaints: must be a whole number ≥ 0');
  const keys = performanceKeys(query.prefix);
  const routes = [...query.routes].filter((r) => r.active);
  const parts = partsOf(from, to);

  const pipeline = redis.pipeline();
  for (const route of routes) {
    for (const part of parts) {
      const key = keys.year(route.code, part.year);
      if (part.kind === 'heads') pipeline.getrangeBuffer(key, headAt(part.first) * 4, headAt(part.last + 1) * 4 - 1);
      else {
        pipeline.getrangeBuffer(key, dayRow(part.firstDayOfYear) * 4, dayRow(part.lastDayOfYear + 1) * 4 - 1);
        pipeline.getBuffer(keys.log(route.code, part.month));
      }
    }
  }
  pipeline.hgetall(keys.overdue);
  const replies = (await pipeline.exec())!;
  const failed = replies.find(([err]) => err);
  if (failed) throw failed[0]!;

  let next = 0;
  const reply = () => replies[next++]![1] as Buffer | null;
  const overdue = replies.at(-1)![1] as Record<string, string>;
  const all = routes.map((route): RegionPerformance => {
    const tally = newTally();
    for (const part of parts) {
      addU32s(reply()!, part.kind, part.sign, tally);
      if (part.kind === 'days') addLog(reply() ?? Buffer.alloc(0), part.first, part.last, part.sign, tally);
    }
    const receivedByChannel = channelCounts(tally.counters);
    return {
      code: route.code, name: route.name, level: route.level, province: provinceOf(route),
      received: Object.values(receivedByChannel).reduce((a, b) => a + b, 0),
      receivedByChannel,
      delivered: tally.counters[SLOT.delivered]!,
      firstResponse: stage(tally, 'firstResponse'),
      followUp: stage(tally, 'followUp'),
      resolved: tally.counters[SLOT.resolved]!,
      reRouted: tally.counters[SLOT.reRouted]!,
      overdueNow: Number(overdue[route.code] ?? 0),
      rankInProvince: null,
      rankNational: null,
    };
  });

  rank(all, query.minComplaints);
  const regions = all
    .filter((r) => selects(query, r))
    .sort((a, b) => (a.code === NATIONAL_CODE ? -1 : b.code === NATIONAL_CODE ? 1 : a.code.localeCompare(b.code)));
  return { from, to, regions };
}

/** Whether a filter (`province`: the province and its regencies; `level`) takes a region. */
const selects = (filter: { province?: string; level?: Level }, region: { level: Level; province: string | null }) =>
  (filter.level === undefined || region.level === filter.level) && (filter.province === undefined || region.province === filter.province);

const share = (r: RegionPerformance) => (r.delivered > 0 ? r.firstResponse.withinDeadline / r.delivered : 0);

/** Higher share first, then faster median (no median: last). */
const byPerformance = (a: RegionPerformance, b: RegionPerformance) =>
  share(b) - share(a) || (a.firstResponse.medianHours ?? Number.MAX_VALUE) - (b.firstResponse.medianHours ?? Number.MAX_VALUE);

/** Competition ranking ("1, 2, 2, 4") within each group. */
function rankWithin(groups: Map<string, RegionPerformance[]>, set: (r: RegionPerformance, rank: number) => void): void {
  for (const group of groups.values()) {
    group.sort((a, b) => byPerformance(a, b) || a.code.localeCompare(b.code));
    let rank = 0;
    group.forEach((r, i) => {
      if (i === 0 || byPerformance(group[i - 1]!, r) !== 0) rank = i + 1;
      set(r, rank);
    });
  }
}

function rank(regions: RegionPerformance[], minComplaints: number): void {
  const eligible = regions.filter((r) => r.level !== 'national' && r.received >= minComplaints);
  const byKey = (key: (r: RegionPerformance) => string | null) => {
    const groups = new Map<string, RegionPerformance[]>();
    for (const r of eligible) {
      const k = key(r);
      if (k !== null) groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    return groups;
  };
  rankWithin(byKey((r) => r.level), (r, n) => { r.rankNational = n; });
  rankWithin(byKey((r) => (r.level === 'regency' ? r.province : null)), (r, n) => { r.rankInProvince = n; });
}

// ─── per day ───────────────────────────────────────────────────────────────────────────────────────────────

export interface DayPerformance {
  /** A local date: each region's events counted on its own day, then added up. */
  date: string;
  received: number;
  receivedByChannel: Record<string, number>;
  delivered: number;
  /** The first responses recorded that day, and their median running time. */
  firstResponse: { count: number; medianHours: number | null };
}

export interface DailyPerformance { from: string; to: string; days: DayPerformance[] }

export type DailyQuery = Omit<PerformanceQuery, 'minComplaints'>;

/** The longest period the per-day figures cover: a year of day rows for every region is ~20 MB to read already. */
export const MAX_DAILY_DAYS = 366;

const dateOf = (dayNumber: number) => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);

/** The months (`YYYY-MM`) that days `start`..`end` touch. */
function monthsOf(start: number, end: number): string[] {
  const months: string[] = [];
  for (let day = start; day <= end;) {
    const date = new Date(day * DAY_MS);
    months.push(date.toISOString().slice(0, 7));
    day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY_MS;
  }
  return months;
}

/**
 * The period day by day, added up over the regions the filter selects (active routes; `province`, `level` as in
 * the table): received per channel and delivered from the day rows, and the median first-response time of the
 * responses recorded each day from the month logs (the day rows keep counts, not histograms).
 */
export async function performanceDaily(redis: RedisClient, query: DailyQuery): Promise<DailyPerformance> {
  const { from, to } = query;
  checkPeriod(from, to);
  const start = dayNumber(from)!;
  const end = dayNumber(to)!;
  if (end - start + 1 > MAX_DAILY_DAYS) throw new PerformanceError(`to: the per-day figures cover at most ${MAX_DAILY_DAYS} days`);
  const keys = performanceKeys(query.prefix);
  const routes = [...query.routes].filter((r) => r.active && selects(query, { level: r.level, province: provinceOf(r) }));
  const years: Array<{ year: string; first: number; last: number }> = [];
  for (let year = Number(from.slice(0, 4)); year <= Number(to.slice(0, 4)); year++) {
    const january1 = Date.UTC(year, 0, 1) / DAY_MS;
    years.push({ year: String(year), first: Math.max(start, january1) - january1, last: Math.min(end, Date.UTC(year + 1, 0, 1) / DAY_MS - 1) - january1 });
  }
  const months = monthsOf(start, end);

  const pipeline = redis.pipeline();
  for (const route of routes) {
    for (const y of years) pipeline.getrangeBuffer(keys.year(route.code, y.year), dayRow(y.first) * 4, dayRow(y.last + 1) * 4 - 1);
    for (const month of months) pipeline.getBuffer(keys.log(route.code, month));
  }
  const replies = (await pipeline.exec())!;
  const failed = replies.find(([err]) => err);
  if (failed) throw failed[0]!;

  const length = end - start + 1;
  const counters = Array.from({ length }, () => new Float64Array(ROW));
  const histograms = Array.from({ length }, () => new Float64Array(BUCKETS));
  let next = 0;
  for (let r = 0; r < routes.length; r++) {
    for (const y of years) {
      const bytes = (replies[next++]![1] as Buffer | null) ?? Buffer.alloc(0);
      const offset = Date.UTC(Number(y.year), 0, 1) / DAY_MS + y.first - start;
      for (let i = 0; i + 4 <= bytes.length; i += 4) {
        const v = bytes.readUInt32BE(i);
        if (v !== 0) counters[offset + Math.floor(i / 4 / ROW)]![(i / 4) % ROW]! += v;
      }
    }
    for (const month of months) {
      const bytes = (replies[next++]![1] as Buffer | null) ?? Buffer.alloc(0);
      const first = dayNumber(`${month}-01`)! - 1;
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        const high = bytes[i]!;
        const day = first + (high & 31);
        if (high & 32 || day < start || day > end) continue;
        histograms[day - start]![((high >> 6) << 7) | bytes[i + 1]!]! += 1;
      }
    }
  }

  const days = counters.map((row, i): DayPerformance => {
    const receivedByChannel = channelCounts(row);
    const histogram = histograms[i]!;
    return {
      date: dateOf(start + i),
      received: Object.values(receivedByChannel).reduce((a, b) => a + b, 0),
      receivedByChannel,
      delivered: row[SLOT.delivered]!,
      firstResponse: { count: row[SLOT.firstResponse]!, medianHours: percentileHours(histogram, histogram.reduce((a, b) => a + b, 0), 0.5) },
    };
  });
  return { from, to, days };
}

// ─── CSV ───────────────────────────────────────────────────────────────────────────────────────────────────

const CSV_CHANNELS = [...PERFORMANCE_CHANNELS, OTHER_CHANNEL];
const STAGE_COLUMNS = (name: string) => [`${name}_count`, `${name}_within_deadline`, `${name}_median_hours`, `${name}_p90_hours`];
export const PERFORMANCE_CSV_COLUMNS = [
  'code', 'name', 'level', 'province', 'received', ...CSV_CHANNELS.map((c) => `received_${c}`), 'delivered',
  ...STAGE_COLUMNS('first_response'), ...STAGE_COLUMNS('follow_up'), 'resolved', 're_routed', 'overdue_now', 'rank_in_province', 'rank_national',
];

/** A cell as RFC 4180 wants it; a leading = + - @ is defused so a spreadsheet never runs a region name. */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = typeof value === 'number' ? String(value) : /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const stageCells = (s: StageFigures) => [s.count, s.withinDeadline, s.medianHours, s.p90Hours];

/** The table as CSV: a header, then one row per region with the columns of PERFORMANCE_CSV_COLUMNS. */
export function performanceCsv(table: PerformanceTable): string {
  const rows = table.regions.map((r) => [
    r.code, r.name, r.level, r.province, r.received, ...CSV_CHANNELS.map((c) => r.receivedByChannel[c] ?? 0), r.delivered,
    ...stageCells(r.firstResponse), ...stageCells(r.followUp), r.resolved, r.reRouted, r.overdueNow, r.rankInProvince, r.rankNational,
  ]);
  return [PERFORMANCE_CSV_COLUMNS, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
