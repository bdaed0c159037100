import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { APPLY_OPS_LUA, opsArgs } from '../src/redis-ops.js';
import {
  appendOps, bucketOf, bucketValue, PERCENTILE_RELATIVE_ERROR, PERFORMANCE_CSV_COLUMNS, performanceCsv,
  performanceOps, performanceTable, PerformanceSettings, type PerformanceEvent, type PerformanceQuery, type RegionPerformance,
} from '../src/performance.js';
import { seedRoutes } from '../src/route.js';

const HOUR = 3_600_000;
const routes = seedRoutes();
let redis: Redis;
const prefixes: string[] = [];
let counter = 0;
/** Each test its own hash-tagged prefix: the aggregates start empty. */
const freshPrefix = () => { const p = `{test-perf-${process.pid}-${Date.now().toString(36)}-${counter++}}`; prefixes.push(p); return p; };

beforeAll(() => { redis = new Redis(inject('redisUrl')); });
afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

async function record(prefix: string, events: PerformanceEvent[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const event of events) appendOps(pipeline, performanceOps(prefix, event));
  const replies = await pipeline.exec();
  expect(replies!.filter(([err]) => err)).toEqual([]);
}

const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));
const at = (iso: string) => new Date(iso);
/** One complaint's life at `code`: received, delivered, and a first response after `hours` (if any). */
function complaints(code: string, n: number, options: { day?: string; channel?: (i: number) => string; responded?: number; hours?: (i: number) => number; deadlineHours?: number } = {}): PerformanceEvent[] {
  const when = at(`${options.day ?? '2026-03-10'}T10:00:00+07:00`);
  const responded = options.responded ?? n;
  const hours = options.hours ?? (() => 1);
  const deadline = options.deadlineHours ?? 72;
  return times(n, (i): PerformanceEvent[] => [
    { type: 'received', code, at: when, channel: options.channel?.(i) ?? 'sms' },
    { type: 'delivered', code, at: when },
    ...(i < responded ? [{ type: 'firstResponse' as const, code, at: when, durationMs: hours(i) * HOUR, withinDeadline: hours(i) <= deadline }] : []),
  ]).flat();
}

const MARCH = { from: '2026-03-01', to: '2026-03-31' };
const table = (prefix: string, query: Partial<PerformanceQuery> = {}) => performanceTable(redis, { prefix, routes, minComplaints: 10, ...MARCH, ...query });
const region = (regions: RegionPerformance[], code: string) => regions.find((r) => r.code === code)!;

