/** The per-day performance figures (the Kinerja chart's data) against real Redis, and their admin endpoint over HTTP. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  appendOps, bucketOf, bucketValue, MAX_DAILY_DAYS, performanceDaily, performanceOps, type DailyQuery, type DayPerformance, type PerformanceEvent,
} from '../src/performance.js';
import { period } from '../src/admin/performance-api.js';
import { seedRoutes } from '../src/route.js';
import { pipelineTag } from '../queues/topology.js';
import { ADMIN_ENV, adminApi, VIEWER } from './admin-helpers.js';
import { startGateway, type TestGateway } from './helpers/gateway.js';
import { json } from './helpers/http.js';

const HOUR = 3_600_000;
const routes = seedRoutes();
const prefix = `{test-perf-daily-${process.pid}-${Date.now().toString(36)}}`;
let redis: Redis;

/** The median the log-spaced buckets report for a response time of `hours` (the table's own rounding). */
const reported = (hours: number) => Number((bucketValue(bucketOf(hours * HOUR)) / HOUR).toPrecision(4));
const at = (iso: string) => new Date(iso);
const received = (code: string, iso: string, channel: string): PerformanceEvent => ({ type: 'received', code, at: at(iso), channel });
const delivered = (code: string, iso: string): PerformanceEvent => ({ type: 'delivered', code, at: at(iso) });
const firstResponse = (code: string, iso: string, hours: number): PerformanceEvent => ({ type: 'firstResponse', code, at: at(iso), durationMs: hours * HOUR, withinDeadline: true });
const noChannels = { sms: 0, twitter: 0, web: 0, whatsapp: 0, open311: 0, other: 0 };
const day = (date: string, figures: Partial<Omit<DayPerformance, 'date'>> = {}): DayPerformance => ({
  date, received: 0, delivered: 0, ...figures, receivedByChannel: { ...noChannels, ...figures.receivedByChannel }, firstResponse: { count: 0, medianHours: null, ...figures.firstResponse },
});

async function record(keyPrefix: string, events: PerformanceEvent[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const event of events) appendOps(pipeline, performanceOps(keyPrefix, event));
  expect((await pipeline.exec())!.filter(([err]) => err)).toEqual([]);
}

/** Kota Pekalongan and Kota Batang (WIB), Makassar (WITA), Jawa Tengah itself: a few days in March 2026 and around two turns. */
const EVENTS: PerformanceEvent[] = [
  ...['sms', 'sms', 'sms', 'web', 'web'].map((channel) => received('33.75', '2026-03-10T10:00:00+07:00', channel)),
  ...[1, 2, 3, 4].map(() => delivered('33.75', '2026-03-10T11:00:00+07:00')),
  ...[1, 2, 3].map((hours) => firstResponse('33.75', '2026-03-10T15:00:00+07:00', hours)),
  received('33.74', '2026-03-10T09:00:00+07:00', 'twitter'),
  firstResponse('33.74', '2026-03-10T16:00:00+07:00', 4),
  // Recorded on the 11th: its median is the 11th's, and a follow-up is no first response.
  firstResponse('33.75', '2026-03-11T08:00:00+07:00', 30),
  { type: 'followUp', code: '33.75', at: at('2026-03-11T09:00:00+07:00'), durationMs: 2 * HOUR, withinDeadline: true },
  // 23:30 in Jakarta is already the 11th in Makassar.
  received('73.71', '2026-03-10T23:30:00+07:00', 'whatsapp'),
  delivered('73.71', '2026-03-10T23:40:00+07:00'),
  received('33', '2026-03-12T10:00:00+07:00', 'telegram'),
  // Across a month's turn (two response logs) and a year's (two region-year keys).
  firstResponse('33.75', '2026-02-28T10:00:00+07:00', 6),
  firstResponse('33.75', '2026-03-01T10:00:00+07:00', 8),
  received('33.75', '2025-12-31T20:00:00+07:00', 'sms'),
  received('33.75', '2026-01-01T08:00:00+07:00', 'web'),
];

