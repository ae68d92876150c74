/** Runs of a process, assembled the same way by every store. */
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

interface Instant {
  t: number;
  interval: number;
  allowance: number;
  procs: { pid: number; started_at: number | undefined }[];
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
  if (sightings.length === 0) return null;
  const byTime = new Map<number, Instant>();
  for (const s of sightings) {
    let instant = byTime.get(s.timestamp);
    if (!instant) {
      const spacing = sampleSpacing(s.interval_ms, rules.default_gap_ms);
      instant = { t: s.timestamp, ...spacing, procs: [] };
      byTime.set(s.timestamp, instant);
    }
    instant.procs.push({ pid: s.pid, started_at: s.started_at });
  }
  const instants = [...byTime.values()].sort((a, b) => a.t - b.t);

  const instances: (Instance & { run: number })[] = [];
  const latestByPid = new Map<number, Instance & { run: number }>();
  const runs: (HistoryRun & { members: Set<Instance> })[] = [];
  let run: (HistoryRun & { members: Set<Instance> }) | undefined;
  let previous: Instant | undefined;
  for (const instant of instants) {
    // Stryker disable next-line LogicalOperator: equivalent because run and previous are unset together, at the first instant only
    if (!run || !previous || instant.t - previous.t > Math.max(previous.allowance, instant.allowance)) {
      run = {
        start: instant.t,
        end: instant.t,
        start_earliest: instant.t - instant.interval,
        // Stryker disable next-line ArithmeticOperator: equivalent because end_latest is set again just below
        end_latest: instant.t + instant.interval,
        samples: 0,
        // Stryker disable next-line ArrayDeclaration: equivalent because a run's instances are made from its members at the end
        instances: [],
        members: new Set(),
      };
      runs.push(run);
    }
    run.end = instant.t;
    run.end_latest = instant.t + instant.interval;
    run.samples += 1;
    // Stryker disable next-line ArithmeticOperator: equivalent because runIndex only tells runs apart (any offset does)
    const runIndex = runs.length - 1;
    // in any order: a pid is in an instant once, and instances are sorted below
    for (const p of instant.procs) {
      let inst = latestByPid.get(p.pid);
      const same =
        inst !== undefined &&
        (p.started_at === undefined
          ? inst.run === runIndex
          : inst.started_at === p.started_at || (inst.started_at === null && inst.run === runIndex));
      if (!inst || !same) {
        inst = {
          pid: p.pid,
          started_at: p.started_at ?? null,
          first_seen: instant.t,
          last_seen: instant.t,
          samples: 0,
          run: runIndex,
        };
        instances.push(inst);
        latestByPid.set(p.pid, inst);
      }
      if (inst.started_at === null && p.started_at !== undefined) inst.started_at = p.started_at;
      inst.last_seen = instant.t;
      inst.samples += 1;
      inst.run = runIndex;
      run.members.add(inst);
    }
    previous = instant;
  }

  const order = (a: Instance, b: Instance) => a.first_seen - b.first_seen || a.pid - b.pid;
  const first = instants[0] as Instant;
  const last = instants[instants.length - 1] as Instant;
  const restartTimes = instances
    .filter((i) => i.first_seen > first.t && (i.started_at === null || i.started_at > first.t))
    .map((i) => i.started_at ?? i.first_seen)
    .sort((a, b) => a - b);
  const k = rules.crash_loop_restarts;
  let crashLoop = false;
  // Stryker disable next-line EqualityOperator,ArithmeticOperator: equivalent because looking past the end compares undefined (NaN, false) and only while crashLoop is false
  for (let i = 0; i + k - 1 < restartTimes.length && !crashLoop; i++) {
    crashLoop =
      (restartTimes[i + k - 1] as number) - (restartTimes[i] as number) <= rules.crash_loop_window_ms;
  }
  return {
    system_name,
    first_seen: first.t,
    last_seen: last.t,
    runs: runs.map(({ members, ...r }) => ({
      ...r,
      instances: [...members].sort(order).map((i) => ({ pid: i.pid, started_at: i.started_at })),
    })),
    instances: instances.sort(order).map(({ run: _, ...i }) => i),
    restarts: restartTimes.length,
    crash_loop: k > 0 && crashLoop,
  };
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
