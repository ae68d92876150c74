/** Runs of a process, assembled the same way by every store. */
import { compact, runsFromStretches } from "./stretches.ts";
import type { DurationFacts, ProcessOrder, Run, Sighting, StoredSample } from "./types.ts";

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

/** How runs are cut and restarts judged (docs/history.md). */
export interface RunRules {
  /**
   * The gap that ends a run between samples whose batches carried no interval (old agents):
   * RUN_GAP_SECONDS × 1000. Such samples are taken to be one third of it apart.
   */
  default_gap_ms: number;
  /** A crash loop: at least this many restarts … */
  crash_loop_restarts: number;
  /** … within this many milliseconds. */
  crash_loop_window_ms: number;
}

/** An instance: one process from start to exit, (system, pid, started_at). */
interface Instance {
  pid: number;
  /** Null when none of its samples carried started_at (then it is bounded by one run). */
  started_at: number | null;
  first_seen: number;
  last_seen: number;
  samples: number;
}

export interface HistoryRun {
  start: number;
  end: number;
  /** One interval before the first sighting: the process may have started anywhere in between. */
  start_earliest: number;
  /** One interval after the last sighting. */
  end_latest: number;
  /** Sampling instants at which the name was seen. */
  samples: number;
  /** The instances seen during the run, by first sighting, then pid. */
  instances: { pid: number; started_at: number | null }[];
}

export interface SystemRuns {
  system_name: string;
  first_seen: number;
  last_seen: number;
  runs: HistoryRun[];
  /** By first sighting, then pid. */
  instances: Instance[];
  restarts: number;
  crash_loop: boolean;
}

/** The interval a sample's batch stands for, and the gap it allows (3 intervals). */
export function sampleSpacing(
  interval_ms: number | undefined,
  defaultGapMs: number,
): { interval: number; allowance: number } {
  return interval_ms === undefined || interval_ms <= 0
    ? { interval: Math.round(defaultGapMs / 3), allowance: defaultGapMs }
    : { interval: interval_ms, allowance: 3 * interval_ms };
}

/**
 * Whether a run that was last seen at `lastSeen` has ended by the system's newest sample `newest`
 * that lacks it, under the rule above (sightings more than `allowance` apart end a run): the next
 * sighting can only come after `newest`, so once `newest − lastSeen ≥ allowance` the gap will be
 * more than the allowance. Watches (server/watch/) call a process down by this rule, with their
 * `for` as the allowance (3 intervals by default: exactly where its run ends).
 */
export function runEnded(lastSeen: number, newest: number, allowance: number): boolean {
  return newest - lastSeen >= allowance;
}

/**
 * Runs, instances, restarts and the crash-loop flag of one name on one system, from its sightings
 * (any order). The rules, with their reasons, are in docs/history.md:
 * - consecutive sightings more than 3 intervals apart end a run (the larger of the two samples'
 *   intervals; RUN_GAP_SECONDS for a sample sent without one);
 * - an instance is (pid, started_at): a pid seen with another started_at is a new instance; a pid
 *   sent without started_at joins that pid's instance in the same run, else starts one of its own;
 * - a restart is an instance not running at the first sighting (and, when its start is known,
 *   started after it); a crash loop is `crash_loop_restarts` restarts within the window.
 */
export function assembleRuns(
  system_name: string,
  sightings: readonly Sighting[],
  rules: RunRules,
): SystemRuns | null {
  // One home for the rules: sightings are compacted into stretches (which no rule can split) and
  // the runs assembled from those, exactly as history assembles them from stored stretches.
  return runsFromStretches(system_name, compact(system_name, sightings, rules.default_gap_ms), rules);
}

/** UTF-8 byte order of two names (how both stores sort names). */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The order of processes-at: cpu or memory highest first, or by name; ties by name, then pid. */
export function processOrder(sort: ProcessOrder): (a: StoredSample, b: StoredSample) => number {
  const byName = (a: StoredSample, b: StoredSample) => byBytes(a.name, b.name) || a.pid - b.pid;
  if (sort === "cpu") return (a, b) => b.cpu_percent - a.cpu_percent || byName(a, b);
  if (sort === "memory") return (a, b) => b.memory_percent - a.memory_percent || byName(a, b);
  return byName;
}
