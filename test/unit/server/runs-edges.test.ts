/**
 * Edges of run assembly that the mutation run of server/store/runs.ts found untested: restarts
 * whose start order differs from their sighting order, a crash-loop rule of 0 restarts, the first
 * sighting's own instant, a sample interval of 0, and the order of instances within a run.
 */
import { describe, expect, it } from "vitest";
import { assembleRuns, processOrder, sampleSpacing } from "../../../server/store/runs.ts";
import type { StoredSample } from "../../../server/store/types.ts";
import { sighting } from "../../support/history.ts";

const s = sighting;

describe("sampleSpacing", () => {
  it("an interval of 0 or less, or none, is the default gap, a third of it per sample", () => {
    for (const interval of [undefined, 0, -5]) {
      expect(sampleSpacing(interval, 10_000)).toEqual({ interval: 3333, allowance: 10_000 });
    }
    expect(sampleSpacing(20_000, 10_000)).toEqual({ interval: 20_000, allowance: 60_000 });
    expect(sampleSpacing(1, 10_000)).toEqual({ interval: 1, allowance: 3 });
    expect(sampleSpacing(undefined, 10_001)).toEqual({ interval: 3334, allowance: 10_001 });
  });

  it("a batch sent with interval 0 is cut by the default gap, not at every sample", () => {
    const rules = { default_gap_ms: 15_000, crash_loop_restarts: 3, crash_loop_window_ms: 600_000 };
    const out = assembleRuns("box", [s(0, 1, 1, 0), s(10_000, 1, 1, 0)], rules);
    expect(out?.runs.map((r) => [r.start, r.end, r.start_earliest, r.end_latest])).toEqual([
      [0, 10_000, -5000, 15_000],
    ]);
  });
});

describe("restarts and crash loops", () => {
  it("judges a crash loop by when instances started, sorted, not by when they were first seen", () => {
    // first seen at 6, 7 and 11 s, but started at 5, 0.1 and 10 s: sorted 0.1, 5, 10 — no two
    // within 1 s of each other. In sighting order 5 s then 0.1 s would look like a loop.
    const rules = { default_gap_ms: 15_000, crash_loop_restarts: 2, crash_loop_window_ms: 1000 };
    const sightings = [s(0, 1, -1), s(6000, 2, 5000), s(7000, 3, 100), s(11_000, 4, 10_000)];
    const out = assembleRuns("box", sightings, rules);
    expect(out?.restarts).toBe(3);
    expect(out?.crash_loop).toBe(false);
    // the same with two starts 1 s apart is one
    const tight = assembleRuns("box", [...sightings.slice(0, 3), s(11_000, 4, 1100)], rules);
    expect(tight?.crash_loop).toBe(true);
  });

  it("a restart without started_at counts from its first sighting", () => {
    const rules = { default_gap_ms: 15_000, crash_loop_restarts: 2, crash_loop_window_ms: 5000 };
    // pid 2 and pid 3 without started_at, first seen 5 s apart: a crash loop at a 5 s window
    const out = assembleRuns("box", [s(0, 1), s(5000, 2), s(10_000, 3)], rules);
    expect(out?.instances.map((i) => i.pid)).toEqual([1, 2, 3]);
    expect(out?.restarts).toBe(2);
    expect(out?.crash_loop).toBe(true);
    // 5.001 s apart: none
    expect(assembleRuns("box", [s(0, 1), s(5000, 2), s(10_001, 3)], rules)?.crash_loop).toBe(false);
  });

  it("crash_loop_restarts = 0 turns crash-loop detection off, whatever the restarts", () => {
    const rules = { default_gap_ms: 15_000, crash_loop_restarts: 0, crash_loop_window_ms: 600_000 };
    const out = assembleRuns("box", [s(0, 1, 0), s(5000, 2, 4000), s(6000, 3, 5000)], rules);
    expect(out?.restarts).toBe(2);
    expect(out?.crash_loop).toBe(false);
  });

  it("an instance started exactly at the first sighting was running then: no restart", () => {
    const rules = { default_gap_ms: 15_000, crash_loop_restarts: 1, crash_loop_window_ms: 600_000 };
    const out = assembleRuns("box", [s(1000, 1, 500), s(2000, 2, 1000)], rules);
    expect(out?.restarts).toBe(0);
    expect(out?.crash_loop).toBe(false);
    const later = assembleRuns("box", [s(1000, 1, 500), s(2000, 2, 1001)], rules);
    expect(later?.restarts).toBe(1);
    expect(later?.crash_loop).toBe(true);
  });
});