describe('the performance table', () => {
  const prefix = freshPrefix();
  beforeAll(async () => {
    await record(prefix, [
      // Kota Pekalongan: 12 received over three channels, 10 answered in 1..10 h (8 within an 8 h deadline), and more.
      ...complaints('33.75', 12, { channel: (i) => ['sms', 'web', 'twitter'][i % 3]!, responded: 10, hours: (i) => i + 1, deadlineHours: 8 }),
      ...times(6, (i): PerformanceEvent => ({ type: 'followUp', code: '33.75', at: at('2026-03-12T10:00:00+07:00'), durationMs: (i + 1) * 10 * HOUR, withinDeadline: i < 4 })),
      ...times(4, (): PerformanceEvent => ({ type: 'resolved', code: '33.75', at: at('2026-03-13T10:00:00+07:00') })),
      { type: 'reRouted', code: '33.75', at: at('2026-03-11T10:00:00+07:00') },
      // Outside March in Pekalongan's own time (WIB), on both sides.
      ...complaints('33.75', 5, { day: '2026-02-28' }).map((e) => ({ ...e, at: at('2026-02-28T23:30:00+07:00') })),
      ...complaints('33.75', 3, { day: '2026-04-01' }).map((e) => ({ ...e, at: at('2026-04-01T00:10:00+07:00') })),
      // Jawa Tengah's other regencies: all answered in time but slowly; 9 of 10 in 2 h; 9 of 10 in 1 h; too few; never.
      ...complaints('33.74', 10, { channel: () => 'whatsapp', hours: () => 20 }),
      ...complaints('33.01', 10, { responded: 9, hours: () => 2 }),
      ...complaints('33.02', 10, { responded: 9, hours: () => 1 }),
      ...complaints('33.03', 9),
      ...complaints('33.04', 10, { responded: 0 }),
      // The provinces themselves and South Sulawesi's regencies (WITA), two of them tied.
      ...complaints('33', 10, { responded: 5, hours: () => 3 }),
      ...complaints('73', 10, { hours: () => 1 }),
      ...complaints('73.71', 11, { hours: () => 4 }),
      ...complaints('73.72', 11, { hours: () => 4 }),
      ...complaints('national', 20, { channel: () => 'open311' }),
      // 2026-02-28T16:30Z is still February in WIB but 1 March 01:30 in Jayapura (WIT).
      { type: 'received', code: '91.71', at: at('2026-02-28T16:30:00Z'), channel: 'web' },
      { type: 'received', code: '33.72', at: at('2026-02-28T16:30:00Z'), channel: 'web' },
      // Surabaya across New Year.
      ...complaints('35.78', 1).map((e) => ({ ...e, at: at('2025-12-31T23:00:00+07:00') })),
      ...complaints('35.78', 1).map((e) => ({ ...e, at: at('2026-01-01T00:30:00+07:00') })),
      // A channel the table has no column for yet.
      { type: 'received', code: '33.72', at: at('2026-03-05T10:00:00+07:00'), channel: 'telegram' },
      { type: 'overdue', code: '33.04', delta: 1 }, { type: 'overdue', code: '33.04', delta: 1 }, { type: 'overdue', code: '33.04', delta: 1 }, { type: 'overdue', code: '33.04', delta: -1 },
    ]);
  });

  it('lists every active region once, the national desk first', async () => {
    const { from, to, regions } = await table(prefix);
    expect({ from, to }).toEqual(MARCH);
    expect(regions).toHaveLength(routes.length);
    expect(regions[0]!.code).toBe('national');
    expect(new Set(regions.map((r) => r.code)).size).toBe(routes.length);
  });

  it('counts each figure of a region exactly', async () => {
    const { regions } = await table(prefix);
    expect(region(regions, '33.75')).toEqual({
      code: '33.75', name: 'Kota Pekalongan', level: 'regency', province: '33',
      received: 12, receivedByChannel: { sms: 4, twitter: 4, web: 4, whatsapp: 0, open311: 0, other: 0 },
      delivered: 12,
      firstResponse: { count: 10, withinDeadline: 8, medianHours: expect.closeTo(5, 0) as number, p90Hours: expect.closeTo(9, 0) as number },
      followUp: { count: 6, withinDeadline: 4, medianHours: expect.closeTo(30, -1) as number, p90Hours: expect.closeTo(60, -1) as number },
      resolved: 4, reRouted: 1, overdueNow: 0, rankInProvince: 4, rankNational: 6,
    });
    expect(region(regions, '33.04').overdueNow).toBe(2);
    expect(region(regions, '33.72').receivedByChannel.other).toBe(1);
  });

  it('ranks by the share answered within the deadline, then by median time; equal figures share a rank', async () => {
    const { regions } = await table(prefix);
    const ranks = (codes: string[]) => codes.map((code) => [code, region(regions, code).rankInProvince, region(regions, code).rankNational]);
    expect(ranks(['73.71', '73.72', '33.74', '33.02', '33.01', '33.75', '33.04'])).toEqual([
      ['73.71', 1, 1], ['73.72', 1, 1], ['33.74', 1, 3], ['33.02', 2, 4], ['33.01', 3, 5], ['33.75', 4, 6], ['33.04', 5, 7],
    ]);
    expect(ranks(['73', '33', 'national'])).toEqual([['73', null, 1], ['33', null, 2], ['national', null, null]]);
  });

  it('lists regions below the minimum unranked', async () => {
    const { regions } = await table(prefix);
    expect(region(regions, '33.03')).toMatchObject({ received: 9, rankInProvince: null, rankNational: null });
    expect(region(regions, '11.01')).toMatchObject({ received: 0, delivered: 0, rankNational: null, firstResponse: { count: 0, withinDeadline: 0, medianHours: null, p90Hours: null } });
    const lower = await table(prefix, { minComplaints: 9 });
    expect(region(lower.regions, '33.03').rankInProvince).toBe(1);
  });

  it('filters by province (the province and its regencies) and by level, keeping the national ranks', async () => {
    const central = await table(prefix, { province: '33' });
    expect(central.regions.map((r) => r.code)).toEqual(routes.filter((r) => r.code === '33' || r.parent === '33').map((r) => r.code).sort());
    expect(region(central.regions, '33.74').rankNational).toBe(3);
    const provinces = await table(prefix, { level: 'province' });
    expect(provinces.regions).toHaveLength(38);
    const south = await table(prefix, { level: 'regency', province: '73' });
    expect(south.regions.every((r) => r.level === 'regency' && r.province === '73')).toBe(true);
  });

  it('counts an event on the local day of its region', async () => {
    const { regions } = await table(prefix);
    expect(region(regions, '91.71').received).toBe(1);
    expect(region(regions, '33.72').received).toBe(1);
    const february = await table(prefix, { from: '2026-02-28', to: '2026-02-28' });
    expect([region(february.regions, '91.71').received, region(february.regions, '33.72').received, region(february.regions, '33.75').received]).toEqual([0, 1, 5]);
  });

  it('honours period boundaries inside a month and across months', async () => {
    const day = await table(prefix, { from: '2026-03-10', to: '2026-03-10' });
    const after = await table(prefix, { from: '2026-03-11', to: '2026-03-31' });
    const wide = await table(prefix, { from: '2026-02-15', to: '2026-04-15' });
    const of = (t: { regions: RegionPerformance[] }) => { const r = region(t.regions, '33.75'); return [r.received, r.firstResponse.count, r.followUp.count, r.resolved, r.reRouted]; };
    expect([of(day), of(after), of(wide)]).toEqual([[12, 10, 0, 0, 0], [0, 0, 6, 4, 1], [20, 18, 6, 4, 1]]);
    // Part of a month (the response log) and a whole month (its histogram) give the same percentiles.
    const whole = region((await table(prefix)).regions, '33.75');
    expect(region(day.regions, '33.75').firstResponse).toEqual(whole.firstResponse);
    expect(region(after.regions, '33.75').followUp).toEqual(whole.followUp);
  });

  it('reads across years, and a year minus its edges the same as its middle added up', async () => {
    const received = async (from: string, to: string) => region((await table(prefix, { from, to })).regions, '35.78').received;
    expect([await received('2025-12-31', '2026-01-01'), await received('2025-12-01', '2026-01-31'), await received('2026-01-01', '2026-01-01'), await received('2025-01-01', '2025-12-31')])
      .toEqual([2, 2, 1, 1]);
    const minus = await table(prefix, { from: '2026-01-05', to: '2026-12-31' });
    const plus = await table(prefix, { from: '2026-02-01', to: '2026-04-30' });
    expect(minus.regions).toEqual(plus.regions);
    expect(region(minus.regions, '33.75').received).toBe(20);
  });

  it('renders the same table as CSV, one flat row per region', async () => {
    const result = await table(prefix, { province: '33' });
    const csv = performanceCsv(result);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(result.regions.length + 1);
    expect(lines[0]).toBe(PERFORMANCE_CSV_COLUMNS.join(','));
    expect(lines.every((line) => line.split(',').length === PERFORMANCE_CSV_COLUMNS.length)).toBe(true);
    const row = Object.fromEntries(lines.find((l) => l.startsWith('33.75,'))!.split(',').map((cell, i) => [PERFORMANCE_CSV_COLUMNS[i], cell]));
    expect(row).toMatchObject({ name: 'Kota Pekalongan', level: 'regency', province: '33', received: '12', received_web: '4', first_response_within_deadline: '8', rank_in_province: '4', rank_national: '6' });
    expect(lines.find((l) => l.startsWith('33.03,'))!.endsWith(',,')).toBe(true);
    expect(performanceCsv({ from: 'x', to: 'y', regions: [{ ...result.regions[0]!, name: '=HYPERLINK("x"), "a"' }] }).split('\r\n')[1]).toMatch(/^33,"'=HYPERLINK\(""x""\), ""a""",/);
  });

  it('rejects bad queries with the field named', async () => {
    await expect(table(prefix, { from: '2026-02-30' })).rejects.toThrow(/^from: must be a date/);
    await expect(table(prefix, { from: '2026-03-02', to: '2026-03-01' })).rejects.toThrow(/^to: must not be before from/);
    await expect(table(prefix, { from: '2020-01-01', to: '2026-03-01' })).rejects.toThrow(/^to: a period may cover at most/);
    await expect(table('pintu:complaints')).rejects.toThrow(/hash tag/);
  });
});

