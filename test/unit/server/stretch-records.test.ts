/** How a (system, name, day)'s stretches are stored: one record, read back exactly (docs/history.md). */
import { describe, expect, it } from "vitest";
import { compact, decodeStretches, encodeStretches, type Stretch } from "../../../server/store/stretches.ts";
import { oneInstant } from "../../support/history.ts";

const D = Date.UTC(2026, 2, 1);

describe("stretch records", () => {
  it("read back every stretch of a day exactly: spans, null started_at, intervals sent or not", () => {
    const seen = [
      // an hourly old client (no interval): each sample its own stretch
      ...[0, 1, 2].map((h) => ({
        system_name: "s",
        timestamp: D + h * 3_600_000,
        pid: 7,
        started_at: D - 5,
      })),
      // a 5 s agent: one stretch, pid 9 reused by a new process, pid 11 without started_at
      ...[0, 5, 10, 15].flatMap((sec) => [
        {
          system_name: "s",
          timestamp: D + 5 * 3_600_000 + sec * 1000,
          pid: 9,
          started_at: sec < 10 ? D + 1 : D + 5 * 3_600_000 + 9_999,
          interval_ms: 5000,
        },
        { system_name: "s", timestamp: D + 5 * 3_600_000 + sec * 1000, pid: 11, interval_ms: 5000 },
      ]),
    ];
    const stretches = compact("s", seen, 15_000);
    expect(stretches.map((s) => [s.start - D, s.end - D, s.samples])).toEqual([
      [0, 0, 1],
      [3_600_000, 3_600_000, 1],
      [7_200_000, 7_200_000, 1],
      [18_000_000, 18_015_000, 4],
    ]);
    const text = encodeStretches(stretches);
    expect(decodeStretches("s", stretches[0]?.start as number, text)).toEqual(stretches);
    // the three one-instant stretches short — the first with its pairs ([Δstart, iv, [], [pid,
    // age]]: started 5 ms before), the next two "the previous one's" ([Δstart, iv]) — the last whole
    expect(text).toBe(
      "[[0,0,[],[7,5]],[3600000,0],[7200000,0]," +
        `[18000000,18015000,4,5000,5000,[9,${D + 1},18000000,18005000,2,11,null,18000000,18015000,4,9,${D + 18_009_999},18010000,18015000,2]]]`,
    );
    expect(stretches[3]?.pids).toEqual([
      [9, D + 1, D + 18_000_000, D + 18_005_000, 2],
      [11, null, D + 18_000_000, D + 18_015_000, 4],
      [9, D + 18_009_999, D + 18_010_000, D + 18_015_000, 2],
    ]);
    expect(stretches[0]?.iv_first).toBeUndefined();
    expect(stretches[3]?.iv_last).toBe(5000);
  });

  it("write a one-instant stretch short only when the instant says everything: interval, pids, null started_at", () => {
    const one = (over: Partial<Stretch>): Stretch => ({
      system_name: "s",
      start: D + 1000,
      end: D + 1000,
      samples: 1,
      iv_first: 5000,
      iv_last: 5000,
      pids: [
        [3, null, D + 1000, D + 1000, 1],
        [4, D - 7, D + 1000, D + 1000, 1],
      ],
      ...over,
    });
    const day = [
      one({}),
      one({ start: D + 2000, end: D + 2000, iv_first: undefined, iv_last: undefined, pids: [] }),
      // not one instant's worth: a span counted twice, then a second interval that differs
      one({ start: D + 3000, end: D + 3000, pids: [[3, null, D + 3000, D + 3000, 2]] }),
      one({ start: D + 4000, end: D + 4000, iv_last: 6000, pids: [[3, null, D + 4000, D + 4000, 1]] }),
    ];
    const text = encodeStretches(day);
    expect(text).toBe(
      "[[0,5000,[],[3,null,4,1007]],[1000,0,[],[]],[2000,2000,1,5000,5000,[3,null,2000,2000,2]],[3000,3000,1,5000,6000,[3,null,3000,3000,1]]]",
    );
    expect(decodeStretches("s", D + 1000, text)).toEqual(day);
  });

  it("write an hourly agent's day as the previous stretch's pairs kept plus new ones, and read it back", () => {
    // a name with two long-running pids and one recycled every sample (as 10 % churn does), one
    // that also loses a pid and gains a smaller one, a pid without started_at, and a whole
    // stretch in between (after which nothing refers back)
    const H = 3_600_000;
    const at = (h: number, pids: [number, number | null][], iv?: number): Stretch =>
      oneInstant(D + h * H, pids, iv);
    const day: Stretch[] = [
      at(0, [
        [10, D - 100 * H],
        [20, null],
        [900, D - 500],
      ]),
      at(1, [
        [10, D - 100 * H],
        [20, null],
        [901, D + H - 500],
      ]),
      at(2, [
        [10, D - 100 * H],
        [20, null],
        [901, D + H - 500],
      ]),
      // 20 gone, 5 new (smaller than 10: listed after the kept ones would be out of order)
      at(3, [
        [5, D + 3 * H - 1],
        [10, D - 100 * H],
        [901, D + H - 500],
      ]),
      // a pid kept with another started_at (reused) is a new pair; the interval changes
      at(
        4,
        [
          [10, D - 100 * H],
          [901, D + 4 * H],
        ],
        60_000,
      ),
      {
        system_name: "s",
        start: D + 5 * H,
        end: D + 5 * H + 120_000,
        samples: 3,
        iv_first: 60_000,
        iv_last: 60_000,
        pids: [[10, D - 100 * H, D + 5 * H, D + 5 * H + 120_000, 3]],
      },
      at(6, [[10, D - 100 * H]], 60_000),
      at(7, [[10, D - 100 * H]], 60_000),
      // started after it was seen (a clock off): a negative age
      at(8, [[11, D + 8 * H + 5]]),
      at(9, []),
      at(10, []),
    ];
    const text = encodeStretches(day);
    expect(text).toBe(
      "[[0,0,[],[10,360000000,20,null,900,500]],[3600000,0,[0,1],[901,500]],[7200000,0]," +
        "[10800000,0,[],[5,1,10,370800000,901,7200500]],[14400000,60000,[1],[901,0]]," +
        `[18000000,18120000,3,60000,60000,[10,${D - 100 * H},18000000,18120000,3]],` +
        "[21600000,60000,[],[10,381600000]],[25200000,60000],[28800000,0,[],[11,-5]],[32400000,0,[],[]],[36000000,0]]",
    );
    expect(decodeStretches("s", D, text)).toEqual(day);
  });

  it("read the short form of the release before (absolute started_at, no reference to the previous stretch)", () => {
    // [Δstart, iv, [pid, started_at, …]] next to a whole stretch and the forms written now
    const text = `[[0,5000,[3,null,4,${D - 7}]],[1000,5000,[],[4,1007]],[2000,5000],[3000,3000,1,5000,6000,[3,null,3000,3000,1]],[4000,0,[4,${D - 7}]]]`;
    const one = (t: number, iv: number | undefined, pids: [number, number | null][]): Stretch => ({
      system_name: "s",
      start: D + t,
      end: D + t,
      samples: 1,
      iv_first: iv,
      iv_last: iv,
      pids: pids.map(([pid, started]) => [pid, started, D + t, D + t, 1]),
    });
    expect(decodeStretches("s", D, text)).toEqual([
      one(0, 5000, [
        [3, null],
        [4, D - 7],
      ]),
      one(1000, 5000, [[4, D - 7]]),
      one(2000, 5000, [[4, D - 7]]),
      {
        system_name: "s",
        start: D + 3000,
        end: D + 3000,
        samples: 1,
        iv_first: 5000,
        iv_last: 6000,
        pids: [[3, null, D + 3000, D + 3000, 1]],
      },
      one(4000, undefined, [[4, D - 7]]),
    ]);
  });

  it("read a record of one stretch written before records were per day", () => {
    // [Δend, samples, iv_first, iv_last, [pid, started_at, Δfirst, Δlast, samples, …]]
    const old = JSON.stringify([10_000, 3, 5000, 0, [4, D - 1, 0, 10_000, 3, 8, null, 5000, 5000, 1]]);
    expect(decodeStretches("db-1", D + 60_000, old)).toEqual([
      {
        system_name: "db-1",
        start: D + 60_000,
        end: D + 70_000,
        samples: 3,
        iv_first: 5000,
        iv_last: undefined,
        pids: [
          [4, D - 1, D + 60_000, D + 70_000, 3],
          [8, null, D + 65_000, D + 65_000, 1],
        ],
      },
    ]);
  });
});
