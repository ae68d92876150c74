/**
 * Time-of-day windows → absolute time ranges, in an IANA zone. Both stores receive the ranges, so
 * the meaning of "00:30 to 01:05" is decided once, here:
 *
 *   A sample belongs to a window when the wall-clock time in the zone at the sample's instant lies
 *   in [start_time, end_time) on the requested local day (a window whose end is not after its start
 *   runs into the next day: 22:00 → 02:00).
 *
 * So on a fall-back day a window over the repeated hour includes both of its occurrences, and on a
 * spring-forward day wall times that do not exist match nothing (02:00–03:00 in Berlin on the last
 * Sunday of March is empty; 02:30–03:30 is the half hour from 03:00).
 *
 * The arithmetic is done on "wall time": the wall clock read as if it were UTC, in milliseconds.
 * There every local day is exactly 24 hours long, a window is one interval, and the instants whose
 * wall time lies in an interval are found piece by piece between the zone's offset changes.
 */
import { DateTime, IANAZone } from "luxon";
import { DATE, DAY_MS, TIME_OF_DAY } from "../common/wire.ts";
import type { TimeRange } from "./store/types.ts";

/** Seconds since local midnight. */
export type TimeOfDay = number;

/** Every UTC offset in use lies within ±14 h: a wall interval's instants lie within this much of it. */
const MAX_OFFSET_MS = 18 * 3600_000;
/** Offsets are sampled this far apart; no zone has changed its offset twice within it since 1970. */
const STEP_MS = 6 * 3600_000;

/** "HH:MM" or "HH:MM:SS" → seconds since midnight; undefined when malformed. */
export function parseTimeOfDay(text: string): TimeOfDay | undefined {
  if (!TIME_OF_DAY.test(text)) return undefined;
  const [h = 0, m = 0, s = 0] = text.split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export interface WindowSpec {
  /** Start of the window, inclusive; undefined = local midnight. */
  start?: TimeOfDay | undefined;
  /** End of the window, exclusive; undefined = the next local midnight. */
  end?: TimeOfDay | undefined;
  zone: string;
}

/** A stretch of instants over which the zone's offset from UTC is constant. */
interface Piece {
  start: number;
  stop: number;
  /** wall time = instant + offset */
  offset: number;
}

const offsetAt = (zone: IANAZone, t: number): number => zone.offset(t) * 60_000;

/** [from, to) cut where the zone's offset changes (found to the millisecond by bisection). */
function pieces(zone: IANAZone, from: number, to: number): Piece[] {
  // Stryker disable next-line ArrayDeclaration: equivalent because instantsOf() skips a piece that is not one (NaN bounds)
  const out: Piece[] = [];
  let start = from;
  let offset = offsetAt(zone, from);
  for (let t = from; t < to; ) {
    const next = Math.min(t + STEP_MS, to);
    // Stryker disable next-line ConditionalExpression: equivalent when true because bisecting where the offset does not change cuts a piece in two with the same offset, and the ranges of touching pieces are joined
    if (offsetAt(zone, next) !== offset) {
      let lo = t;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(zone, mid) === offset) lo = mid;
        else hi = mid;
      }
      out.push({ start, stop: hi, offset });
      start = hi;
      offset = offsetAt(zone, hi);
      t = hi;
    } else {
      t = next;
    }
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because an empty piece gives no instants in instantsOf()
  if (start < to) out.push({ start, stop: to, offset });
  return out;
}

/** The instants whose wall time lies in [wallStart, wallStop), given the pieces covering them. */
function instantsOf(ps: readonly Piece[], wallStart: number, wallStop: number): TimeRange[] {
  const out: TimeRange[] = [];
  for (const p of ps) {
    const start = Math.max(p.start, wallStart - p.offset);
    const stop = Math.min(p.stop, wallStop - p.offset);
    if (start < stop) out.push({ start, stop });
  }
  return out;
}

/** The window on one local day, as a wall-time interval; `day` is that day's midnight in wall time. */
function wallWindow(spec: WindowSpec, day: number): [number, number] {
  const start = day + (spec.start ?? 0) * 1000;
  let stop = day + DAY_MS;
  if (spec.end !== undefined) {
    stop = day + spec.end * 1000;
    // Stryker disable next-line ConditionalExpression: equivalent because with no start, end <= undefined is false anyway
    if (spec.start !== undefined && spec.end <= spec.start) stop += DAY_MS; // 22:00 → 02:00
  }
  return [start, stop];
}

/** Ascending, with touching ranges joined (instantsOf() gives no empty ones). */
function normalise(ranges: TimeRange[]): TimeRange[] {
  // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: equivalent in every case tried: instantsOf() yields ascending ranges (pieces are ascending) and consecutive days' windows are disjoint in wall time; the sort is kept as a guard
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.stop) last.stop = Math.max(last.stop, r.stop);
    else out.push({ ...r });
  }
  return out;
}

/** Midnight, in wall time, of the local day an instant falls on. */
function wallDayOf(zone: IANAZone, t: number): number {
  const wall = t + offsetAt(zone, t);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

/** A calendar date "YYYY-MM-DD" → its midnight in wall time; undefined when not a real date. */
export function parseDate(text: string): number | undefined {
  if (!DATE.test(text)) return undefined;
  const [year, month, date] = text.split("-").map(Number);
  const day = DateTime.fromObject({ year, month, day: date }, { zone: "UTC" });
  return day.isValid ? day.toMillis() : undefined;
}

/** Today's midnight in wall time, in the zone. */
export function today(zone: string, nowMs: number): number {
  return wallDayOf(IANAZone.create(zone), nowMs);
}

/** The window on one local day (`day` from parseDate or today): one range, two on a fall-back day. */
export function windowsOnDay(spec: WindowSpec, day: number): TimeRange[] {
  const zone = IANAZone.create(spec.zone);
  const [wallStart, wallStop] = wallWindow(spec, day);
  return normalise(
    instantsOf(pieces(zone, wallStart - MAX_OFFSET_MS, wallStop + MAX_OFFSET_MS), wallStart, wallStop),
  );
}

/**
 * The window on every local day, clipped to [from, to): the instants in [from, to) whose wall time
 * lies in the window of its day. Ranges are ascending and disjoint.
 */
export function windowsBetween(spec: WindowSpec, from: number, to: number): TimeRange[] {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because for from >= to there are no pieces, hence no instants (the early return saves the work)
  if (!(from < to)) return [];
  const zone = IANAZone.create(spec.zone);
  const ps = pieces(zone, from, to);
  const ranges: TimeRange[] = [];
  // A window anchored on the day before `from` can cross midnight into it.
  const last = wallDayOf(zone, to);
  for (let day = wallDayOf(zone, from) - DAY_MS; day <= last; day += DAY_MS) {
    const [wallStart, wallStop] = wallWindow(spec, day);
    ranges.push(...instantsOf(ps, wallStart, wallStop));
  }
  return normalise(ranges);
}

/**
 * How many days [from, to) spans, on the zone's calendar (fractional): midnight to midnight a week
 * later is 7 whether or not the clocks changed in between. `to` is exclusive, so a span of exactly
 * MAX_QUERY_DAYS days is allowed.
 */
export function spanDays(from: number, to: number, zone: string): number {
  const z = IANAZone.create(zone);
  return (to + offsetAt(z, to) - (from + offsetAt(z, from))) / DAY_MS;
}
