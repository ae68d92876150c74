/**
 * Time-of-day windows → absolute time ranges, one per local day, in an IANA zone and correct across
 * daylight-saving changes. Both stores receive the ranges, so the meaning of "00:30 to 01:05" is
 * decided once, here.
 */
import { DateTime, IANAZone } from "luxon";
import { DATE, TIME_OF_DAY } from "../common/wire.ts";
import type { TimeRange } from "./store/types.ts";

/** Seconds since local midnight. */
export type TimeOfDay = number;

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

/** Wall-clock time on a local day (not "seconds after midnight": DST days have 23 or 25 hours). */
function at(day: DateTime, secondOfDay: TimeOfDay): DateTime {
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  return day.startOf("day").set({ hour, minute, second: secondOfDay % 60 });
}

/** The window anchored on one local day (it ends on the next day when it crosses midnight). */
export function windowOnDay(spec: WindowSpec, day: DateTime): TimeRange {
  const start = at(day, spec.start ?? 0);
  let stop: DateTime;
  if (spec.end === undefined) stop = day.startOf("day").plus({ days: 1 });
  // Stryker disable next-line ConditionalExpression: equivalent — with no start, `end <= undefined` is false anyway
  else if (spec.start !== undefined && spec.end <= spec.start)
    stop = at(day.plus({ days: 1 }), spec.end); // crosses midnight: 22:00 → 02:00
  else stop = at(day, spec.end);
  return { start: start.toMillis(), stop: stop.toMillis() };
}

/** A calendar date "YYYY-MM-DD" in the zone → that local day; undefined when not a real date. */
export function localDay(date: string, zone: string): DateTime | undefined {
  const day = DateTime.fromISO(date, { zone });
  return day.isValid && DATE.test(date) ? day.startOf("day") : undefined;
}

export function today(zone: string, nowMs: number): DateTime {
  return DateTime.fromMillis(nowMs, { zone }).startOf("day");
}

/**
 * The window on every local day whose occurrence overlaps [from, to), clipped to it. Ranges are
 * ascending and disjoint. Callers bound the work first (daysBetween, MAX_QUERY_DAYS).
 */
export function windowsBetween(spec: WindowSpec, from: number, to: number): TimeRange[] {
  const ranges: TimeRange[] = [];
  // A window anchored on the day before `from` can cross midnight into it.
  let day = DateTime.fromMillis(from, { zone: spec.zone }).startOf("day").minus({ days: 1 });
  // Stryker disable next-line EqualityOperator: equivalent — a day starting exactly at `to` is clipped to nothing and dropped below
  while (day.toMillis() < to) {
    const w = windowOnDay(spec, day);
    const start = Math.max(w.start, from);
    const stop = Math.min(w.stop, to);
    if (start < stop) ranges.push({ start, stop });
    day = day.plus({ days: 1 });
  }
  return ranges;
}

/** How many local days [from, to) touches: what a request costs. */
export function daysBetween(from: number, to: number, zone: string): number {
  const a = DateTime.fromMillis(from, { zone }).startOf("day");
  const b = DateTime.fromMillis(to, { zone }).startOf("day");
  return Math.round(b.diff(a, "days").days) + 1;
}
