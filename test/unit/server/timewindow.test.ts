/**
 * Time-of-day windows → absolute ranges, in a zone, across midnight and daylight-saving changes.
 * The rule: an instant belongs when its wall-clock time in the zone lies in [start, end) on the
 * local day (so a fall-back window over the repeated time has both occurrences, and wall-clock
 * times that do not exist match nothing). test/api/dst.test.ts checks it on stored samples.
 */
import { describe, expect, it } from "vitest";
import {
  isValidZone,
  parseDate,
  parseTimeOfDay,
  spanDays,
  today,
  windowsBetween,
  windowsOnDay,
} from "../../../server/timewindow.ts";

const utc = (iso: string) => Date.parse(iso);
const range = (start: string, stop: string) => ({ start: utc(start), stop: utc(stop) });
const spec = (start: string | undefined, end: string | undefined, zone: string) => ({
  start: start === undefined ? undefined : parseTimeOfDay(start),
  end: end === undefined ? undefined : parseTimeOfDay(end),
  zone,
});
const day = (date: string) => {
  const d = parseDate(date);
  if (d === undefined) throw new Error(`no day ${date}`);
  return d;
};

describe("parseTimeOfDay", () => {
  it("reads HH:MM and HH:MM:SS as seconds since midnight; refuses anything else", () => {
    expect(parseTimeOfDay("00:00")).toBe(0);
    expect(parseTimeOfDay("09:05")).toBe(9 * 3600 + 5 * 60);
    expect(parseTimeOfDay("23:59:59")).toBe(86_399);
    for (const bad of ["24:00", "9:05", "12:60", "12:00:60", "12:00:00.5", " 12:00", ""]) {
      expect(parseTimeOfDay(bad), bad).toBeUndefined();
    }
  });
});

describe("windowsOnDay", () => {
  it("an ordinary window, and a whole day when no times are given", () => {
    expect(windowsOnDay(spec("08:00", "09:30", "UTC"), day("2026-01-15"))).toEqual([
      range("2026-01-15T08:00:00Z", "2026-01-15T09:30:00Z"),
    ]);
    expect(windowsOnDay(spec(undefined, undefined, "Asia/Tokyo"), day("2026-01-15"))).toEqual([
      range("2026-01-14T15:00:00Z", "2026-01-15T15:00:00Z"),
    ]);
  });

  it("an end earlier than (or equal to) the start crosses midnight", () => {
    expect(windowsOnDay(spec("22:00", "02:00", "UTC"), day("2026-01-15"))).toEqual([
      range("2026-01-15T22:00:00Z", "2026-01-16T02:00:00Z"),
    ]);
  });

  it("Berlin: 01:30–03:30 lasts 1 h in spring and 3 h in autumn; whole days of 23 and 25 hours", () => {
    const zone = "Europe/Berlin";
    expect(windowsOnDay(spec("01:30", "03:30", zone), day("2026-03-29"))).toEqual([
      range("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"),
    ]);
    expect(windowsOnDay(spec("01:30", "03:30", zone), day("2026-10-25"))).toEqual([
      range("2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z"),
    ]);
    const [spring] = windowsOnDay(spec(undefined, undefined, zone), day("2026-03-29"));
    const [autumn] = windowsOnDay(spec(undefined, undefined, zone), day("2026-10-25"));
    expect(spring && (spring.stop - spring.start) / 3_600_000).toBe(23);
    expect(autumn && (autumn.stop - autumn.start) / 3_600_000).toBe(25);
  });

  it("fall back: a window inside the repeated hour has both occurrences (New York, 1 Nov 2026)", () => {
    expect(windowsOnDay(spec("01:10", "01:20", "America/New_York"), day("2026-11-01"))).toEqual([
      range("2026-11-01T05:10:00Z", "2026-11-01T05:20:00Z"),
      range("2026-11-01T06:10:00Z", "2026-11-01T06:20:00Z"),
    ]);
  });

  it("spring forward: times that do not exist match nothing (New York, 8 Mar 2026)", () => {
    expect(windowsOnDay(spec("02:00", "03:00", "America/New_York"), day("2026-03-08"))).toEqual([]);
    expect(windowsOnDay(spec("02:30", "03:30", "America/New_York"), day("2026-03-08"))).toEqual([
      range("2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"),
    ]);
  });

  it("a 30-minute shift: Lord Howe's 01:30–02:00 on 5 Apr 2026 happens twice", () => {
    expect(windowsOnDay(spec("01:30", "02:00", "Australia/Lord_Howe"), day("2026-04-05"))).toEqual([
      range("2026-04-04T14:30:00Z", "2026-04-04T15:30:00Z"),
    ]);
    expect(windowsOnDay(spec("01:40", "01:50", "Australia/Lord_Howe"), day("2026-04-05"))).toEqual([
      range("2026-04-04T14:40:00Z", "2026-04-04T14:50:00Z"),
      range("2026-04-04T15:10:00Z", "2026-04-04T15:20:00Z"),
    ]);
  });
});

