import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CalendarSettings, deadline, elapsed, isOverdue, localDate, parseDuration, PROVINCE_ZONES, workingClock, zoneOf, type Pause,
} from '../src/calendar.js';
import { loadHolidays, readHolidayFile, SHIPPED_HOLIDAYS } from '../src/holidays.js';

interface DeadlineCase { label: string; code: string; duration: string; start: string; pauses?: [string, string | null][]; deadline: string | null }
interface ElapsedCase { label: string; code: string; duration: string; from: string; to: string; pauses?: [string, string | null][]; hours: number }
const cases = JSON.parse(readFileSync(new URL('./data/calendar-cases.json', import.meta.url), 'utf8')) as { deadline: DeadlineCase[]; elapsed: ElapsedCase[] };

const { calendar } = loadHolidays();
const pausesOf = (list: [string, string | null][] = []): Pause[] => list.map(([from, to]) => ({ from: new Date(from), to: to ? new Date(to) : null }));
const HOUR = 3_600_000;

describe('deadlines (test/data/calendar-cases.json)', () => {
  it('has the cases the brief asks for', () => expect(cases.deadline.length + cases.elapsed.length).toBeGreaterThanOrEqual(25));
  it.each(cases.deadline)('$label', (c) => {
    const due = deadline(new Date(c.start), parseDuration(c.duration), c.code, calendar, pausesOf(c.pauses));
    expect(due?.toISOString() ?? null).toBe(c.deadline === null ? null : new Date(c.deadline).toISOString());
  });
});

describe('elapsed running time (test/data/calendar-cases.json)', () => {
  it.each(cases.elapsed)('$label', (c) => {
    expect(elapsed(new Date(c.from), new Date(c.to), parseDuration(c.duration), c.code, calendar, pausesOf(c.pauses)) / HOUR).toBe(c.hours);
  });
});

describe('time zones', () => {
  it('maps every province of idn-area-data, and nothing else', () => {
    const require = readFileSync(new URL('../node_modules/idn-area-data/data/provinces.csv', import.meta.url), 'utf8');
    const codes = require.trim().split('\n').slice(1).map((line) => line.split(',')[0]!);
    expect(codes).toHaveLength(38);
    expect(Object.keys(PROVINCE_ZONES).sort()).toEqual([...codes].sort());
  });
  it('puts regencies in their province zone and the national desk in WIB', () => {
    expect([zoneOf('national'), zoneOf('33.75'), zoneOf('73.71'), zoneOf('95.01'), zoneOf('62'), zoneOf('63')]).toEqual(['WIB', 'WIB', 'WITA', 'WIT', 'WIB', 'WITA']);
  });
  it('gives the local date of an instant', () => {
    const instant = new Date('2026-03-13T16:30:00Z');
    expect([localDate(instant, 'WIB'), localDate(instant, 'WITA'), localDate(instant, 'WIT')]).toEqual(['2026-03-13', '2026-03-14', '2026-03-14']);
  });
});

