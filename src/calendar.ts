/**
 * Working-day clocks for complaint deadlines (issue 15). Pure: no I/O, no Intl (src/holidays.ts reads the files).
 *
 * Semantics:
 * - A duration is `Nwd` (working days) or `Nh`, `Nm`, `Ns` (wall-clock hours, minutes, seconds).
 * - A working day is a whole local day, 00:00–24:00, Monday to Friday in the region's own time zone, that is not
 *   a holiday date. Time zones are fixed offsets (Indonesia has no daylight saving): WIB UTC+7, WITA UTC+8,
 *   WIT UTC+9. A regency counts in its province's zone; the national desk in WIB.
 * - A working-day clock runs only during working days, and `N wd` is N × 24 h of running clock. Delivered
 *   Friday 15:00 WIB with 3wd: 9 h on Friday, 24 h Monday, 24 h Tuesday, 15 h Wednesday → Wednesday 15:00 WIB.
 *   Delivered on a Saturday, the clock starts Monday 00:00, so 3wd ends Wednesday 24:00 (Thursday 00:00).
 * - A deadline is the first instant at which the running time reaches the duration: 1wd from Friday 00:00 is
 *   Friday 24:00 (= Saturday 00:00), not Monday 00:00. Overdue means `now > deadline`.
 * - A wall-clock duration simply adds; a pause (`ditunda`) stops either clock: pass the paused intervals, or
 *   compose `elapsed()` and `addRunning()` yourself (stop: `used += elapsed(from, pausedAt)`;
 *   resume: `deadline = addRunning(resumedAt, total - used)`).
 */
import { z } from 'zod';
import { NATIONAL_CODE } from './route.js';

const DAY_MS = 86_400_000;
const UNIT_MS = { wd: DAY_MS, h: 3_600_000, m: 60_000, s: 1000 } as const;

export type DurationUnit = keyof typeof UNIT_MS;
export interface Duration {
  amount: number;
  unit: DurationUnit;
  /** Running-clock milliseconds: working-day milliseconds for `wd`, wall-clock otherwise. */
  ms: number;
}

export class DurationError extends Error {}

const DURATION = /^(\d{1,6})(wd|h|m|s)$/;
const DURATION_HINT = 'a duration like 3wd (working days), 48h, 30m or 45s';

/** "3wd" → { amount: 3, unit: 'wd', ms: 3 × 24 h }. Throws DurationError with a readable message. */
export function parseDuration(text: string): Duration {
  const match = DURATION.exec(text.trim());
  const amount = match ? Number(match[1]) : 0;
  if (!match || amount <= 0) throw new DurationError(`must be ${DURATION_HINT} (got ${JSON.stringify(text)})`);
  const unit = match[2] as DurationUnit;
  return { amount, unit, ms: amount * UNIT_MS[unit] };
}

/** Env value → Duration; the error names the accepted forms. */
export const DurationSetting = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** The calendar's settings, for the lead to merge into src/config.ts (`...CalendarSettings.shape`). */
export const CalendarSettings = z.object({
  DEADLINE_FIRST_RESPONSE: DurationSetting.prefault('3wd').describe('Time for the first update from the agency that has the complaint: Nwd, Nh, Nm or Ns'),
  DEADLINE_FOLLOW_UP: DurationSetting.prefault('5wd').describe('Time after the first response for ditindaklanjuti or selesai'),
  HOLIDAYS_FILE: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional())
    .describe('Extra holiday dates (same JSON format as config/holidays.json), merged with the shipped ones'),
});

// ─── time zones ────────────────────────────────────────────────────────────────────────────────────────────

export const ZONES = { WIB: 7, WITA: 8, WIT: 9 } as const;
export type Zone = keyof typeof ZONES;

/** The 38 provinces (idn-area-data provinces.csv) and their zones. */
export const PROVINCE_ZONES: Readonly<Record<string, Zone>> = {
  // Sumatra and its islands, Java, West and Central Kalimantan
  11: 'WIB', 12: 'WIB', 13: 'WIB', 14: 'WIB', 15: 'WIB', 16: 'WIB', 17: 'WIB', 18: 'WIB', 19: 'WIB', 21: 'WIB',
  31: 'WIB', 32: 'WIB', 33: 'WIB', 34: 'WIB', 35: 'WIB', 36: 'WIB',
  61: 'WIB', 62: 'WIB',
  // Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi
  51: 'WITA', 52: 'WITA', 53: 'WITA',
  63: 'WITA', 64: 'WITA', 65: 'WITA',
  71: 'WITA', 72: 'WITA', 73: 'WITA', 74: 'WITA', 75: 'WITA', 76: 'WITA',
  // Maluku and the six Papua provinces (Papua, Papua Barat, Selatan, Tengah, Pegunungan, Barat Daya)
  81: 'WIT', 82: 'WIT',
  91: 'WIT', 92: 'WIT', 93: 'WIT', 94: 'WIT', 95: 'WIT', 96: 'WIT',
};

