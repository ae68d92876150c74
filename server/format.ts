/** Turning stored facts into the API's JSON: instants, durations, sample rows. */
import type { StoredSample } from "./store/types.ts";

export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Seconds → "H:MM:SS", or "N day(s), H:MM:SS" from one day on: the format of Python's
 * str(timedelta), which the old service returned. Fractions of a second are dropped.
 */
export function humanDuration(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const days = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const clock = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return days === 0 ? clock : `${days} day${days === 1 ? "" : "s"}, ${clock}`;
}

export function sampleJson(row: StoredSample) {
  return {
    system_name: row.system_name,
    pid: row.pid,
    name: row.name,
    cpu_percent: row.cpu_percent,
    memory_percent: row.memory_percent,
    timestamp: iso(row.timestamp),
    ...(row.memory_rss !== undefined ? { memory_rss: row.memory_rss } : {}),
    ...(row.started_at !== undefined ? { started_at: iso(row.started_at) } : {}),
    ...(row.user !== undefined ? { user: row.user } : {}),
    ...(row.command !== undefined ? { command: row.command } : {}),
    ...(row.state !== undefined ? { state: row.state } : {}),
    ...(row.parent_pid !== undefined ? { parent_pid: row.parent_pid } : {}),
    ...procStat(row),
  };
}

const PROC_STAT_FIELDS = [
  "num_threads",
  "cpu_user_seconds",
  "cpu_system_seconds",
  "minor_faults",
  "major_faults",
  "memory_vms",
] as const;

/** The optional /proc/<pid>/stat facts a row carries, and only those. */
function procStat(row: StoredSample): Partial<Pick<StoredSample, (typeof PROC_STAT_FIELDS)[number]>> {
  const out: Partial<Pick<StoredSample, (typeof PROC_STAT_FIELDS)[number]>> = {};
  for (const key of PROC_STAT_FIELDS) if (row[key] !== undefined) out[key] = row[key];
  return out;
}
