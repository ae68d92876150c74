/**
 * Where sightings are cut into stretches (server/store/stretches.ts), found untested by its first
 * mutation run (docs/testing.md): at UTC midnight even 5 s apart, exactly at the allowance and a
 * millisecond past it, at RUN_GAP_SECONDS when 3 intervals are longer, by the longer allowance of
 * two neighbouring instants; spans by pid whatever order an instant's processes come in. And
 * compactSorted() (the embedded store's compaction, rows in (instant, pid) order) against compact()
 * on the same sightings, explicit cases and random ones.
 */
import { describe, expect, it } from "vitest";
import { compact, compactSorted, type Stretch } from "../../../server/store/stretches.ts";
import type { Sighting } from "../../../server/store/types.ts";

const D = Date.UTC(2026, 4, 1);
const GAP = 15_000;
const s = (timestamp: number, pid: number, started_at?: number, interval_ms?: number): Sighting => ({
  system_name: "box",
  timestamp,
  pid,
  started_at,
  interval_ms,
});
/** compactSorted() of the same sightings: rows sorted by (instant, pid), each instant's interval. */
const sorted = (sightings: Sighting[]): Stretch[] => {
  const rows = [...sightings]
    .sort((a, b) => a.timestamp - b.timestamp || a.pid - b.pid)
    .map((x) => [x.timestamp, x.pid, x.started_at ?? null] as const);
  const intervals = new Map(sightings.map((x) => [x.timestamp, x.interval_ms]));
  return compactSorted("box", rows, intervals, GAP);
};
/** Both compactions, which must agree; [start, end, samples] of each stretch, relative to D. */
const cut = (sightings: Sighting[]) => {
  const a = compact("box", sightings, GAP);
  expect(sorted(sightings)).toEqual(a);
  return a.map((x) => [x.start - D, x.end - D, x.samples]);
};

describe("compact() and compactSorted(): where stretches are cut", () => {
  it("at UTC midnight, even between instants 5 s apart", () => {
    expect(cut([s(D - 5000, 1, 0, 5000), s(D, 1, 0, 5000), s(D + 5000, 1, 0, 5000)])).toEqual([
      [-5000, -5000, 1],
      [0, 5000, 2],
    ]);
  });

  it("exactly 3 intervals apart is one stretch, a millisecond more two", () => {
    expect(cut([s(D, 1, 0, 5000), s(D + 15_000, 1, 0, 5000)])).toEqual([[0, 15_000, 2]]);
    expect(cut([s(D, 1, 0, 5000), s(D + 15_001, 1, 0, 5000)])).toEqual([
      [0, 0, 1],
      [15_001, 15_001, 1],
    ]);
    expect(cut([s(D, 1, 0, 1000), s(D + 3000, 1, 0, 1000), s(D + 6001, 1, 0, 1000)])).toEqual([
      [0, 3000, 2],
      [6001, 6001, 1],
    ]);
  });

  it("at RUN_GAP_SECONDS when 3 intervals are longer (a 60 s agent: every sample its own stretch)", () => {
    expect(cut([s(D, 1, 0, 60_000), s(D + 15_000, 1, 0, 60_000), s(D + 75_000, 1, 0, 60_000)])).toEqual([
      [0, 15_000, 2],
      [75_000, 75_000, 1],
    ]);
  });

  it("by the longer allowance of two neighbours (an agent restarted from 1 s to 5 s)", () => {
    expect(cut([s(D, 1, 0, 1000), s(D + 1000, 1, 0, 1000), s(D + 11_000, 1, 0, 5000)])).toEqual([
      [0, 11_000, 3],
    ]);
    expect(cut([s(D, 1, 0, 5000), s(D + 10_000, 1, 0, 1000), s(D + 26_000, 1, 0, 1000)])).toEqual([
      [0, 10_000, 2],
      [26_000, 26_000, 1],
    ]);
  });

  it("keeps an interval of 0 or less as not sent", () => {
    const [one, two] = compact("box", [s(D, 1, 0, 0), s(D + 1000, 1, 0, -5), s(D + 60_000, 1, 0, 1)], GAP);
    expect([one?.iv_first, one?.iv_last, two?.iv_first, two?.iv_last]).toEqual([undefined, undefined, 1, 1]);
    expect(sorted([s(D, 1, 0, 0), s(D + 1000, 1, 0, -5)]).map((x) => [x.iv_first, x.iv_last])).toEqual([
      [undefined, undefined],
    ]);
  });

  it("keeps each pid's spans by started_at, in pid order at each instant, whatever order they come in", () => {
    const sightings = [
      s(D + 5000, 3, 7, 5000),
      s(D + 5000, 9, 100, 5000),
      s(D, 9, 100, 5000),
      s(D, 3, 7, 5000),
      s(D + 10_000, 9, 100, 5000),
      s(D + 10_000, 3, D + 9000, 5000), // pid 3 reused
      s(D + 15_000, 3, D + 9000, 5000),
      s(D + 20_000, 3, undefined, 5000),
      s(D + 25_000, 3, undefined, 5000),
    ];
    expect(cut(sightings)).toEqual([[0, 25_000, 6]]);
    expect(compact("box", sightings, GAP)[0]?.pids).toEqual([
      [3, 7, D, D + 5000, 2],
      [9, 100, D, D + 10_000, 3],
      [3, D + 9000, D + 10_000, D + 15_000, 2],
      [3, null, D + 20_000, D + 25_000, 2],
    ]);
  });

  it("compactSorted() gives compact()'s stretches on random sightings", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const sightings: Sighting[] = [];
      let t = D - 60_000;
      for (let i = 0; i < 40; i++) {
        t += [1000, 3000, 5000, 15_000, 15_001, 60_000, 3_600_000][random(7)] as number;
        const iv = [undefined, 0, 1000, 5000, 60_000][random(5)];
        for (const pid of [1, 2, 3, 4].filter(() => random(3) > 0)) {
          sightings.push(s(t, pid, [undefined, 10, 20][random(3)], iv));
        }
      }
      const random_order = [...sightings].sort(() => random(3) - 1);
      expect(sorted(sightings)).toEqual(compact("box", random_order, GAP));
    }
  });
});