describe('percentiles', () => {
  it(`stay within ±${(PERCENTILE_RELATIVE_ERROR * 100).toFixed(1)} % of the exact nearest-rank value`, async () => {
    const prefix = freshPrefix();
    let seed = 7;
    const random = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    // Log-uniform over 10 s … 2,000 h, the range response times take.
    const hours = times(3000, () => Math.exp(Math.log(10 / 3600) + random() * (Math.log(2000) - Math.log(10 / 3600))));
    await record(prefix, hours.map((h, i): PerformanceEvent => ({ type: 'firstResponse', code: '33.75', at: at(`2026-03-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00+07:00`), durationMs: h * HOUR, withinDeadline: true })));
    const sorted = [...hours].sort((a, b) => a - b);
    const exact = (p: number) => sorted[Math.ceil(p * sorted.length) - 1]!;
    for (const query of [MARCH, { from: '2026-03-01', to: '2026-03-28' }]) {
      const { firstResponse } = region((await table(prefix, query)).regions, '33.75');
      for (const [estimate, p] of [[firstResponse.medianHours!, 0.5], [firstResponse.p90Hours!, 0.9]] as const) {
        expect(Math.abs(estimate - exact(p)) / exact(p)).toBeLessThanOrEqual(PERCENTILE_RELATIVE_ERROR + 1e-3);
      }
    }
  });

  it('buckets every duration so that its bucket value is within the bound', () => {
    for (let ms = 1000; ms < 10_000 * HOUR; ms *= 1.013) {
      expect(Math.abs(bucketValue(bucketOf(ms)) - ms) / ms).toBeLessThanOrEqual(PERCENTILE_RELATIVE_ERROR + 1e-9);
    }
    expect(PERCENTILE_RELATIVE_ERROR).toBeLessThan(0.035);
  });
});

