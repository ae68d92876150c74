/**
 * Down intervals of a watch on a system in a range (GET /api/process-status/?from&to), from the
 * process's runs (server/store/runs.ts): the gaps between runs of at least `min_instances`
 * matching processes, with edges as honest as the runs' (docs/watches.md).
 */
import { assembleRuns, type RunRules } from "../store/runs.ts";
import type { ProcessStore, Sighting, TimeRange } from "../store/types.ts";

export interface DownInterval {
  /** Last sighting before it (null: before the range). */
  start_earliest: number | null;
  start_latest: number | null;
  end_earliest: number | null;
  /** First sighting after it (null: still down at the range's end). */
  end_latest: number | null;
  /** The system sent no sample in between. */
  system_silent: boolean;
}

export async function downIntervals(
  store: ProcessStore,
  q: { system_name: string; names: string[]; min_instances: number; for_ms: number; range: TimeRange },
  rules: RunRules,
): Promise<DownInterval[]> {
  const byTime = new Map<number, { n: number; interval_ms: number | undefined }>();
  for (const name of q.names) {
    const seen = await store.sightings({ process_name: name, system_name: q.system_name, range: q.range });
    for (const s of seen) {
      const at = byTime.get(s.timestamp);
      if (at) at.n += 1;
      else byTime.set(s.timestamp, { n: 1, interval_ms: s.interval_ms });
    }
  }
  // one sighting per instant with enough instances: the runs of "running as the watch wants"
  const enough: Sighting[] = [...byTime]
    .filter(([, v]) => v.n >= q.min_instances)
    .map(([t, v]) => ({ system_name: q.system_name, timestamp: t, pid: 0, interval_ms: v.interval_ms }));
  const runs = assembleRuns(q.system_name, enough, rules)?.runs ?? [];
  /** The system's last sample before `t` (in the range), or null. */
  const lastBefore = async (t: number) => {
    const s = await store.sampleAt(q.system_name, t - 1, { sort: "name", top: 0 });
    return s && s.timestamp >= q.range.start ? s.timestamp : null;
  };
  const out: DownInterval[] = [];
  const first = runs[0];
  if (!first) {
    const last = await lastBefore(q.range.stop);
    if (last !== null) {
      out.push({
        start_earliest: null,
        start_latest: null,
        end_earliest: null,
        end_latest: null,
        system_silent: false,
      });
    }
    return out;
  }
  const before = await lastBefore(first.start);
  if (before !== null && first.start - q.range.start > q.for_ms) {
    out.push({
      start_earliest: null,
      start_latest: null,
      end_earliest: first.start_earliest,
      end_latest: first.start,
      system_silent: false,
    });
  }
  for (let i = 1; i < runs.length; i++) {
    const a = runs[i - 1] as (typeof runs)[number];
    const b = runs[i] as (typeof runs)[number];
    if (b.start - a.end <= q.for_ms) continue;
    const last = await lastBefore(b.start);
    out.push({
      start_earliest: a.end,
      start_latest: a.end_latest,
      end_earliest: b.start_earliest,
      end_latest: b.start,
      system_silent: last === null || last <= a.end,
    });
  }
  const end = runs[runs.length - 1] as (typeof runs)[number];
  const last = await lastBefore(q.range.stop);
  if (last !== null && last - end.end >= q.for_ms) {
    out.push({
      start_earliest: end.end,
      start_latest: end.end_latest,
      end_earliest: null,
      end_latest: null,
      system_silent: false,
    });
  }
  return out;
}
