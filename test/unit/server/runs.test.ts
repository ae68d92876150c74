/** Runs assembled from sightings and gaps, the same way for both stores. */
import { describe, expect, it } from "vitest";
import { assembleDuration, assembleRuns } from "../../../server/store/runs.ts";
import { sighting } from "../../support/history.ts";

describe("assembleDuration", () => {
  it("splits at each gap; a run's pids are those seen during it; started_at of the newest sample", () => {
    const facts = assembleDuration(
      [
        { pid: 11, first: 60_000, last: 80_000 },
        { pid: 10, first: 0, last: 20_000 },
        { pid: 12, first: 70_000, last: 80_000 },
      ],
      // gaps reported as (the sample after the gap, time since the sample before)
      [{ t: 60_000, elapsed: 40_000 }],
      [
        { pid: 10, t: 20_000, v: 1 },
        { pid: 11, t: 80_000, v: 55_000 },
        { pid: 12, t: 80_000, v: 69_000 },
      ],
    );
    expect(facts).toEqual({
      first_seen: 0,
      last_seen: 80_000,
      runs: [
        { start: 0, end: 20_000, pids: [10] },
        { start: 60_000, end: 80_000, pids: [11, 12] },
      ],
      latest_started_at: 55_000,
    });
  });

  it("one run without gaps (gaps given in any order); no started_at known → null", () => {
    const facts = assembleDuration(
      [{ pid: 5, first: 1000, last: 9000 }],
      [
        { t: 9000, elapsed: 4000 },
        { t: 3000, elapsed: 2000 },
      ],
      [],
    );
    expect(facts.runs).toEqual([
      { start: 1000, end: 1000, pids: [5] },
      { start: 3000, end: 5000, pids: [5] },
      { start: 9000, end: 9000, pids: [5] },
    ]);
    expect(facts.latest_started_at).toBeNull();
  });
});

describe("assembleRuns", () => {
  const rules = { default_gap_ms: 15_000, crash_loop_restarts: 3, crash_loop_window_ms: 600_000 };
  const s = sighting;

  it("ends a run where samples are more than 3 of the agent's intervals apart; edges one interval out", () => {
    // interval 60 s: 0, 60, 240 (180 apart = 3 intervals: same run), then 421 (181 s: a new run)
    const out = assembleRuns(
      "box",
      [
        s(421_000, 7, 1000, 60_000),
        s(0, 7, 1000, 60_000),
        s(60_000, 7, 1000, 60_000),
        s(240_000, 7, 1000, 60_000),
      ],
      rules,
    );
    expect(out?.runs).toEqual([
      {
        start: 0,
        end: 240_000,
        start_earliest: -60_000,
        end_latest: 300_000,
        samples: 3,
        instances: [{ pid: 7, started_at: 1000 }],
      },
      {
        start: 421_000,
        end: 421_000,
        start_earliest: 361_000,
        end_latest: 481_000,
        samples: 1,
        instances: [{ pid: 7, started_at: 1000 }],
      },
    ]);
    // the same process across both runs (same pid and started_at): one instance, no restart
    expect(out?.instances).toEqual([
      { pid: 7, started_at: 1000, first_seen: 0, last_seen: 421_000, samples: 4 },
    ]);
    expect(out?.restarts).toBe(0);
    expect(out?.crash_loop).toBe(false);
  });

  it("without an interval uses RUN_GAP_SECONDS (15 s apart: one run; 15.001 s: two) and edges of a third of it", () => {
    const out = assembleRuns("box", [s(0, 1), s(15_000, 1), s(30_001, 1)], rules);
    expect(out?.runs.map((r) => [r.start, r.end, r.start_earliest, r.end_latest, r.samples])).toEqual([
      [0, 15_000, -5000, 20_000, 2],
      [30_001, 30_001, 25_001, 35_001, 1],
    ]);
    // no started_at: an instance never spans a run boundary
    expect(out?.instances.map((i) => [i.pid, i.started_at, i.first_seen, i.last_seen])).toEqual([
      [1, null, 0, 15_000],
      [1, null, 30_001, 30_001],
    ]);
    expect(out?.restarts).toBe(1);
  });

  it("takes the larger interval of two consecutive samples (an agent restarted with a longer one)", () => {
    // 5 s interval, then the agent comes back 100 s later sampling every 60 s: 3 × 60 s allows it
    const out = assembleRuns("box", [s(0, 1, 5, 5000), s(5000, 1, 5, 5000), s(105_000, 1, 5, 60_000)], rules);
    expect(out?.runs).toHaveLength(1);
    expect(out?.runs[0]?.start_earliest).toBe(-5000);
    expect(out?.runs[0]?.end_latest).toBe(165_000);
  });

  it("tells a reused pid (another started_at) from the same process; fills started_at a sample lacked", () => {
    const out = assembleRuns(
      "box",
      [s(0, 40), s(5000, 40, 100), s(10_000, 40, 100), s(15_000, 40, 9000), s(20_000, 41, 19_000)],
      rules,
    );
    expect(out?.instances).toEqual([
      { pid: 40, started_at: 100, first_seen: 0, last_seen: 10_000, samples: 3 },
      { pid: 40, started_at: 9000, first_seen: 15_000, last_seen: 15_000, samples: 1 },
      { pid: 41, started_at: 19_000, first_seen: 20_000, last_seen: 20_000, samples: 1 },
    ]);
    expect(out?.runs).toHaveLength(1);
    expect(out?.restarts).toBe(2);
    expect(out?.crash_loop).toBe(false);
  });

  it("counts restarts only for instances not running at the first sighting; 3 within 10 min is a crash loop", () => {
    // two workers from the start (not restarts), then new pids at 100 s, 300 s and 700 s
    const base = [s(0, 1, -50_000), s(0, 2, -40_000)];
    const later = [s(100_000, 3, 99_000), s(300_000, 4, 299_000), s(700_000, 5, 699_000)];
    const out = assembleRuns("box", [...base, ...later], rules);
    expect(out?.restarts).toBe(3);
    expect(out?.crash_loop).toBe(true); // 99 s … 699 s: 600 s exactly is within the window
    const slower = assembleRuns("box", [...base, ...later.slice(0, 2), s(701_000, 5, 700_000)], rules);
    expect(slower?.crash_loop).toBe(false); // 99 s … 700 s: 601 s
    // an instance first seen later but started before the first sighting is no restart
    expect(assembleRuns("box", [s(0, 1, 0), s(5000, 9, -1)], rules)?.restarts).toBe(0);
  });

  it("is null without sightings; lists run instances by first sighting then pid", () => {
    expect(assembleRuns("box", [], rules)).toBeNull();
    const out = assembleRuns("box", [s(0, 9, 1), s(0, 3, 2), s(5000, 1, 4000)], rules);
    expect(out?.runs[0]?.instances).toEqual([
      { pid: 3, started_at: 2 },
      { pid: 9, started_at: 1 },
      { pid: 1, started_at: 4000 },
    ]);
    expect(out?.first_seen).toBe(0);
    expect(out?.last_seen).toBe(5000);
  });
});