describe('recording inside the caller\'s transaction', () => {
  const response: PerformanceEvent = { type: 'firstResponse', code: '33.75', at: at('2026-03-10T10:00:00+07:00'), durationMs: 2 * HOUR, withinDeadline: true };

  it('is a pure function of the event, every key in the caller\'s hash slot, one or two commands', () => {
    const prefix = '{pintu:complaints}';
    const ops = performanceOps(prefix, response);
    expect(performanceOps(prefix, response)).toEqual(ops);
    expect(ops.map((op) => op.command)).toEqual(['BITFIELD', 'APPEND']);
    expect(ops.every((op) => op.key.startsWith(`${prefix}:`))).toBe(true);
    expect(performanceOps(prefix, { type: 'received', code: '33.75', at: response.at, channel: 'sms' })).toHaveLength(1);
    expect(() => performanceOps('pintu', response)).toThrow(/hash tag/);
  });

  it('builds a counter\'s commands once per region, channel and local day, and apart for any other', () => {
    const prefix = '{pintu:complaints}';
    const received = (code: string, iso: string, channel = 'sms') => performanceOps(prefix, { type: 'received', code, at: at(iso), channel });
    const morning = received('33.75', '2026-03-10T08:00:00+07:00');
    expect(received('33.75', '2026-03-10T20:00:00+07:00')).toBe(morning);
    // 23:30 WIB on the 10th is already the 11th in Papua (WIT): another day, another row.
    const papua = received('91.71', '2026-03-10T23:30:00+07:00');
    expect(papua).not.toEqual(received('91.71', '2026-03-10T20:00:00+07:00'));
    for (const other of [received('33.75', '2026-03-11T08:00:00+07:00'), received('33.75', '2026-03-10T08:00:00+07:00', 'web'), received('33.76', '2026-03-10T08:00:00+07:00')]) {
      expect(other).not.toEqual(morning);
    }
    expect(performanceOps(prefix, { type: 'delivered', code: '33.75', at: at('2026-03-10T08:00:00+07:00') })).not.toEqual(morning);
  });

  it('runs in a MULTI with the caller\'s own state change', async () => {
    const prefix = freshPrefix();
    const result = await appendOps(redis.multi().set(`${prefix}:state`, 'answered'), performanceOps(prefix, response)).exec();
    expect(result!.every(([err]) => !err)).toBe(true);
    expect(region((await table(prefix)).regions, '33.75').firstResponse).toMatchObject({ count: 1, withinDeadline: 1 });
  });

  it('creates a region-year string at its full size with the first event (no greedy regrowth later)', async () => {
    const prefix = freshPrefix();
    const key = performanceOps(prefix, response)[0]!.key;
    await record(prefix, [{ type: 'received', code: '33.75', at: at('2026-01-01T00:00:00+07:00'), channel: 'sms' }]);
    const first = await redis.strlen(key);
    await record(prefix, [{ ...response, at: at('2026-12-31T23:59:00+07:00'), durationMs: 20_000 * HOUR }]);
    expect(await redis.strlen(key)).toBe(first);
  });

  it('runs inside a Lua script (src/redis-ops.ts)', async () => {
    const prefix = freshPrefix();
    const ops = [...performanceOps(prefix, { type: 'received', code: '33.75', at: response.at, channel: 'web' }), ...performanceOps(prefix, response), ...performanceOps(prefix, { type: 'overdue', code: '33.75', delta: 1 })];
    const script = `${APPLY_OPS_LUA}\nredis.call('SET', KEYS[1], 'answered')\napply_ops(ARGV, 1, true)\nreturn 1`;
    const keys = [`${prefix}:state`, ...new Set(ops.map((op) => op.key))];
    await redis.eval(script, keys.length, ...keys, ...opsArgs(ops));
    const r = region((await table(prefix)).regions, '33.75');
    expect([r.received, r.receivedByChannel.web, r.firstResponse.count, r.firstResponse.medianHours, r.overdueNow]).toEqual([1, 1, 1, expect.closeTo(2, 0), 1]);
  });
});

describe('settings', () => {
  it('defaults PERFORMANCE_MIN_COMPLAINTS to 10 and names a bad value', () => {
    expect(PerformanceSettings.parse({}).PERFORMANCE_MIN_COMPLAINTS).toBe(10);
    expect(PerformanceSettings.safeParse({ PERFORMANCE_MIN_COMPLAINTS: 'ten' }).error!.issues[0]!.path).toEqual(['PERFORMANCE_MIN_COMPLAINTS']);
  });
});
