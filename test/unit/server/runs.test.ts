/** Runs assembled from sightings and gaps, the same way for both stores. */
import { describe, expect, it } from "vitest";
import { assembleDuration } from "../../../server/store/runs.ts";

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
