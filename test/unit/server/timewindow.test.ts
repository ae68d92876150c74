/** Time-of-day windows → absolute ranges, in a zone, across midnight and daylight-saving changes. */
import { describe, expect, it } from "vitest";
import {
  daysBetween,
  isValidZone,
  localDay,
  parseTimeOfDay,
  today,
  windowOnDay,
  windowsBetween,
} from "../../../server/timewindow.ts";

const utc = (iso: string) => Date.parse(iso);
const range = (start: string, stop: string) => ({ start: utc(start), stop: utc(stop) });
const spec = (start: string | undefined, end: string | undefined, zone: string) => ({
  start: start === undefined ? undefined : parseTimeOfDay(start),
  end: end === undefined ? undefined : parseTimeOfDay(end),
  zone,
});
const day = (date: string, zone: string) => {
  const d = localDay(date, zone);
  if (!d) throw new Error(`no day ${date}`);
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

describe("windowOnDay", () => {
  it("an ordinary window, and a whole day when no times are given", () => {
    expect(windowOnDay(spec("08:00", "09:30", "UTC"), day("2026-01-15", "UTC"))).toEqual(
      range("2026-01-15T08:00:00Z", "2026-01-15T09:30:00Z"),
    );
    expect(windowOnDay(spec(undefined, undefined, "Asia/Tokyo"), day("2026-01-15", "Asia/Tokyo"))).toEqual(
      range("2026-01-14T15:00:00Z", "2026-01-15T15:00:00Z"),
    );
  });

  it("an end earlier than (or equal to) the start crosses midnight", () => {
    expect(windowOnDay(spec("22:00", "02:00", "UTC"), day("2026-01-15", "UTC"))).toEqual(
      range("2026-01-15T22:00:00Z", "2026-01-16T02:00:00Z"),
    );
  });

  it("wall-clock times on DST days: 01:30–03:30 lasts 1 h in spring and 3 h in autumn (Berlin)", () => {
    const zone = "Europe/Berlin";
    expect(windowOnDay(spec("01:30", "03:30", zone), day("2026-03-29", zone))).toEqual(
      range("2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"),
    );
    expect(windowOnDay(spec("01:30", "03:30", zone), day("2026-10-25", zone))).toEqual(
      range("2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z"),
    );
    // The whole day has 23 and 25 hours.
    const spring = windowOnDay(spec(undefined, undefined, zone), day("2026-03-29", zone));
    const autumn = windowOnDay(spec(undefined, undefined, zone), day("2026-10-25", zone));
    expect((spring.stop - spring.start) / 3_600_000).toBe(23);
    expect((autumn.stop - autumn.start) / 3_600_000).toBe(25);
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
});

describe("days and zones", () => {
  it("daysBetween counts the local days [from, to) touches", () => {
    expect(daysBetween(utc("2026-01-01T00:00:00Z"), utc("2026-01-01T01:00:00Z"), "UTC")).toBe(1);
    expect(daysBetween(utc("2026-01-01T23:00:00Z"), utc("2026-01-02T01:00:00Z"), "UTC")).toBe(2);
    // the same instants are one day in Tokyo (08:00 to 10:00 on 2 January)
    expect(daysBetween(utc("2026-01-01T23:00:00Z"), utc("2026-01-02T01:00:00Z"), "Asia/Tokyo")).toBe(1);
    expect(daysBetween(utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"), "UTC")).toBe(366);
  });

  it("localDay refuses dates that are not calendar dates; today is in the zone", () => {
    expect(localDay("2026-02-30", "UTC")).toBeUndefined();
    expect(localDay("2026-2-3", "UTC")).toBeUndefined();
    expect(localDay("2026-02-28", "UTC")?.toISO()).toBe("2026-02-28T00:00:00.000Z");
    expect(today("Asia/Tokyo", utc("2026-01-01T20:00:00Z")).toISODate()).toBe("2026-01-02");
    expect(isValidZone("Europe/Berlin")).toBe(true);
    expect(isValidZone("Nowhere/City")).toBe(false);
  });
});
