/** Small builders the history unit tests share (pure data, nothing started). */
import type { Stretch } from "../../server/store/stretches.ts";

/** One sighting of a process on system "box", as the stores hand sightings to compaction. */
export const sighting = (timestamp: number, pid: number, started_at?: number, interval_ms?: number) => ({
  system_name: "box",
  timestamp,
  pid,
  started_at,
  interval_ms,
});

/** A stretch of one sample at instant `t` on system "s", every (pid, started_at) pair seen once then. */
export const oneInstant = (t: number, pairs: [number, number | null][], iv?: number): Stretch => ({
  system_name: "s",
  start: t,
  end: t,
  samples: 1,
  iv_first: iv,
  iv_last: iv,
  pids: pairs.map(([pid, started]) => [pid, started, t, t, 1]),
});
