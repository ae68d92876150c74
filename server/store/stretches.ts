/**
 * History that outlives raw samples (docs/history.md, "History"): a name's sightings on a system
 * compacted into stretches, and runs, instances and duration assembled from stretches exactly as
 * server/store/runs.ts assembles them from the sightings themselves.
 *
 * A stretch is a maximal sequence of consecutive sampling instants of one name on one system
 * between which no rule could end a run: consecutive instants are cut apart where their gap exceeds
 * min(RUN_GAP_SECONDS, the larger of their two run allowances), and at every UTC midnight. Every
 * run of every rule (process-runs' interval-following one, process-duration's RUN_GAP_SECONDS one)
 * is therefore a merge of consecutive whole stretches, and whether two neighbouring stretches merge
 * depends only on the gap between them and the intervals at their ends, which a stretch keeps.
 *
 * Inside a stretch, each pid's sightings are kept as spans: maximal runs of its sightings with the
 * same started_at (null: not sent). Instances are (pid, started_at) and only ever change at a span
 * boundary or at a run boundary, so assembling instances span by span gives the same instances,
 * first/last sightings and sample counts as sighting by sighting.
 */
import { type HistoryRun, type RunRules, type SystemRuns, sampleSpacing } from "./runs.ts";
import type { DurationFacts, Sighting } from "./types.ts";

const DAY_MS = 86_400_000;

/** One pid's sightings with one started_at in a stretch: [pid, started_at, first, last, samples]. */
type PidSpan = [pid: number, started_at: number | null, first: number, last: number, samples: number];

export interface Stretch {
  system_name: string;
  /** First and last sampling instant (epoch ms). */
  start: number;
  end: number;
  /** Sampling instants in it. */
  samples: number;
  /** The interval its first and last instants' batches carried; undefined when not sent. */
  iv_first: number | undefined;
  iv_last: number | undefined;
  /** By first sighting, then pid. */
  pids: PidSpan[];
}

/** The UTC day (its first millisecond) an instant falls in. */
export const dayOf = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/**
 * The stretches of one name on one system from its sightings (any order), cut as described above.
 * `default_gap_ms` is RUN_GAP_SECONDS × 1000.
 */
export function compact(
  system_name: string,
  sightings: readonly Sighting[],
  default_gap_ms: number,
): Stretch[] {
  const byTime = new Map<number, { t: number; iv: number | undefined; procs: Sighting[] }>();
  for (const s of sightings) {
    let instant = byTime.get(s.timestamp);
    if (!instant) {
      instant = { t: s.timestamp, iv: s.interval_ms, procs: [] };
      byTime.set(s.timestamp, instant);
    }
    instant.procs.push(s);
  }
  const instants = [...byTime.values()].sort((a, b) => a.t - b.t);
  const out: Stretch[] = [];
  let current: Stretch | undefined;
  let open = new Map<number, PidSpan>();
  let previous: { t: number; iv: number | undefined } | undefined;
  for (const instant of instants) {
    const cut =
      !previous ||
      dayOf(previous.t) !== dayOf(instant.t) ||
      instant.t - previous.t >
        Math.min(
          default_gap_ms,
          Math.max(
            sampleSpacing(previous.iv, default_gap_ms).allowance,
            sampleSpacing(instant.iv, default_gap_ms).allowance,
          ),
        );
    if (cut) {
      current = {
        system_name,
        start: instant.t,
        end: instant.t,
        samples: 0,
        iv_first: positive(instant.iv),
        iv_last: positive(instant.iv),
        pids: [],
      };
      out.push(current);
      open = new Map();
    }
    const stretch = current as Stretch;
    stretch.end = instant.t;
    stretch.iv_last = positive(instant.iv);
    stretch.samples += 1;
    for (const p of [...instant.procs].sort((a, b) => a.pid - b.pid)) {
      const started = p.started_at ?? null;
      let span = open.get(p.pid);
      if (!span || span[1] !== started) {
        span = [p.pid, started, instant.t, instant.t, 0];
        stretch.pids.push(span);
        open.set(p.pid, span);
      }
      span[3] = instant.t;
      span[4] += 1;
    }
    previous = instant;
  }
  return out;
}

/**
 * compact() for sightings already in (instant, pid) order, as rows [instant, pid, started_at]
 * with the instants' intervals: the same stretches, without regrouping (the embedded store's
 * compaction reads them so, in primary-key order).
 */
