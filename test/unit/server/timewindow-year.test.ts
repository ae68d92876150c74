/**
 * Time windows over long spans and at their edges, found untested by the mutation run of
 * server/timewindow.ts: a year in Berlin (two offset changes between `from` and `to`, with the same
 * offset at both ends), an empty or reversed [from, to), and dates read as their own day.
 */
import { Settings } from "luxon";
import { describe, expect, it } from "vitest";
import { parseDate, windowsBetween } from "../../../server/timewindow.ts";

const at = (iso: string) => Date.parse(iso);

describe("windowsBetween over a year", () => {
  it("10:00–11:00 in Berlin every day of 2026: 09:00Z in winter, 08:00Z in summer, one range a day", () => {
    const ranges = windowsBetween(
      { start: 10 * 3600, end: 11 * 3600, zone: "Europe/Berlin" },
      at("2026-01-01T00:00:00Z"),
      at("2026-12-31T00:00:00Z"),
    );
    expect(ranges).toHaveLength(364);
    const on = (day: string) => ranges.find((r) => new Date(r.start).toISOString().startsWith(day));
    expect(on("2026-01-05")).toEqual({ start: at("2026-01-05T09:00:00Z"), stop: at("2026-01-05T10:00:00Z") });
    expect(on("2026-03-28")).toEqual({ start: at("2026-03-28T09:00:00Z"), stop: at("2026-03-28T10:00:00Z") });
    expect(on("2026-03-29")).toEqual({ start: at("2026-03-29T08:00:00Z"), stop: at("2026-03-29T09:00:00Z") });
    expect(on("2026-07-01")).toEqual({ start: at("2026-07-01T08:00:00Z"), stop: at("2026-07-01T09:00:00Z") });
    expect(on("2026-10-25")).toEqual({ start: at("2026-10-25T09:00:00Z"), stop: at("2026-10-25T10:00:00Z") });
    expect(on("2026-12-30")).toEqual({ start: at("2026-12-30T09:00:00Z"), stop: at("2026-12-30T10:00:00Z") });
    for (let i = 1; i < ranges.length; i++) {
      expect((ranges[i]?.start ?? 0) - (ranges[i - 1]?.start ?? 0)).toBeGreaterThanOrEqual(23 * 3600_000);
    }
  });

  it("an empty or reversed [from, to) has no ranges", () => {
    const spec = { zone: "Europe/Berlin" };
    const t = at("2026-03-10T00:00:00Z");
    expect(windowsBetween(spec, t, t)).toEqual([]);
    expect(windowsBetween(spec, t + 1, t)).toEqual([]);
    expect(windowsBetween(spec, t, t + 1)).toEqual([{ start: t, stop: t + 1 }]);
  });
});

describe("parseDate", () => {
  it("gives the same wall-time midnight whatever zone the server runs in", () => {
    const before = Settings.defaultZone;
    try {
      for (const zone of ["Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata"]) {
        Settings.defaultZone = zone;
        expect(parseDate("2026-03-10"), zone).toBe(Date.UTC(2026, 2, 10));
      }
    } finally {
      Settings.defaultZone = before;
    }
  });

  it("reads a date as the midnight of that day (in wall time), leap days only in leap years", () => {
    expect(parseDate("2026-03-10")).toBe(Date.UTC(2026, 2, 10));
    expect(parseDate("1999-12-31")).toBe(Date.UTC(1999, 11, 31));
    expect(parseDate("2028-02-29")).toBe(Date.UTC(2028, 1, 29));
    expect(parseDate("2026-02-29")).toBeUndefined();
    expect(parseDate("2026-04-31")).toBeUndefined();
  });
});
