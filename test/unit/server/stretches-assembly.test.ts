/**
 * Edges of run and duration assembly from stretches (server/store/stretches.ts) that its first
 * mutation run found untested (docs/testing.md): a sample without started_at after the instance's
 * known one, instances with one first sighting coming back in another order, runs exactly
 * RUN_GAP_SECONDS apart across stretches, which pids are current at the last sighting, and the
 * order of a run's pids.
 */
import { describe, expect, it } from "vitest";
import { assembleRuns } from "../../../server/store/runs.ts";
import { compact, durationFromStretches } from "../../../server/store/stretches.ts";
import { sighting } from "../../support/history.ts";

const s = sighting;
const rules = { default_gap_ms: 15_000, crash_loop_restarts: 3, crash_loop_window_ms: 600_000 };

describe("instances from stretches", () => {
  it("a last sample without started_at joins the pid's instance and leaves its started_at as it was", () => {
    const out = assembleRuns("box", [s(0, 7, -100), s(5000, 7), s(5000, 8, 20)], rules);
    expect(out?.instances).toEqual([
      { pid: 7, started_at: -100, first_seen: 0, last_seen: 5000, samples: 2 },
      { pid: 8, started_at: 20, first_seen: 5000, last_seen: 5000, samples: 1 },
    ]);
    expect(out?.runs[0]?.instances).toEqual([
      { pid: 7, started_at: -100 },
      { pid: 8, started_at: 20 },
    ]);
  });

  it("instances first seen at one instant are listed by pid in a later run, whatever order they come back in", () => {
    // pids 5 and 9 both first seen at 0; after a minute's gap 9 is back 5 s before 5
    const out = assembleRuns(
      "box",
      [s(0, 9, 1), s(0, 5, 1), s(60_000, 9, 1), s(65_000, 5, 1), s(65_000, 9, 1)],
      rules,
    );
    expect(out?.runs.map((r) => [r.start, r.end, r.instances])).toEqual([
      [
        0,
        0,
        [
          { pid: 5, started_at: 1 },
          { pid: 9, started_at: 1 },
        ],
      ],
      [
        60_000,
        65_000,
        [
          { pid: 5, started_at: 1 },
          { pid: 9, started_at: 1 },
        ],
      ],
    ]);
  });
});

describe("duration from stretches", () => {
  // a 1 s agent: stretches are cut after 3 s, runs of process-duration after RUN_GAP_SECONDS
  const second = (t: number, pid: number, started_at?: number) => s(t, pid, started_at, 1000);

  it("stretches exactly RUN_GAP_SECONDS apart are one run, a millisecond more are two", () => {
    const at = (gap: number) => [second(0, 1, -5), second(1000, 1, -5), second(1000 + gap, 1, -5)];
    const one = compact("box", at(15_000), 15_000);
    expect(one.map((x) => [x.start, x.end])).toEqual([
      [0, 1000],
      [16_000, 16_000],
    ]);
    expect(durationFromStretches(one, 15_000)?.runs).toEqual([{ start: 0, end: 16_000, pids: [1] }]);
    expect(durationFromStretches(compact("box", at(15_001), 15_000), 15_000)?.runs).toEqual([
      { start: 0, end: 1000, pids: [1] },
      { start: 16_001, end: 16_001, pids: [1] },
    ]);
  });

  it("latest_started_at is of the pids seen at the last sighting only; a run's pids ascend", () => {
    // pid 9 from the start (started 500), pid 3 from 2 s (started 100) until 4 s, pid 4 (started
    // 200) to the end, pid 6 at the end without started_at
    const sightings = [
      ...[0, 1000, 2000, 3000, 4000, 5000].map((t) => second(t, 9, 500)),
      ...[2000, 3000, 4000].map((t) => second(t, 3, 100)),
      ...[0, 1000, 2000, 3000, 4000, 5000].map((t) => second(t, 4, 200)),
      second(5000, 6),
    ];
    const stretches = compact("box", sightings, 15_000);
    expect(stretches).toHaveLength(1);
    expect(durationFromStretches(stretches, 15_000)).toEqual({
      first_seen: 0,
      last_seen: 5000,
      runs: [{ start: 0, end: 5000, pids: [3, 4, 6, 9] }],
      latest_started_at: 200,
    });
  });
});