export function compactSorted(
  system_name: string,
  rows: readonly (readonly [number, number, number | null])[],
  intervals: ReadonlyMap<number, number | undefined>,
  default_gap_ms: number,
): Stretch[] {
  const out: Stretch[] = [];
  let current: Stretch | undefined;
  let open = new Map<number, PidSpan>();
  let prevT = Number.NaN;
  let prevAllowance = 0;
  for (const [t, pid, started] of rows) {
    if (t !== prevT) {
      const iv = positive(intervals.get(t));
      const allowance = sampleSpacing(iv, default_gap_ms).allowance;
      if (
        !current ||
        dayOf(prevT) !== dayOf(t) ||
        t - prevT > Math.min(default_gap_ms, Math.max(prevAllowance, allowance))
      ) {
        current = { system_name, start: t, end: t, samples: 0, iv_first: iv, iv_last: iv, pids: [] };
        out.push(current);
        open = new Map();
      }
      current.end = t;
      current.iv_last = iv;
      current.samples += 1;
      prevT = t;
      prevAllowance = allowance;
    }
    const stretch = current as Stretch;
    let span = open.get(pid);
    if (!span || span[1] !== started) {
      span = [pid, started, t, t, 0];
      stretch.pids.push(span);
      open.set(pid, span);
    }
    span[3] = t;
    span[4] += 1;
  }
  return out;
}

const positive = (v: number | undefined): number | undefined => ((v ?? 0) > 0 ? v : undefined);

/**
 * The stretches of one name on one system in one UTC day (ascending), as one compact JSON text for
 * storage, kept under the first stretch's start: `[[Δstart, Δend, samples, iv_first, iv_last,
 * [pid, started_at, Δfirst, Δlast, samples, …]], …]`, every Δ from that first start. One record per
 * (system, name, day) instead of one per stretch: an hourly sample is a stretch of its own, and a
 * record per stretch made compaction write a row (SQLite) or a point (InfluxDB) per sample.
 *
 * A stretch of a single instant (every sample of an hourly agent) is written short: its end, count,
 * second interval and every span's first, last and count follow from that one instant, and its
 * processes mostly are the previous stretch's (writing the records was a third of InfluxDB's
 * compaction time, and their text is what history keeps):
 *
 * - `[Δstart, iv]`: the same (pid, started_at) pairs as the previous stretch, a one-instant one;
 * - `[Δstart, iv, [k, …], [pid, age, …]]`: the previous (one-instant) stretch's pairs at indices
 *   k, in that order, then the pairs listed, `age` = the instant − started_at (null: not sent),
 *   a few digits for a process that started just before it was seen instead of an absolute 13.
 *
 * Records of earlier releases are read as they are: the short form `[Δstart, iv, [pid, started_at,
 * …]]` and the one-stretch record (decodeStretches).
 */
export function encodeStretches(stretches: readonly Stretch[]): string {
  const base = (stretches[0] as Stretch).start;
  let out = "[";
  let previous: Stretch | undefined;
  for (let i = 0; i < stretches.length; i++) {
    const s = stretches[i] as Stretch;
    const at = s.start - base;
    const comma = i > 0 ? "," : "";
    if (!single(s)) {
      out += `${comma}[${at},${s.end - base},${s.samples},${s.iv_first ?? 0},${s.iv_last ?? 0},[`;
      for (let j = 0; j < s.pids.length; j++) {
        const [pid, started, first, last, n] = s.pids[j] as PidSpan;
        // a null started_at is written as null by the template itself
        out += `${j > 0 ? "," : ""}${pid},${started},${first - base},${last - base},${n}`;
      }
      out += "]]";
      previous = undefined;
      continue;
    }
    // the previous one-instant stretch's pairs kept, in its order, as long as they are this one's
    // first pairs in order; the rest listed
    const keep: number[] = [];
    let j = 0;
    if (previous)
      for (let k = 0; k < previous.pids.length && j < s.pids.length; k++) {
        const [pid, started] = previous.pids[k] as PidSpan;
        const [pidHere, startedHere] = s.pids[j] as PidSpan;
        if (pid === pidHere && started === startedHere) {
          keep.push(k);
          j++;
        }
      }
    if (previous && j === s.pids.length && keep.length === previous.pids.length) {
      out += `${comma}[${at},${s.iv_first ?? 0}]`;
    } else {
      out += `${comma}[${at},${s.iv_first ?? 0},[${keep.join(",")}],[`;
      for (let k = j; k < s.pids.length; k++) {
        const [pid, started] = s.pids[k] as PidSpan;
        out += `${k > j ? "," : ""}${pid},${started === null ? "null" : s.start - started}`;
      }
      out += "]]";
    }
    previous = s;
  }
  return `${out}]`;
}

