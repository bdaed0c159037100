/**
 * The deadline clocks of a complaint at the agency that has it (issue 15, SP4N-LAPOR!'s monitoring): the first
 * response (any update) within DEADLINE_FIRST_RESPONSE of the delivery, then the follow-up (ditindaklanjuti or
 * selesai) within DEADLINE_FOLLOW_UP of the first response; ditunda stops the running clock until the next update;
 * bukan_wewenang ends them (the next agency starts fresh ones when it receives the complaint); selesai and
 * diarsipkan end them. Working-day durations run on the region's own calendar (src/calendar.ts).
 *
 * Pure: given the clock fields of a record and an event, what to write — record fields, the deadline set, the
 * performance aggregates (src/performance.ts) — for the caller's script to apply in the same step as the event.
 * A record carries `stage`, `stageStart`, `due` (ms), `pausedAt` (ms), `pauses` (closed pauses of the stage, JSON),
 * `escalated` (stages already escalated), `overdue` ('1' while counted in the region's overdue figure).
 */
import { clockFor, deadlineOn, elapsedOn, type Duration, type Pause, type WorkingCalendar } from './calendar.js';
import type { AgencyStatus } from './lifecycle.js';
import { performanceOps, type PerformanceEvent } from './performance.js';
import type { RedisOp } from './redis-ops.js';
import type { RecordChange } from './status.js';

export type Stage = 'firstResponse' | 'followUp';

export interface ClockSettings { firstResponse: Duration; followUp: Duration; calendar: WorkingCalendar }

export interface ClockState {
  stage: Stage | null;
  stageStart: number | null;
  due: number | null;
  pausedAt: number | null;
  pauses: Array<[number, number]>;
}

export const CLOCK_FIELDS = ['stage', 'stageStart', 'due', 'pausedAt', 'pauses'] as const;

export function clockState(fields: Partial<Record<(typeof CLOCK_FIELDS)[number], string | null>>): ClockState {
  const num = (v: string | null | undefined) => (v ? Number(v) : null);
  return {
    stage: (fields.stage || null) as Stage | null,
    stageStart: num(fields.stageStart), due: num(fields.due), pausedAt: num(fields.pausedAt),
    pauses: fields.pauses ? (JSON.parse(fields.pauses) as Array<[number, number]>) : [],
  };
}

/** What an event does to the clocks. */
export interface ClockChange {
  /** Record fields to set, and to remove. */
  set: Record<string, string>;
  unset: string[];
  /** The deadline set: the stage's new due time, or out of it (no clock running). */
  deadline: number | null;
  /** The stage that was running ended or gave way to the next: an overdue count for it ends too. */
  endsStage: boolean;
  /** Counted in the performance aggregates with the event. */
  performance: PerformanceEvent[];
  /** Stage durations completed, for the metrics (hours on the stage's clock). */
  completed: Array<{ stage: Stage; hours: number; withinDeadline: boolean }>;
}

const durationOf = (stage: Stage, s: ClockSettings) => (stage === 'firstResponse' ? s.firstResponse : s.followUp);
const asPauses = (pauses: Array<[number, number]>): Pause[] => pauses.map(([from, to]) => ({ from: new Date(from), to: new Date(to) }));

/** The due time of `stage` started at `start` on the region's clock, skipping closed pauses. */
function dueOf(stage: Stage, start: number, pauses: Pause[], code: string, s: ClockSettings): number {
  const duration = durationOf(stage, s);
  return deadlineOn(clockFor(duration, code, s.calendar), new Date(start), duration.ms, pauses)!.getTime();
}

/** Delivered to the agency that has it now: its first-response clock starts, fresh. */
export function clockAtDelivery(at: Date, code: string, s: ClockSettings): ClockChange {
  const start = at.getTime();
  const due = dueOf('firstResponse', start, [], code, s);
  return {
    set: { stage: 'firstResponse', stageStart: String(start), due: String(due) },
    unset: ['pausedAt', 'pauses', 'escalated', 'overdue'],
    deadline: due, endsStage: false, performance: [{ type: 'delivered', code, at }], completed: [],
  };
}

/** The agency's update `status` at `at`, for a complaint whose clocks are `state`, at region `code`. */
export function clockAtUpdate(state: ClockState, status: AgencyStatus, at: Date, code: string, s: ClockSettings): ClockChange {
  const now = at.getTime();
  const change: ClockChange = { set: {}, unset: [], deadline: null, endsStage: false, performance: [], completed: [] };
  let { stage, stageStart, due, pausedAt } = state;
  let pauses = state.pauses;
  // A paused clock runs again with any other update; the pause is kept so the stage's time leaves it out.
  if (pausedAt !== null && status !== 'ditunda') {
    pauses = [...pauses, [pausedAt, now]];
    pausedAt = null;
    if (stage && stageStart !== null) due = dueOf(stage, stageStart, asPauses(pauses), code, s);
  }
  const complete = (done: Stage) => {
    const duration = durationOf(done, s);
    const ms = elapsedOn(clockFor(duration, code, s.calendar), new Date(stageStart ?? now), at, asPauses(pauses));
    const withinDeadline = due === null || now <= due;
    change.performance.push({ type: done, code, at, durationMs: ms, withinDeadline });
    change.completed.push({ stage: done, hours: ms / 3_600_000, withinDeadline });
    change.endsStage = true;
  };
  const followedUp = status === 'ditindaklanjuti' || status === 'selesai';
  if (stage === 'firstResponse') {
    complete('firstResponse');
    if (followedUp) {
      // The first answer was the follow-up itself: both stages met at once.
      stageStart = now;
      pauses = [];
      due = null;
      complete('followUp');
      stage = null;
    } else {
      stage = 'followUp';
      stageStart = now;
      pauses = [];
      due = dueOf('followUp', now, [], code, s);
    }
  } else if (stage === 'followUp' && followedUp) {
    complete('followUp');
    stage = null;
  }
  if (status === 'selesai') change.performance.push({ type: 'resolved', code, at });
  if (status === 'bukan_wewenang') change.performance.push({ type: 'reRouted', code, at });
  if (status === 'selesai' || status === 'diarsipkan' || status === 'bukan_wewenang') {
    change.endsStage ||= stage !== null;
    stage = null;
  }
  if (status === 'ditunda' && stage && pausedAt === null) pausedAt = now;

  if (!stage) {
    change.unset.push('stage', 'stageStart', 'due', 'pausedAt', 'pauses');
    return change;
  }
  change.set = { stage, stageStart: String(stageStart), due: String(due), pauses: JSON.stringify(pauses) };
  if (pausedAt !== null) change.set.pausedAt = String(pausedAt);
  else change.unset.push('pausedAt');
  // A paused clock has no deadline to reach.
  change.deadline = pausedAt === null ? due : null;
  return change;
}

/** A clock change as the record change a status script applies (with its performance counts and `extra` commands). */
export function recordChange(prefix: string, change: ClockChange, extra: RedisOp[] = []): RecordChange {
  return { set: change.set, unset: change.unset, deadline: change.deadline, endsStage: change.endsStage, ops: [...change.performance.flatMap((event) => performanceOps(prefix, event)), ...extra] };
}

/** The clock settings from the configuration: the two deadlines and the calendar with its holidays. */
export function clockSettings(config: { DEADLINE_FIRST_RESPONSE: Duration; DEADLINE_FOLLOW_UP: Duration }, calendar: WorkingCalendar): ClockSettings {
  return { firstResponse: config.DEADLINE_FIRST_RESPONSE, followUp: config.DEADLINE_FOLLOW_UP, calendar };
}
