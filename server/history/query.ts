/**
 * Process history questions answered from any ProcessStore: runs of a name per system, and the
 * sample in force on a system at an instant. The stores only hand over sightings and samples; the
 * rules live here and in server/store/runs.ts, once for both stores (docs/history.md).
 */
import { byCodePoint } from "../store/influx/tags.ts";
import { type RunRules, type SystemRuns, sampleSpacing } from "../store/runs.ts";
import {
  compact,
  dayOf,
  durationFromStretches,
  runsFromStretches,
  type Stretch,
} from "../store/stretches.ts";
import type {
  DurationFacts,
  DurationQuery,
  ProcessOrder,
  ProcessStore,
  SampleAt,
  Sighting,
  SightingsQuery,
  TimeRange,
} from "../store/types.ts";

const DAY = 86_400_000;

/**
 * The stretches of a name per system over exactly the range: stored ones for the compacted days,
 * raw sightings compacted on the fly for the rest. A stored stretch that crosses a range edge is
 * re-read from raw samples while they exist (so any edge is exact); once they are gone it counts
 * whole when it starts inside the range (docs/history.md: edges at UTC midnight are always exact).
 */
async function stretchesOf(
  store: ProcessStore,
  q: SightingsQuery,
  defaultGapMs: number,
  known?: Awaited<ReturnType<ProcessStore["history"]>>,
): Promise<Map<string, Stretch[]>> {
  const { range } = q;
  const h = known ?? (await store.history(q));
  const done = new Set(h.days);
  const bySystem = new Map<string, Stretch[]>();
  const add = (s: Stretch) => {
    const list = bySystem.get(s.system_name);
    if (list) list.push(s);
    else bySystem.set(s.system_name, [s]);
  };
  // stretches crossing the start or the stop edge, re-read from raw samples
  const atStart = new Map<string, Stretch>();
  const atStop = new Map<string, Stretch>();
  for (const s of h.stretches) {
    if (!done.has(dayOf(s.start)) || s.end < range.start || s.start >= range.stop) continue;
    if (s.start >= range.start && s.end < range.stop) add(s);
    else if (s.start >= h.raw_from) {
      // Stryker disable next-line EqualityOperator: `>=` is equivalent because it swaps the two maps (what is across the start goes to atStop and the other way round): a system has at most one stretch across each edge, so the same reads are made; `<=` is killed by test/unit/server/history-query.test.ts (e, from exactly the start to past the stop), checked by planting it
      const edge = s.start < range.start ? atStart : atStop;
      edge.set(s.system_name, s);
    } else if (s.start >= range.start) add(s);
  }
  const reads: { range: TimeRange; keep?: Map<string, Stretch> }[] = [];
  for (let d = dayOf(range.start); d < range.stop; d += DAY) {
    if (done.has(d)) continue;
    const piece = { start: Math.max(d, range.start), stop: Math.min(d + DAY, range.stop) };
    const last = reads[reads.length - 1];
    if (last && !last.keep && last.range.stop === piece.start) last.range.stop = piece.stop;
    else reads.push({ range: piece });
  }
  for (const edge of [atStart, atStop]) {
    if (edge.size === 0) continue;
    const spans = [...edge.values()];
    reads.push({
      range: {
        start: Math.max(range.start, Math.min(...spans.map((s) => s.start))),
        stop: Math.min(range.stop, Math.max(...spans.map((s) => s.end)) + 1),
      },
      keep: edge,
    });
  }
  const raw = await Promise.all(
    reads.map(async (r) => {
      const system_name = r.keep?.size === 1 ? [...r.keep.keys()][0] : q.system_name;
      const got = await store.sightings({ process_name: q.process_name, system_name, range: r.range });
      const keep = r.keep;
      if (!keep) return got;
      return got.filter((x) => {
        const s = keep.get(x.system_name);
        return s !== undefined && x.timestamp >= s.start && x.timestamp <= s.end;
      });
    }),
  );
  for (const sightings of raw) {
    const perSystem = new Map<string, Sighting[]>();
    for (const x of sightings) {
      const list = perSystem.get(x.system_name);
      if (list) list.push(x);
      else perSystem.set(x.system_name, [x]);
    }
    for (const [system, list] of perSystem) for (const s of compact(system, list, defaultGapMs)) add(s);
  }
  for (const list of bySystem.values()) list.sort((a, b) => a.start - b.start);
  return bySystem;
}

/** Runs of `process_name` per system in `range`, systems in code-point order; empty when never seen. */
export async function processRuns(
  store: ProcessStore,
  q: { process_name: string; system_name?: string | undefined; range: TimeRange },
  rules: RunRules,
): Promise<SystemRuns[]> {
  const bySystem = await stretchesOf(store, q, rules.default_gap_ms);
  const systems = [...bySystem].sort(([a], [b]) => byCodePoint(a, b));
  // Stryker disable next-line ArrayDeclaration: equivalent because runsFromStretches() is null only without stretches, and every system listed has some
  return systems.flatMap(([system, list]) => runsFromStretches(system, list, rules) ?? []);
}

/**
 * GET /api/process-duration/'s facts: from the raw samples when no day of the range is compacted
 * (the store's own query), else from stretches (the same answer, docs/history.md).
 */
export async function durationFacts(store: ProcessStore, q: DurationQuery): Promise<DurationFacts | null> {
  const sightings = { process_name: q.process_name, system_name: q.system_name, range: q.range };
  const h = await store.history(sightings);
  if (h.days.length === 0) return store.duration(q);
  const bySystem = await stretchesOf(store, sightings, q.gap_ms, h);
  return durationFromStretches(bySystem.get(q.system_name) ?? [], q.gap_ms);
}

export type InForce =
  | { found: "sample"; sample: SampleAt }
  /** The system has no sample at or before the instant (unknown, or before its first). */
  | { found: "none" }
  /** Its last sample before the instant is more than 3 intervals older: it was not reporting. */
  | { found: "silent"; last: number };

/**
 * The sample in force on a system at `at`: the last one at or before it, no older than 3
 * intervals. With `pick`, only its `top` first processes in that order.
 */
export async function sampleInForce(
  store: ProcessStore,
  system_name: string,
  at: number,
  defaultGapMs: number,
  pick?: { sort: ProcessOrder; top: number },
): Promise<InForce> {
  const sample = await store.sampleAt(system_name, at, pick);
  if (!sample) return { found: "none" };
  const { allowance } = sampleSpacing(sample.interval_ms, defaultGapMs);
  if (at - sample.timestamp > allowance) return { found: "silent", last: sample.timestamp };
  return { found: "sample", sample };
}
