/** The deadline clocks (src/clocks.ts), table-driven from test/data/clock-cases.json. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/calendar.js';
import { clockAtDelivery, clockAtUpdate, clockState, type ClockChange, type ClockState } from '../src/clocks.js';
import { loadHolidays } from '../src/holidays.js';
import type { AgencyStatus } from '../src/lifecycle.js';

interface ClockCase {
  label: string;
  settings: { firstResponse: string; followUp: string };
  code: string;
  delivered: string;
  updates: Array<{ status: AgencyStatus; at: string }>;
  expect: { stage: string | null; due?: string; paused?: boolean; performance: Array<[string, number?, boolean?]> };
}
const { cases } = JSON.parse(readFileSync(new URL('./data/clock-cases.json', import.meta.url), 'utf8')) as { cases: ClockCase[] };
const { calendar } = loadHolidays();

/** The record's clock fields after a change, as the status scripts leave them. */
function applied(fields: Record<string, string>, change: ClockChange): Record<string, string> {
  const next = { ...fields, ...change.set };
  for (const name of change.unset) delete next[name];
  return next;
}

describe('deadline clocks (clock-cases.json)', () => {
  it.each(cases)('$label', (c) => {
    const settings = { firstResponse: parseDuration(c.settings.firstResponse), followUp: parseDuration(c.settings.followUp), calendar };
    let change = clockAtDelivery(new Date(c.delivered), c.code, settings);
    let fields = applied({}, change);
    for (const u of c.updates) {
      change = clockAtUpdate(clockState(fields), u.status, new Date(u.at), c.code, settings);
      fields = applied(fields, change);
    }
    const state: ClockState = clockState(fields);
    expect(state.stage).toBe(c.expect.stage);
    if (c.expect.due) expect(new Date(state.due!).toISOString()).toBe(new Date(c.expect.due).toISOString());
    if (c.expect.paused !== undefined) {
      expect(state.pausedAt !== null).toBe(c.expect.paused);
      // A paused clock, or none running, has no deadline to reach; a running one waits for its due time.
      expect(change.deadline).toBe(c.expect.paused ? null : state.due);
    }
    if (c.expect.stage === null) expect(change.deadline).toBeNull();
    const performance = (c.updates.length ? change : { performance: [] as ClockChange['performance'] }).performance.map((e) =>
      'durationMs' in e ? [e.type, Math.round((e.durationMs / 3_600_000) * 100) / 100, e.withinDeadline] : [e.type]);
    expect(performance).toEqual(c.expect.performance);
  });

  it('counts a delivery and starts a fresh first-response clock, forgetting what an earlier agency left', () => {
    const settings = { firstResponse: parseDuration('2h'), followUp: parseDuration('4h'), calendar };
    const change = clockAtDelivery(new Date('2026-05-04T01:00:00Z'), '33', settings);
    expect(change.set).toEqual({ stage: 'firstResponse', stageStart: String(Date.parse('2026-05-04T01:00:00Z')), due: String(Date.parse('2026-05-04T03:00:00Z')) });
    expect(change.unset).toEqual(['pausedAt', 'pauses', 'escalated', 'overdue']);
    expect(change.performance).toEqual([{ type: 'delivered', code: '33', at: new Date('2026-05-04T01:00:00Z') }]);
  });
});