describe("windowsBetween", () => {
  it("one clipped range per local day, including the window that crosses into the first day", () => {
    expect(
      windowsBetween(spec("23:00", "01:00", "UTC"), utc("2026-01-01T00:00:00Z"), utc("2026-01-03T00:00:00Z")),
    ).toEqual([
      range("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"),
      range("2026-01-01T23:00:00Z", "2026-01-02T01:00:00Z"),
      range("2026-01-02T23:00:00Z", "2026-01-03T00:00:00Z"),
    ]);
  });

  it("ranges are ascending and disjoint, in the zone's days", () => {
    const ranges = windowsBetween(
      spec("09:00", "17:00", "America/New_York"),
      utc("2026-03-06T00:00:00Z"),
      utc("2026-03-10T00:00:00Z"),
    );
    expect(ranges).toEqual([
      range("2026-03-06T14:00:00Z", "2026-03-06T22:00:00Z"),
      range("2026-03-07T14:00:00Z", "2026-03-07T22:00:00Z"),
      // 8 March 2026: clocks go forward in New York, 09:00 is now UTC-4
      range("2026-03-08T13:00:00Z", "2026-03-08T21:00:00Z"),
      range("2026-03-09T13:00:00Z", "2026-03-09T21:00:00Z"),
    ]);
  });

  it("stays ascending when a window crossing midnight meets a fall-back night", () => {
    const ranges = windowsBetween(
      spec("01:40", "01:20", "America/New_York"),
      utc("2026-10-31T00:00:00Z"),
      utc("2026-11-03T00:00:00Z"),
    );
    for (let i = 1; i < ranges.length; i++) {
      expect((ranges[i - 1]?.stop ?? 0) < (ranges[i]?.start ?? 0)).toBe(true);
    }
  });
});

describe("days and zones", () => {
  it("spanDays counts calendar days of [from, to) in the zone: midnight to midnight a week later is 7", () => {
    expect(spanDays(utc("2026-01-01T00:00:00Z"), utc("2026-01-08T00:00:00Z"), "UTC")).toBe(7);
    expect(spanDays(utc("2026-01-01T12:00:00Z"), utc("2026-01-02T00:00:00Z"), "UTC")).toBe(0.5);
    // New York springs forward on 8 March: 167 hours, 7 days on the calendar.
    expect(spanDays(utc("2026-03-05T05:00:00Z"), utc("2026-03-12T04:00:00Z"), "America/New_York")).toBe(7);
    expect(spanDays(utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"), "UTC")).toBe(365);
  });

  it("parseDate refuses dates that are not calendar dates; today is in the zone", () => {
    expect(parseDate("2026-02-30")).toBeUndefined();
    expect(parseDate("2026-2-3")).toBeUndefined();
    expect(parseDate("2026-02-28")).toBe(utc("2026-02-28T00:00:00Z"));
    expect(today("Asia/Tokyo", utc("2026-01-01T20:00:00Z"))).toBe(utc("2026-01-02T00:00:00Z"));
    expect(isValidZone("Europe/Berlin")).toBe(true);
    expect(isValidZone("Nowhere/City")).toBe(false);
  });
});
