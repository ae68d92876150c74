/** Runs of a process, assembled the same way by every store. */
import type { DurationFacts, Run } from "./types.ts";

/**
 * Runs from per-pid sightings and the gaps between consecutive samples. Shared by both stores so
 * that they agree exactly: a run's pids are those whose [first, last] sighting overlaps the run.
 */
export function assembleDuration(
  pids: { pid: number; first: number; last: number }[],
  gaps: { t: number; elapsed: number }[],
  started: { pid: number; t: number; v: number }[],
): DurationFacts {
  const firstSeen = Math.min(...pids.map((p) => p.first));
  const lastSeen = Math.max(...pids.map((p) => p.last));
  const sortedGaps = [...gaps].sort((a, b) => a.t - b.t);
  const bounds: { start: number; end: number }[] = [];
  let start = firstSeen;
  for (const g of sortedGaps) {
    bounds.push({ start, end: g.t - g.elapsed });
    start = g.t;
  }
  bounds.push({ start, end: lastSeen });
  const runs: Run[] = bounds.map((b) => ({
    ...b,
    pids: pids
      .filter((p) => p.first <= b.end && p.last >= b.start)
      .map((p) => p.pid)
      .sort((x, y) => x - y),
  }));
  const current = started.filter((s) => s.t === lastSeen).map((s) => s.v);
  return {
    first_seen: firstSeen,
    last_seen: lastSeen,
    runs,
    latest_started_at: current.length ? Math.min(...current) : null,
  };
}
