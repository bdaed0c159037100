/** The holiday dates the working-day clocks skip: config/holidays.json plus an admin's own file (HOLIDAYS_FILE). */
import { readFileSync } from 'node:fs';
import { HolidayFile, WorkingCalendar, type Holiday } from './calendar.js';

export const SHIPPED_HOLIDAYS = new URL('../config/holidays.json', import.meta.url);

export class HolidaysFileError extends Error {}

/** Read and check one holiday file; a bad file throws one readable line naming the file and the entry. */
export function readHolidayFile(path: string | URL): HolidayFile {
  const shown = typeof path === 'string' ? path : path.pathname;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new HolidaysFileError(`holidays file ${shown}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (err as Error).message}`);
  }
  const parsed = HolidayFile.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
  throw new HolidaysFileError(`holidays file ${shown}: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
}

/** The shipped national holidays and collective leave, merged with `extraFile` (HOLIDAYS_FILE) when given. */
export function loadHolidays(extraFile?: string): { calendar: WorkingCalendar; holidays: Holiday[] } {
  const holidays = [...readHolidayFile(SHIPPED_HOLIDAYS).holidays, ...(extraFile ? readHolidayFile(extraFile).holidays : [])];
  return { calendar: new WorkingCalendar(holidays), holidays };
}
