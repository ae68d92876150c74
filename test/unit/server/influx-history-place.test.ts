/**
 * How InfluxDB history's compaction puts a system-day's `row` values back together
 * (server/store/influx/history.ts). `byPlace` is the fast path: untimed rows, the k-th row of each
 * field being row j of the batch holding it, batches in time order; it must decline (undefined)
 * whenever the rows do not add up, so that `byTime` reads them again with their times. Declining
 * a day that does add up costs a second read but gives the same answer, so the compaction tests
 * on the real InfluxDB cannot see it: these tests judge the two functions on their own.
 */
import { describe, expect, it } from "vitest";
import { byPlace, byTime, type Day } from "../../../server/store/influx/history.ts";

const T1 = 1_770_000_000_000;
const T2 = T1 + 60_000;

/** One row per process: [instant, place in the batch, name, pid, started_at (undefined: not sent)]. */
type Row = [number, number, string, number, number | undefined];

/**
 * A day as readDay builds it: names by first sighting, fields in the order given, batch counts
 * inserted in `countOrder` (a Map's order is insertion, not time).
 */
function dayOf(rows: Row[], counts: [number, number][], timed: boolean): Day {
  const names: string[] = [];
  const field = () => ({ ms: [] as number[], ns: [] as number[], v: [] as number[] });
  const day: Day = {
    names,
    name: field(),
    pid: field(),
    started_at: field(),
    counts: new Map(counts),
    intervals: new Map(),
  };
  const put = (f: Day["name"], t: number, j: number, v: number) => {
    if (timed) {
      f.ms.push(t);
      f.ns.push(j);
    }
    f.v.push(v);
  };
  for (const [t, j, name, pid, started] of rows) {
    let id = names.indexOf(name);
    if (id < 0) id = names.push(name) - 1;
    put(day.name, t, j, id);
    put(day.pid, t, j, pid);
    if (started !== undefined) put(day.started_at, t, j, started);
  }
  return day;
}

// two batches in row order (name by code point, then pid); the second starts with a name that
// comes before the first one's last: only rows within one batch are ordered
const ROWS: Row[] = [
  [T1, 0, "a", 7, 100],
  [T1, 1, "a", 9, 101],
  [T1, 2, "b", 3, 102],
  [T2, 0, "a", 9, 101],
  [T2, 1, "b", 3, 102],
];
const WANT = new Map([
  [
    "a",
    [
      [T1, 7, 100],
      [T1, 9, 101],
      [T2, 9, 101],
    ],
  ],
  [
    "b",
    [
      [T1, 3, 102],
      [T2, 3, 102],
    ],
  ],
]);
// the later batch's count inserted first: byPlace must take batches in time order
const COUNTS: [number, number][] = [
  [T2, 2],
  [T1, 3],
];

describe("byPlace (untimed rows placed by the batch counts)", () => {
  it("places every row in its batch, batches in time order whatever order the counts came in", () => {
    expect(byPlace(dayOf(ROWS, COUNTS, false))).toEqual(WANT);
  });

  it("gives null started_at when no process sent one (an old client)", () => {
    const rows = ROWS.map(([t, j, n, p]): Row => [t, j, n, p, undefined]);
    expect(byPlace(dayOf(rows, COUNTS, false))).toEqual(
      new Map([...WANT].map(([n, list]) => [n, list.map(([t, p]) => [t, p, null])])),
    );
  });

  it("declines when only some processes sent started_at", () => {
    const rows = ROWS.map(([t, j, n, p, s], k): Row => [t, j, n, p, k === 1 ? undefined : s]);
    expect(byPlace(dayOf(rows, COUNTS, false))).toBeUndefined();
  });

  it("declines when a field has more or fewer rows than the batches' processes (a left-over row)", () => {
    expect(
      byPlace(
        dayOf(
          ROWS,
          [
            [T1, 3],
            [T2, 1],
          ],
          false,
        ),
      ),
    ).toBeUndefined();
    expect(
      byPlace(
        dayOf(
          ROWS,
          [
            [T1, 3],
            [T2, 3],
          ],
          false,
        ),
      ),
    ).toBeUndefined();
    // one field short alone: name, then pid
    const lessNames = dayOf(ROWS, COUNTS, false);
    lessNames.name.v.pop();
    expect(byPlace(lessNames)).toBeUndefined();
    const lessPids = dayOf(ROWS, COUNTS, false);
    lessPids.pid.v.pop();
    expect(byPlace(lessPids)).toBeUndefined();
  });

  it("declines a batch whose rows are not in row order: names backwards, a pid twice, pids backwards", () => {
    const swap = (rows: Row[], k: number): Row[] => {
      const out = [...rows];
      [out[k], out[k + 1]] = [out[k + 1] as Row, out[k] as Row];
      return out;
    };
    // "b" before "a" inside the second batch
    expect(byPlace(dayOf(swap(ROWS, 3), COUNTS, false))).toBeUndefined();
    // a 9 before a 7 inside the first batch
    expect(byPlace(dayOf(swap(ROWS, 0), COUNTS, false))).toBeUndefined();
    // the same (name, pid) twice in one batch
    const twice = ROWS.map((r, k): Row => (k === 1 ? [r[0], r[1], "a", 7, 100] : r));
    expect(byPlace(dayOf(twice, COUNTS, false))).toBeUndefined();
  });
});

