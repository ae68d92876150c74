/**
 * Which systems InfluxDB history's compaction reads in one query (server/store/influx/history.ts,
 * readGroups): one Flux program per group instead of per system-day, at most 100 000 rows a
 * group unless one system alone has more, at least two groups (one per worker).
 */
import { describe, expect, it } from "vitest";
import { readGroups, type SystemDay } from "../../../server/store/influx/history.ts";

const hourly = (n: number, rows = 7200): SystemDay[] =>
  Array.from({ length: n }, (_, i) => ({ system: `s${i}`, rows }));
const sizes = (groups: string[][]) => groups.map((g) => g.length);

describe("readGroups", () => {
  it("shares the bench day (20 hourly systems of 7 200 rows) out into two groups of 10, in order", () => {
    const groups = readGroups(hourly(20));
    expect(sizes(groups)).toEqual([10, 10]);
    expect(groups.flat()).toEqual(hourly(20).map((s) => s.system));
  });

  it("keeps each group within the day's rows over the groups it needs", () => {
    // 50 × 7 200 = 360 000 rows need 4 reads: groups of ≤ 90 000 rows (12 systems), the rest after
    expect(sizes(readGroups(hourly(50)))).toEqual([12, 12, 12, 12, 2]);
    expect(sizes(readGroups(hourly(10, 1000), 2500))).toEqual([2, 2, 2, 2, 2]);
    // exactly the budget still fits: 4 × 1 000 = the 4 000 each of two groups may read
    expect(sizes(readGroups(hourly(8, 1000), 5000))).toEqual([4, 4]);
  });

  it("reads a system with more rows than a read alone (a 5 s agent's day), and the rest beside it", () => {
    const day: SystemDay[] = [
      { system: "a", rows: 100 },
      { system: "busy", rows: 5_184_000 },
      { system: "b", rows: 100 },
      { system: "c", rows: 100 },
    ];
    expect(readGroups(day)).toEqual([["a"], ["busy"], ["b", "c"]]);
  });

  it("one system is one group; two small ones are two; none is none", () => {
    expect(readGroups(hourly(1))).toEqual([["s0"]]);
    expect(readGroups(hourly(2, 10))).toEqual([["s0"], ["s1"]]);
    expect(readGroups([])).toEqual([]);
  });

  it("a system whose rows are not known (NaN) is read alone", () => {
    expect(readGroups([...hourly(3, 10), { system: "x", rows: Number.NaN }])).toEqual([
      ["s0"],
      ["s1"],
      ["s2"],
      ["x"],
    ]);
  });
});