/** A stretch of one instant, whose every span is that instant once: the short forms say it all. */
function single(s: Stretch): boolean {
  if (s.samples !== 1 || s.end !== s.start || s.iv_first !== s.iv_last) return false;
  for (const [, started, first, last, n] of s.pids)
    if (first !== s.start || last !== s.start || n !== 1 || !Number.isSafeInteger(s.start - (started ?? 0)))
      return false;
  return true;
}

type Encoded =
  | [number, number, number, number, number, (number | null)[]]
  | [number, number, (number | null)[]]
  | [number, number, number[], (number | null)[]]
  | [number, number];

/**
 * encodeStretches() read back, short stretches too, and the earlier forms: the short form
 * `[Δstart, iv, [pid, started_at, …]]`, and the one-stretch record `[Δend, samples, iv_first,
 * iv_last, [pid, started_at, Δfirst, Δlast, samples, …]]` (history written before records were per
 * day).
 */
export function decodeStretches(system_name: string, start: number, text: string): Stretch[] {
  const parsed = JSON.parse(text) as unknown[];
  const records = (Array.isArray(parsed[0]) ? parsed : [[0, ...parsed]]) as Encoded[];
  const out: Stretch[] = [];
  let previous: Stretch | undefined;
  for (const record of records) {
    if (record.length === 6) {
      const [dStart, dEnd, samples, ivFirst, ivLast, flat] = record;
      const pids: PidSpan[] = [];
      for (let i = 0; i < flat.length; i += 5) {
        pids.push([
          flat[i] as number,
          flat[i + 1] as number | null,
          start + (flat[i + 2] as number),
          start + (flat[i + 3] as number),
          flat[i + 4] as number,
        ]);
      }
      previous = {
        system_name,
        start: start + dStart,
        end: start + dEnd,
        samples,
        iv_first: positive(ivFirst),
        iv_last: positive(ivLast),
        pids,
      };
      out.push(previous);
      continue;
    }
    const at = start + record[0];
    const pids: PidSpan[] = [];
    if (record.length === 3) {
      const flat = record[2];
      for (let i = 0; i < flat.length; i += 2)
        pids.push([flat[i] as number, flat[i + 1] as number | null, at, at, 1]);
    } else {
      // Stryker disable next-line ArrayDeclaration: equivalent for the records encodeStretches() writes, whose first stretch never refers to a previous one
      const before = previous?.pids ?? [];
      const keep = record.length === 2 ? before.map((_, k) => k) : record[2];
      for (const k of keep) {
        const [pid, started] = before[k] as PidSpan;
        pids.push([pid, started, at, at, 1]);
      }
      if (record.length === 4) {
        const flat = record[3];
        for (let i = 0; i < flat.length; i += 2) {
          const age = flat[i + 1] as number | null;
          pids.push([flat[i] as number, age === null ? null : at - age, at, at, 1]);
        }
      }
    }
    const iv = positive(record[1]);
    previous = { system_name, start: at, end: at, samples: 1, iv_first: iv, iv_last: iv, pids };
    out.push(previous);
  }
  return out;
}

interface Instance {
  pid: number;
  started_at: number | null;
  first_seen: number;
  last_seen: number;
  samples: number;
  /** The run it was last seen in. */
  run: Building;
}

/** A run being assembled: its instances are the members, listed in order at the end. */
type Building = Omit<HistoryRun, "instances"> & { members: Set<Instance> };

