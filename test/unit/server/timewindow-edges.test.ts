/**
 * Edges of time windows and runs that mutation testing (npm run mutate) found unpinned: a window
 * whose end equals its start, dates with trailing text, a window clipped to nothing, and run pids
 * listed ascending whatever order the store reads them in.
 */
import { describe, expect, it } from "vitest";
import { assembleDuration } from "../../../server/store/runs.ts";
import { parseDate, windowsBetween, windowsOnDay } from "../../../server/timewindow.ts";

const H = 3600;

describe("time window edges", () => {
  it("a window ending where it starts covers the whole day, crossing midnight", () => {
    const day = parseDate("2026-03-02") as number;
    expect(windowsOnDay({ start: 10 * H, end: 10 * H, zone: "UTC" }, day)).toEqual([
      { start: Date.parse("2026-03-02T10:00:00Z"), stop: Date.parse("2026-03-03T10:00:00Z") },
    ]);
  });

  it("a date with anything after it is not a date", () => {
    expect(parseDate("2026-01-05")).toBe(Date.parse("2026-01-05T00:00:00Z"));
    expect(parseDate("2026-01-05T10:00")).toBeUndefined();
    expect(parseDate("x2026-01-05")).toBeUndefined();
    expect(parseDate("2026-02-30")).toBeUndefined();
  });

  it("a window clipped to nothing gives no empty range", () => {
    // 09:00–17:00 from exactly 17:00 to the next day's 09:00: nothing.
    const spec = { start: 9 * H, end: 17 * H, zone: "UTC" };
    expect(
      windowsBetween(spec, Date.parse("2026-03-02T17:00:00Z"), Date.parse("2026-03-03T09:00:00Z")),
    ).toEqual([]);
  });
});

describe("runs", () => {
  it("list a run's pids ascending whatever order they come in", () => {
    const facts = assembleDuration(
      [
        { pid: 30, first: 1000, last: 9000 },
        { pid: 7, first: 1000, last: 9000 },
        { pid: 200, first: 5000, last: 9000 },
      ],
      [],
      [],
    );
    expect(facts.runs).toEqual([{ start: 1000, end: 9000, pids: [7, 30, 200] }]);
  });
});