/**
 * A region's zone: a regency ("33.75") uses its province's, the national desk WIB. A code outside the official
 * list (a route an admin created) also counts in WIB, the national desk's zone, rather than stopping its clock.
 */
export function zoneOf(code: string): Zone {
  if (code === NATIONAL_CODE) return 'WIB';
  return PROVINCE_ZONES[code.slice(0, 2)] ?? 'WIB';
}

const offsetMs = (zone: Zone) => ZONES[zone] * 3_600_000;

/** Local day number (days since 1970-01-01 in that zone) and milliseconds into that day. */
function localDay(at: number, zone: Zone): { day: number; ms: number } {
  const local = at + offsetMs(zone);
  const day = Math.floor(local / DAY_MS);
  return { day, ms: local - day * DAY_MS };
}

/** The local day number of an instant: days since 1970-01-01 in that zone. */
export const localDayNumber = (at: Date, zone: Zone): number => localDay(at.getTime(), zone).day;

/** The local date of an instant, "YYYY-MM-DD". */
export function localDate(at: Date, zone: Zone): string {
  return new Date(localDay(at.getTime(), zone).day * DAY_MS).toISOString().slice(0, 10);
}

// ─── holidays and working days ─────────────────────────────────────────────────────────────────────────────

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number of a "YYYY-MM-DD" date, or null when it is not a real calendar date. */
export function dayNumber(date: string): number | null {
  const m = ISO_DATE.exec(date);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === date ? ms / DAY_MS : null;
}

export const Holiday = z.object({
  date: z.string().refine((d) => dayNumber(d) !== null, 'must be a real date YYYY-MM-DD'),
  name: z.string().min(1).max(200),
  kind: z.enum(['libur_nasional', 'cuti_bersama', 'lainnya']).default('lainnya'),
  decree: z.string().min(1).max(500).optional().describe('The decree the date comes from'),
});
export const HolidayFile = z.object({
  source: z.string().min(1).describe('Where the dates come from'),
  holidays: z.array(Holiday),
});
export type Holiday = z.infer<typeof Holiday>;
export type HolidayFile = z.infer<typeof HolidayFile>;

// 1970-01-01 (day 0) was a Thursday: day n is a weekday unless (n + 4) mod 7 is 0 (Sunday) or 6 (Saturday).
const isWeekday = (day: number) => { const dow = (((day + 4) % 7) + 7) % 7; return dow !== 0 && dow !== 6; };
/** Weekdays among the first r days of a week that starts on a Thursday (r = 0..7). */
const WEEKDAYS_IN_FIRST = [0, 1, 2, 2, 2, 3, 4, 5];

/** Working days (Monday–Friday minus holidays) as numbers of days, shared by every zone (dates are local). */
export class WorkingCalendar {
  /** Holiday day numbers that fall on weekdays (a holiday on a weekend changes nothing), sorted. */
  private readonly weekdayHolidays: number[];

  constructor(holidays: Iterable<Holiday>) {
    const days = new Set([...holidays].map((h) => {
      const day = dayNumber(h.date);
      if (day === null) throw new RangeError(`holiday ${JSON.stringify(h.date)} is not a date YYYY-MM-DD`);
      return day;
    }));
    this.weekdayHolidays = [...days].filter(isWeekday).sort((a, b) => a - b);
  }

  isWorkingDay(day: number): boolean {
    return isWeekday(day) && this.holidaysBefore(day + 1) - this.holidaysBefore(day) === 0;
  }

  /** Working days in [0, day) — negative for days before 1970; only differences matter. */
  workingDaysBefore(day: number): number {
    const weeks = Math.floor(day / 7);
    return weeks * 5 + WEEKDAYS_IN_FIRST[day - weeks * 7]! - this.holidaysBefore(day);
  }