/** Runs, instances, restarts and the crash-loop flag (the rules of runs.ts assembleRuns, which calls this) from the stretches of one name on one system (ascending, disjoint). */
export function runsFromStretches(
  system_name: string,
  stretches: readonly Stretch[],
  rules: RunRules,
): SystemRuns | null {
  if (stretches.length === 0) return null;
  const gap = rules.default_gap_ms;
  const instances: Instance[] = [];
  const latestByPid = new Map<number, Instance>();
  const runs: Building[] = [];
  let run: Building | undefined;
  /** The allowance after the previous stretch (its last instant's), whose end is run.end. */
  let allowance = 0;
  for (const s of stretches) {
    const first = sampleSpacing(s.iv_first, gap);
    const last = sampleSpacing(s.iv_last, gap);
    if (!run || s.start - run.end > Math.max(allowance, first.allowance)) {
      run = {
        start: s.start,
        end: s.end,
        start_earliest: s.start - first.interval,
        // Stryker disable next-line ArithmeticOperator: equivalent because end_latest is set again just below, for this stretch too
        end_latest: s.end + last.interval,
        samples: 0,
        members: new Set(),
      };
      runs.push(run);
    }
    run.end = s.end;
    run.end_latest = s.end + last.interval;
    run.samples += s.samples;
    for (const [pid, started, firstSeen, lastSeen, n] of s.pids) {
      let inst = latestByPid.get(pid);
      const same =
        inst !== undefined &&
        (started === null
          ? inst.run === run
          : inst.started_at === started || (inst.started_at === null && inst.run === run));
      if (!inst || !same) {
        inst = {
          pid,
          started_at: started,
          first_seen: firstSeen,
          last_seen: firstSeen,
          samples: 0,
          run,
        };
        instances.push(inst);
        latestByPid.set(pid, inst);
      }
      // joined with a started_at: the instance's own, or one it lacked until now
      if (started !== null) inst.started_at = started;
      inst.last_seen = lastSeen;
      inst.samples += n;
      inst.run = run;
      run.members.add(inst);
    }
    allowance = last.allowance;
  }
  const order = (a: Instance, b: Instance) => a.first_seen - b.first_seen || a.pid - b.pid;
  const firstT = (stretches[0] as Stretch).start;
  const restartTimes = instances
    .filter((i) => i.first_seen > firstT && (i.started_at === null || i.started_at > firstT))
    .map((i) => i.started_at ?? i.first_seen)
    .sort((a, b) => a - b);
  const k = rules.crash_loop_restarts;
  // k restarts within the window: the k-th after the j-th (j = 0, 1, …) at most that much later
  const crashLoop =
    k > 0 &&
    restartTimes.slice(k - 1).some((t, j) => t - (restartTimes[j] as number) <= rules.crash_loop_window_ms);
  return {
    system_name,
    first_seen: firstT,
    last_seen: (stretches[stretches.length - 1] as Stretch).end,
    runs: runs.map(({ members, ...r }) => ({
      ...r,
      instances: [...members].sort(order).map((i) => ({ pid: i.pid, started_at: i.started_at })),
    })),
    // Stryker disable next-line MethodExpression: equivalent because instances are made span by span, and a stretch's spans are by first sighting, then pid: already in this order
    instances: instances.sort(order).map(({ run: _, ...i }) => i),
    restarts: restartTimes.length,
    crash_loop: crashLoop,
  };
}

/** runs.ts's assembleDuration (the RUN_GAP_SECONDS rule), from stretches (ascending, disjoint). */
export function durationFromStretches(stretches: readonly Stretch[], gap_ms: number): DurationFacts | null {
  if (stretches.length === 0) return null;
  const bounds: { start: number; end: number }[] = [];
  const pids = new Map<number, { first: number; last: number }>();
  for (const s of stretches) {
    const open = bounds[bounds.length - 1];
    if (!open || s.start - open.end > gap_ms) bounds.push({ start: s.start, end: s.end });
    else open.end = s.end;
    for (const [pid, , first, last] of s.pids) {
      const p = pids.get(pid);
      if (!p) pids.set(pid, { first, last });
      else {
        p.first = Math.min(p.first, first);
        p.last = Math.max(p.last, last);
      }
    }
  }
  const lastStretch = stretches[stretches.length - 1] as Stretch;
  const lastSeen = lastStretch.end;
  const current = lastStretch.pids
    .filter((p) => p[3] === lastSeen && p[1] !== null)
    .map((p) => p[1] as number);
  return {
    first_seen: (stretches[0] as Stretch).start,
    last_seen: lastSeen,
    runs: bounds.map((b) => ({
      ...b,
      pids: [...pids]
        .filter(([, p]) => p.first <= b.end && p.last >= b.start)
        .map(([pid]) => pid)
        .sort((x, y) => x - y),
    })),
    latest_started_at: current.length ? Math.min(...current) : null,
  };
}