const daily = (query: Partial<DailyQuery>) => performanceDaily(redis, { prefix, routes, from: '2026-03-10', to: '2026-03-12', ...query });

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  await record(prefix, EVENTS);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('performanceDaily', () => {
  it('adds the regions up day by day: received by channel, delivered, first responses and their median', async () => {
    expect(await daily({})).toEqual({
      from: '2026-03-10', to: '2026-03-12',
      days: [
        day('2026-03-10', { received: 6, receivedByChannel: { sms: 3, web: 2, twitter: 1 }, delivered: 4, firstResponse: { count: 4, medianHours: reported(2) } }),
        day('2026-03-11', { received: 1, receivedByChannel: { whatsapp: 1 }, delivered: 1, firstResponse: { count: 1, medianHours: reported(30) } }),
        day('2026-03-12', { received: 1, receivedByChannel: { other: 1 } }),
      ],
    });
  });

  it('selects regions as the table does: by province (with its regencies), by level, active routes only', async () => {
    const received = async (query: Partial<DailyQuery>) => (await daily(query)).days.map((d) => d.received);
    expect(await received({ province: '33' })).toEqual([6, 0, 1]);
    expect(await received({ province: '73' })).toEqual([0, 1, 0]);
    expect(await received({ level: 'province' })).toEqual([0, 0, 1]);
    expect(await received({ level: 'regency', province: '33' })).toEqual([6, 0, 0]);
    const batangOff = routes.map((r) => (r.code === '33.74' ? { ...r, active: false } : r));
    const without = await daily({ routes: batangOff, to: '2026-03-10' });
    expect(without.days).toEqual([day('2026-03-10', { received: 5, receivedByChannel: { sms: 3, web: 2 }, delivered: 4, firstResponse: { count: 3, medianHours: reported(2) } })]);
  });

  it('reads across a month and a year, every day of the period listed', async () => {
    const turn = await daily({ from: '2026-02-27', to: '2026-03-02' });
    expect(turn.days.map((d) => [d.date, d.firstResponse.count, d.firstResponse.medianHours])).toEqual([
      ['2026-02-27', 0, null], ['2026-02-28', 1, reported(6)], ['2026-03-01', 1, reported(8)], ['2026-03-02', 0, null],
    ]);
    const newYear = await daily({ from: '2025-12-31', to: '2026-01-01', province: '33' });
    expect(newYear.days.map((d) => [d.date, d.received, d.receivedByChannel.sms, d.receivedByChannel.web])).toEqual([['2025-12-31', 1, 1, 0], ['2026-01-01', 1, 0, 1]]);
  });

  it('refuses a bad period, naming the field', async () => {
    await expect(daily({ from: '2026-03-12', to: '2026-03-10' })).rejects.toThrow(/^to: must not be before from/);
    await expect(daily({ from: '2025-01-01', to: '2026-03-10' })).rejects.toThrow(new RegExp(`^to: the per-day figures cover at most ${MAX_DAILY_DAYS} days`));
    await expect(daily({ from: '2026-02-30' })).rejects.toThrow(/^from: must be a date/);
  });
});

describe('the default period', () => {
  it('ends on the latest local day in Indonesia, so a Papua region\'s complaints of this morning are in', async () => {
    // 08:00 WIT on 8 March 2026 is still 7 March in UTC (and 06:00 in Jakarta).
    const now = at('2026-03-08T08:00:00+09:00');
    expect(period({}, now)).toEqual({ from: '2026-02-07', to: '2026-03-08' });
    expect(period({}, at('2026-03-08T14:59:00Z'))).toEqual({ from: '2026-02-07', to: '2026-03-08' });
    expect(period({}, at('2026-03-07T14:59:00Z')).to).toBe('2026-03-07');
    expect(period({ to: '2026-03-01' }, now)).toEqual({ from: '2026-01-31', to: '2026-03-01' });
    const jayapura = `{test-perf-default-${process.pid}-${Date.now().toString(36)}}`;
    await record(jayapura, [received('91.71', now.toISOString(), 'sms'), received('33.75', now.toISOString(), 'web')]);
    try {
      const days = (await performanceDaily(redis, { prefix: jayapura, routes, ...period({}, now) })).days;
      expect(days.reduce((sum, d) => sum + d.received, 0)).toBe(2);
    } finally {
      await redis.del(...await redis.keys(`${jayapura}*`));
    }
  });
});

describe('GET /admin/api/performance/daily', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(ADMIN_ENV, { workers: false, channels: [] });
    await record(pipelineTag(gw.prefix), EVENTS);
  });
  afterAll(async () => { await gw.close(); });

  it('answers what performanceDaily computes for the filter, to viewers too', async () => {
    const viewer = adminApi(gw.url, VIEWER.token);
    const body = await json(viewer('GET', '/performance/daily?from=2026-03-10&to=2026-03-12&province=33'));
    expect(body).toEqual(await performanceDaily(redis, { prefix: pipelineTag(gw.prefix), routes: gw.pintu.routes.index().routes.values(), from: '2026-03-10', to: '2026-03-12', province: '33' }));
    expect(body.days.map((d: DayPerformance) => d.received)).toEqual([6, 0, 1]);
  });

  it('defaults to the 30 days up to today, like the table', async () => {
    const [days, table] = await Promise.all([json(adminApi(gw.url)('GET', '/performance/daily')), json(adminApi(gw.url)('GET', '/performance'))]);
    expect([days.from, days.to]).toEqual([table.from, table.to]);
    expect(days.days).toHaveLength(30);
  });

  it('answers 400 naming the field', async () => {
    const api = adminApi(gw.url);
    for (const [query, field] of [['from=2026-03-12&to=2026-03-10', 'to'], ['from=2024-01-01&to=2026-03-10', 'to'], ['from=10-03-2026', 'from'], ['level=kecamatan', 'level'], ['province=Jawa', 'province']] as const) {
      const res = await api('GET', `/performance/daily?${query}`);
      expect(res.status, query).toBe(400);
      expect(Object.keys((await json(res)).fields ?? {}), query).toContain(field);
    }
  });
});