  /** The first day d with workingDaysBefore(d) >= count. */
  firstDayWithWorkingDaysBefore(count: number, from: number): number {
    let lo = from;
    let step = 8;
    while (this.workingDaysBefore(lo + step) < count) { lo += step; step *= 2; }
    let hi = lo + step;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.workingDaysBefore(mid) >= count) hi = mid; else lo = mid + 1;
    }
    return lo;
  }

  /** Holidays on weekdays with a day number below `day`. */
  private holidaysBefore(day: number): number {
    const list = this.weekdayHolidays;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! < day) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}

// ─── clocks ────────────────────────────────────────────────────────────────────────────────────────────────

/** Running time of a clock between two instants, and the instant a clock reaches after running `ms`. */
export interface Clock {
  elapsed(from: Date, to: Date): number;
  addRunning(start: Date, ms: number): Date;
}

export const wallClock: Clock = {
  elapsed: (from, to) => Math.max(0, to.getTime() - from.getTime()),
  addRunning: (start, ms) => new Date(start.getTime() + ms),
};

/** A clock that runs only on working days of `zone`. */
export function workingClock(zone: Zone, calendar: WorkingCalendar): Clock {
  // Running milliseconds from day 0 to `at`: flat outside working days.
  const position = (at: number) => {
    const { day, ms } = localDay(at, zone);
    return calendar.workingDaysBefore(day) * DAY_MS + (calendar.isWorkingDay(day) ? ms : 0);
  };
  return {
    elapsed: (from, to) => Math.max(0, position(to.getTime()) - position(from.getTime())),
    addRunning(start, ms) {
      const from = start.getTime();
      const target = position(from) + ms;
      const full = Math.floor(target / DAY_MS);
      const part = target - full * DAY_MS;
      const startDay = localDay(from, zone).day;
      // Exactly at a day boundary the clock reaches the target at the end of the working day (its 24:00);
      // otherwise part-way through the next working day.
      const day = part === 0
        ? calendar.firstDayWithWorkingDaysBefore(full, startDay)
        : calendar.firstDayWithWorkingDaysBefore(full + 1, startDay) - 1;
      return new Date(Math.max(from, day * DAY_MS + part - offsetMs(zone)));
    },
  };
}

/** The clock a duration runs on: working days in the region's zone for `wd`, wall-clock otherwise. */
export function clockFor(duration: Duration, code: string, calendar: WorkingCalendar): Clock {
  return duration.unit === 'wd' ? workingClock(zoneOf(code), calendar) : wallClock;
}

/** A time the clock stood still; `to: null` means still paused. */
export interface Pause { from: Date; to: Date | null }

/** The deadline of `duration` started at `start`, skipping `pauses`; null while a pause is open and time remains. */
export function deadlineOn(clock: Clock, start: Date, runningMs: number, pauses: readonly Pause[] = []): Date | null {
  let cursor = start;
  let remaining = runningMs;
  for (const pause of [...pauses].sort((a, b) => a.from.getTime() - b.from.getTime())) {
    if (pause.to && pause.to <= cursor) continue;
    const candidate = clock.addRunning(cursor, remaining);
    if (candidate <= pause.from) return candidate;
    if (pause.from > cursor) remaining -= clock.elapsed(cursor, pause.from);
    if (!pause.to) return null;
    cursor = pause.to;
  }
  return clock.addRunning(cursor, remaining);
}

/** Running time between two instants on `clock`, not counting `pauses` (an open pause runs to `to`). */
export function elapsedOn(clock: Clock, from: Date, to: Date, pauses: readonly Pause[] = []): number {
  let total = clock.elapsed(from, to);
  for (const pause of pauses) {
    const a = new Date(Math.max(pause.from.getTime(), from.getTime()));
    const b = new Date(Math.min((pause.to ?? to).getTime(), to.getTime()));
    if (a < b) total -= clock.elapsed(a, b);
  }
  return total;
}

/** Convenience: the deadline of a complaint's stage at region `code`. */
export function deadline(start: Date, duration: Duration, code: string, calendar: WorkingCalendar, pauses: readonly Pause[] = []): Date | null {
  return deadlineOn(clockFor(duration, code, calendar), start, duration.ms, pauses);
}

/** Convenience: running time (ms) from `start` to `end` on the clock of `duration` — working time for `wd`. */
export function elapsed(start: Date, end: Date, duration: Duration, code: string, calendar: WorkingCalendar, pauses: readonly Pause[] = []): number {
  return elapsedOn(clockFor(duration, code, calendar), start, end, pauses);
}

export const isOverdue = (now: Date, due: Date | null): boolean => due !== null && now > due;