describe("instances", () => {
  const rules = { default_gap_ms: 15_000, crash_loop_restarts: 3, crash_loop_window_ms: 600_000 };

  it("a run lists its instances by first sighting, then pid, whatever order the sightings come in", () => {
    const out = assembleRuns("box", [s(5000, 3, 4), s(5000, 2, 4), s(0, 20, 1), s(0, 10, 1)], rules);
    const expected = [
      { pid: 10, started_at: 1 },
      { pid: 20, started_at: 1 },
      { pid: 2, started_at: 4 },
      { pid: 3, started_at: 4 },
    ];
    expect(out?.runs[0]?.instances).toEqual(expected);
    expect(out?.instances.map(({ pid, started_at }) => ({ pid, started_at }))).toEqual(expected);
  });

  it("a pid seen without started_at in a later run is a new instance, not the earlier one", () => {
    const out = assembleRuns("box", [s(0, 7, -100), s(60_000, 7)], rules);
    expect(out?.runs).toHaveLength(2);
    expect(out?.instances).toEqual([
      { pid: 7, started_at: -100, first_seen: 0, last_seen: 0, samples: 1 },
      { pid: 7, started_at: null, first_seen: 60_000, last_seen: 60_000, samples: 1 },
    ]);
    expect(out?.runs.map((r) => r.instances)).toEqual([
      [{ pid: 7, started_at: -100 }],
      [{ pid: 7, started_at: null }],
    ]);
    expect(out?.restarts).toBe(1);
  });

  it("a run lists an instance from an earlier run before one first seen in it, even with a higher pid", () => {
    const out = assembleRuns("box", [s(0, 9, 1), s(60_000, 5, 50_000), s(60_000, 9, 1)], rules);
    expect(out?.runs.map((r) => r.instances)).toEqual([
      [{ pid: 9, started_at: 1 }],
      [
        { pid: 9, started_at: 1 },
        { pid: 5, started_at: 50_000 },
      ],
    ]);
  });

  it("a sample without started_at in the same run is the pid's instance, keeping its started_at", () => {
    const out = assembleRuns("box", [s(0, 7, -100), s(5000, 7), s(10_000, 7, -100)], rules);
    expect(out?.instances).toEqual([
      { pid: 7, started_at: -100, first_seen: 0, last_seen: 10_000, samples: 3 },
    ]);
  });

  it("an instance first seen without started_at takes the one a later sample of its run carries", () => {
    const out = assembleRuns("box", [s(0, 7), s(5000, 7, 100), s(10_000, 7, 100)], rules);
    expect(out?.instances).toEqual([
      { pid: 7, started_at: 100, first_seen: 0, last_seen: 10_000, samples: 3 },
    ]);
    // in a later run, a started_at that an instance without one never had starts a new instance
    const apart = assembleRuns("box", [s(0, 7), s(60_000, 7, 100)], rules);
    expect(apart?.instances.map((i) => [i.started_at, i.first_seen])).toEqual([
      [null, 0],
      [100, 60_000],
    ]);
  });
});

describe("processOrder", () => {
  const p = (name: string, pid: number, cpu: number, mem: number): StoredSample => ({
    system_name: "box",
    timestamp: 0,
    name,
    pid,
    cpu_percent: cpu,
    memory_percent: mem,
  });
  const list = [p("b", 2, 5, 1), p("a", 9, 5, 2), p("a", 3, 1, 2), p("é", 1, 9, 0), p("z", 4, 0, 9)];
  const names = (sort: "cpu" | "memory" | "name") =>
    [...list].sort(processOrder(sort)).map((x) => `${x.name}${x.pid}`);

  it("cpu or memory highest first, ties by name (UTF-8 bytes) then pid; or by name", () => {
    expect(names("cpu")).toEqual(["é1", "a9", "b2", "a3", "z4"]);
    expect(names("memory")).toEqual(["z4", "a3", "a9", "b2", "é1"]);
    expect(names("name")).toEqual(["a3", "a9", "b2", "z4", "é1"]);
  });
});