describe("byTime (timed rows matched by their point's time)", () => {
  it("gives what byPlace gives for the same rows, read in several tables out of time order", () => {
    const day = dayOf([...ROWS.slice(3), ...ROWS.slice(0, 3)], COUNTS, true);
    expect(byTime(day)).toEqual(WANT);
  });

  it("leaves out a row at a place past its batch's count (left over from an earlier, larger batch)", () => {
    const rows: Row[] = [...ROWS, [T2, 2, "c", 11, 103]];
    expect(byTime(dayOf(rows, COUNTS, true))).toEqual(WANT);
    // and a row at an instant without a batch point is kept (its count unknown)
    const stray: Row[] = [...ROWS, [T2 + 1, 0, "c", 11, 103]];
    expect(byTime(dayOf(stray, COUNTS, true)).get("c")).toEqual([[T2 + 1, 11, 103]]);
  });

  it("gives null started_at where that process did not send one, and its own to the others", () => {
    const rows = ROWS.map(([t, j, n, p, s], k): Row => [t, j, n, p, k === 2 ? undefined : s]);
    expect(byTime(dayOf(rows, COUNTS, true)).get("b")).toEqual([
      [T1, 3, null],
      [T2, 3, 102],
    ]);
  });

  it("skips a pid whose name row is missing, and keeps matching the rows after it", () => {
    const day = dayOf(ROWS, COUNTS, true);
    // drop the name of the first batch's second row (a 9 at T1 + 1 ns)
    day.name.ms.splice(1, 1);
    day.name.ns.splice(1, 1);
    day.name.v.splice(1, 1);
    expect(byTime(day)).toEqual(
      new Map([
        [
          "a",
          [
            [T1, 7, 100],
            [T2, 9, 101],
          ],
        ],
        ["b", WANT.get("b") as number[][]],
      ]),
    );
  });

  it("puts a field's rows in time order when one instant's places come out of order", () => {
    // each field's rows: T2's, then T1's places 2, 0, 1
    const order = [3, 4, 2, 0, 1];
    expect(
      byTime(
        dayOf(
          order.map((k) => ROWS[k] as Row),
          COUNTS,
          true,
        ),
      ),
    ).toEqual(WANT);
  });

  it("matches a pid only with a name row at its own instant and place, not one at the same place later", () => {
    const day = dayOf(ROWS, COUNTS, true);
    // names left: (T1, 0) and (T2, 1); (T1, 1)'s next name row is (T2, 1): same place, later instant
    for (const k of [3, 2, 1]) {
      day.name.ms.splice(k, 1);
      day.name.ns.splice(k, 1);
      day.name.v.splice(k, 1);
    }
    expect(byTime(day)).toEqual(
      new Map([
        ["a", [[T1, 7, 100]]],
        ["b", [[T2, 3, 102]]],
      ]),
    );
  });

  it("takes started_at only from its own instant and place, not one at the same place later", () => {
    const rows = ROWS.map(
      ([t, j, n, p, s], k): Row => [t, j, n, p, k === 1 || k === 2 || k === 3 ? undefined : s],
    );
    expect(byTime(dayOf(rows, COUNTS, true))).toEqual(
      new Map([
        [
          "a",
          [
            [T1, 7, 100],
            [T1, 9, null],
            [T2, 9, null],
          ],
        ],
        [
          "b",
          [
            [T1, 3, null],
            [T2, 3, 102],
          ],
        ],
      ]),
    );
  });

  it("adds nothing for pids after the last name row", () => {
    const day = dayOf(ROWS, COUNTS, true);
    day.name.ms.pop();
    day.name.ns.pop();
    day.name.v.pop();
    const got = byTime(day);
    expect([...got.keys()]).toEqual(["a", "b"]);
    expect(got.get("b")).toEqual([[T1, 3, 102]]);
  });
});