describe('durations and settings', () => {
  it('parses the four units', () => {
    expect(['3wd', '48h', '30m', '45s'].map((t) => parseDuration(t).ms)).toEqual([3 * 24 * HOUR, 48 * HOUR, 30 * 60_000, 45_000]);
  });
  it.each(['', '3', '3d', '0wd', '-1h', '1.5h', 'wd', '3 wd'])('rejects %j with the accepted forms', (text) => {
    expect(() => parseDuration(text)).toThrow(/like 3wd \(working days\), 48h, 30m or 45s/);
  });
  it('defaults to 3wd and 5wd, and a bad env value names the forms', () => {
    const settings = CalendarSettings.parse({});
    expect([settings.DEADLINE_FIRST_RESPONSE.ms, settings.DEADLINE_FOLLOW_UP.ms, settings.HOLIDAYS_FILE]).toEqual([3 * 24 * HOUR, 5 * 24 * HOUR, undefined]);
    const bad = CalendarSettings.safeParse({ DEADLINE_FIRST_RESPONSE: '3 days' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['DEADLINE_FIRST_RESPONSE']);
    expect(bad.error!.issues[0]!.message).toMatch(/3wd/);
  });
  it('is overdue only strictly after the deadline', () => {
    const due = new Date('2026-03-11T08:00:00Z');
    expect([isOverdue(due, due), isOverdue(new Date(due.getTime() + 1), due), isOverdue(new Date(), null)]).toEqual([false, true, false]);
  });
});

describe('holiday files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pintu-holidays-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships 2025–2027 with a source, and every date names its decree', () => {
    const file = readHolidayFile(SHIPPED_HOLIDAYS);
    expect(file.source).toMatch(/SKB/);
    for (const year of ['2025', '2026', '2027']) expect(file.holidays.some((h) => h.date.startsWith(year)), year).toBe(true);
    expect(file.holidays.filter((h) => !h.decree)).toEqual([]);
    expect(file.holidays.filter((h) => h.date.startsWith('2026') && h.kind === 'cuti_bersama').map((h) => h.date))
      .toEqual(['2026-02-16', '2026-03-18', '2026-03-20', '2026-03-23', '2026-03-24', '2026-05-15', '2026-05-28', '2026-12-24']);
  });

  it('merges an admin file (HOLIDAYS_FILE) with the shipped dates', () => {
    const path = join(dir, 'extra.json');
    writeFileSync(path, JSON.stringify({ source: 'Keputusan Bupati (contoh)', holidays: [{ date: '2026-03-10', name: 'Hari Jadi Kota' }] }));
    const merged = loadHolidays(path).calendar;
    const start = new Date('2026-03-09T12:00:00+07:00');
    expect(deadline(start, parseDuration('1wd'), '33.75', calendar)!.toISOString()).toBe(new Date('2026-03-10T12:00:00+07:00').toISOString());
    expect(deadline(start, parseDuration('1wd'), '33.75', merged)!.toISOString()).toBe(new Date('2026-03-11T12:00:00+07:00').toISOString());
  });

  it.each([
    ['not JSON', '{', /holidays file .*bad\.json: .*JSON/],
    ['a date that does not exist', JSON.stringify({ source: 's', holidays: [{ date: '2026-02-30', name: 'x' }] }), /holidays\.0\.date: must be a real date YYYY-MM-DD/],
    ['no source', JSON.stringify({ holidays: [] }), /source/],
    ['an unknown kind', JSON.stringify({ source: 's', holidays: [{ date: '2026-02-03', name: 'x', kind: 'libur' }] }), /holidays\.0\.kind/],
  ])('rejects %s with a readable error', (_label, content, message) => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, content);
    expect(() => loadHolidays(path)).toThrow(message);
  });

  it('names a missing file', () => {
    expect(() => loadHolidays(join(dir, 'missing.json'))).toThrow(/missing\.json: not found/);
  });
});

describe('properties', () => {
  const instant = fc.integer({ min: Date.UTC(2024, 11, 1), max: Date.UTC(2027, 11, 1) }).map((ms) => new Date(ms));
  const code = fc.constantFrom('national', '33.75', '73.71', '91.71', '51', '96');

  it('a working-day deadline is exactly its duration of running time after the start', () => {
    fc.assert(fc.property(instant, fc.integer({ min: 1, max: 30 }), code, (start, days, region) => {
      const duration = parseDuration(`${days}wd`);
      const due = deadline(start, duration, region, calendar)!;
      expect(due.getTime()).toBeGreaterThan(start.getTime());
      expect(elapsed(start, due, duration, region, calendar)).toBe(duration.ms);
      // …and the first such instant: a millisecond earlier the clock had not got there.
      expect(elapsed(start, new Date(due.getTime() - 1), duration, region, calendar)).toBe(duration.ms - 1);
    }), { numRuns: 500 });
  });

  it('running time adds up over consecutive intervals and never exceeds wall time', () => {
    fc.assert(fc.property(instant, fc.integer({ min: 0, max: 20 * 86_400_000 }), fc.integer({ min: 0, max: 20 * 86_400_000 }), code, (a, d1, d2, region) => {
      const clock = workingClock(zoneOf(region), calendar);
      const b = new Date(a.getTime() + d1);
      const c = new Date(b.getTime() + d2);
      expect(clock.elapsed(a, b) + clock.elapsed(b, c)).toBe(clock.elapsed(a, c));
      expect(clock.elapsed(a, c)).toBeLessThanOrEqual(d1 + d2);
    }), { numRuns: 500 });
  });

  it('pausing and resuming by hand (elapsed + addRunning) gives the same deadline as passing the pause', () => {
    fc.assert(fc.property(instant, fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.integer({ min: 1, max: 10 }), code,
      (start, before, length, days, region) => {
        const duration = parseDuration(`${days}wd`);
        const clock = workingClock(zoneOf(region), calendar);
        const pause = { from: new Date(start.getTime() + before), to: new Date(start.getTime() + before + length) };
        const passed = deadline(start, duration, region, calendar, [pause])!;
        const used = clock.elapsed(start, pause.from);
        const composed = used >= duration.ms ? clock.addRunning(start, duration.ms) : clock.addRunning(pause.to, duration.ms - used);
        expect(passed.toISOString()).toBe(composed.toISOString());
      }), { numRuns: 300 });
  });
});
