/** How a (system, name, day)'s stretches are stored: one record, read back exactly (docs/history.md). */
import { describe, expect, it } from "vitest";
import { compact, decodeStretches, encodeStretches, type Stretch } from "../../../server/store/stretches.ts";

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
    // the three one-instant stretches short ([Δstart, iv, [pid, started_at, …]]), the last one whole
    expect(text).toBe(
      `[[0,0,[7,${D - 5}]],[3600000,0,[7,${D - 5}]],[7200000,0,[7,${D - 5}]],` +
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
      `[[0,5000,[3,null,4,${D - 7}]],[1000,0,[]],[2000,2000,1,5000,5000,[3,null,2000,2000,2]],[3000,3000,1,5000,6000,[3,null,3000,3000,1]]]`,
    );
    expect(decodeStretches("s", D + 1000, text)).toEqual(day);
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
