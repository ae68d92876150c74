/**
 * Process history questions answered from any ProcessStore: runs of a name per system, and the
 * sample in force on a system at an instant. The stores only hand over sightings and samples; the
 * rules live here and in server/store/runs.ts, once for both stores (docs/history.md).
 */
import { byCodePoint } from "../store/influx/tags.ts";
import { assembleRuns, type RunRules, type SystemRuns, sampleSpacing } from "../store/runs.ts";
import type { ProcessOrder, ProcessStore, SampleAt, Sighting, TimeRange } from "../store/types.ts";

/** Runs of `process_name` per system in `range`, systems in code-point order; empty when never seen. */
export async function processRuns(
  store: ProcessStore,
  q: { process_name: string; system_name?: string | undefined; range: TimeRange },
  rules: RunRules,
): Promise<SystemRuns[]> {
  const sightings = await store.sightings(q);
  const bySystem = new Map<string, Sighting[]>();
  for (const s of sightings) {
    const list = bySystem.get(s.system_name);
    if (list) list.push(s);
    else bySystem.set(s.system_name, [s]);
  }
  return [...bySystem.keys()]
    .sort(byCodePoint)
    .flatMap((system) => assembleRuns(system, bySystem.get(system) ?? [], rules) ?? []);
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
