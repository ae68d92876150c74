/**
 * The SQL this store runs, in one place. Values always enter as bound parameters; the only text
 * assembled here is the choice of which fixed predicates apply (narrowing by system, name, pid).
 */
import type { FilterQuery } from "../types.ts";

export const UPSERT = `
INSERT INTO samples (system, name, ts, pid, cpu_percent, memory_percent, memory_rss, started_at,
                     parent_pid, user, command_id, state, num_threads, cpu_user_seconds,
                     cpu_system_seconds, minor_faults, major_faults, memory_vms)
VALUES (@system, @name, @ts, @pid, @cpu_percent, @memory_percent, @memory_rss, @started_at,
        @parent_pid, @user, @command_id, @state, @num_threads, @cpu_user_seconds,
        @cpu_system_seconds, @minor_faults, @major_faults, @memory_vms)
ON CONFLICT (system, name, ts, pid) DO UPDATE SET
  cpu_percent    = excluded.cpu_percent,
  memory_percent = excluded.memory_percent,
  memory_rss     = coalesce(excluded.memory_rss, memory_rss),
  started_at     = coalesce(excluded.started_at, started_at),
  parent_pid     = coalesce(excluded.parent_pid, parent_pid),
  user           = coalesce(excluded.user, user),
  command_id     = coalesce(excluded.command_id, command_id),
  state          = coalesce(excluded.state, state),
  num_threads        = coalesce(excluded.num_threads, num_threads),
  cpu_user_seconds   = coalesce(excluded.cpu_user_seconds, cpu_user_seconds),
  cpu_system_seconds = coalesce(excluded.cpu_system_seconds, cpu_system_seconds),
  minor_faults       = coalesce(excluded.minor_faults, minor_faults),
  major_faults       = coalesce(excluded.major_faults, major_faults),
  memory_vms         = coalesce(excluded.memory_vms, memory_vms)`;
// A rewrite merges like an InfluxDB point: fields it carries replace, fields it lacks are kept.

type Narrowing = Pick<FilterQuery, "system_name" | "process_name" | "pid">;

/**
 * The fixed predicates a query narrows by; also the key under which its statement is cached.
 * With system and name, the primary key seeks straight to that process's time range. Otherwise the
 * time index serves the range in output order; `+system` keeps SQLite from walking all of one
 * system's history through the primary key instead (and sorting it) when only the system is given.
 */
export function narrowingSql(q: Narrowing): string {
  let sql = "ts >= @start AND ts < @stop";
  if (q.system_name !== undefined) {
    sql += q.process_name !== undefined ? " AND system = @system" : " AND +system = @system";
  }
  if (q.process_name !== undefined) sql += " AND name = @name";
  if (q.pid !== undefined) sql += " AND pid = @pid";
  return sql;
}

export const INSERT_COMMAND = "INSERT INTO commands (text) VALUES (?) ON CONFLICT (text) DO NOTHING";
export const COMMAND_ID = "SELECT id FROM commands WHERE text = ?";

export const filterCountSql = (where: string) => `SELECT count(*) FROM samples WHERE ${where}`;

export const filterPageSql = (where: string) =>
  `SELECT samples.*, commands.text AS command
FROM samples LEFT JOIN commands ON commands.id = samples.command_id
WHERE ${where} ORDER BY ts, system, name, pid LIMIT @limit OFFSET @offset`;

const PROCESS = "system = @system AND name = @name AND ts >= @start AND ts < @stop";

/** Per pid: first and last sighting. */
export const DURATION_PIDS = `SELECT pid, min(ts) AS first, max(ts) AS last FROM samples
WHERE ${PROCESS} GROUP BY pid`;

/** Each gap longer than the threshold between consecutive sampling instants (ends a run). */
export const DURATION_GAPS = `SELECT t, elapsed FROM (
  SELECT ts AS t, ts - lag(ts) OVER (ORDER BY ts) AS elapsed
  FROM (SELECT DISTINCT ts FROM samples WHERE ${PROCESS} ORDER BY ts)
) WHERE elapsed > @gap`;

/** Per pid: its last sample that carried started_at (SQLite takes started_at from the max(ts) row). */
export const DURATION_STARTED = `SELECT pid, max(ts) AS t, started_at AS v FROM samples
WHERE ${PROCESS} AND started_at IS NOT NULL GROUP BY pid`;

/** Systems, one step at a time along the primary key (skip-scan; no full scan of the table). */
export const FIRST_SYSTEM = "SELECT system FROM samples ORDER BY system LIMIT 1";
export const NEXT_SYSTEM = "SELECT system FROM samples WHERE system > @system ORDER BY system LIMIT 1";
export const FIRST_NAME = "SELECT name FROM samples WHERE system = @system ORDER BY name LIMIT 1";
export const NEXT_NAME =
  "SELECT name FROM samples WHERE system = @system AND name > @name ORDER BY name LIMIT 1";
export const NAME_FIRST_TS = `SELECT ts FROM samples WHERE ${PROCESS} ORDER BY ts LIMIT 1`;
export const NAME_LAST_TS = `SELECT ts FROM samples WHERE ${PROCESS} ORDER BY ts DESC LIMIT 1`;
export const COUNT_AT = "SELECT count(*) FROM samples WHERE ts = @ts AND system = @system";

/** One row per batch: how many processes it holds now (a rewrite merges) and the agent's interval. */
export const UPSERT_BATCH = `
INSERT INTO batches (system, ts, processes, interval_ms)
VALUES (@system, @ts, (SELECT count(*) FROM samples WHERE ts = @ts AND system = @system), @interval_ms)
ON CONFLICT (system, ts) DO UPDATE SET
  processes   = excluded.processes,
  interval_ms = coalesce(excluded.interval_ms, interval_ms)`;

/** Every sighting of a name on one system in a range, with its batch's interval. */
export const SIGHTINGS = `SELECT s.ts, s.pid, s.started_at, b.interval_ms
FROM samples s LEFT JOIN batches b ON b.system = s.system AND b.ts = s.ts
WHERE s.system = @system AND s.name = @name AND s.ts >= @start AND s.ts < @stop`;

/** The system's last batch at or before @at. */
export const BATCH_AT = `SELECT ts, interval_ms FROM batches
WHERE system = @system AND ts <= @at ORDER BY ts DESC LIMIT 1`;

/** Every process of one batch. */
export const SAMPLE_AT = `SELECT samples.*, commands.text AS command
FROM samples LEFT JOIN commands ON commands.id = samples.command_id
WHERE ts = @ts AND system = @system`;

/** Retention: the oldest expired batch rows, a bounded chunk at a time. */
export const DELETE_EXPIRED_BATCHES = `DELETE FROM batches WHERE (system, ts) IN (
  SELECT system, ts FROM batches WHERE ts < @cutoff ORDER BY ts LIMIT @chunk)`;

/** Retention: the oldest expired rows, a bounded chunk at a time. */
export const DELETE_EXPIRED_CHUNK = `DELETE FROM samples WHERE (system, name, ts, pid) IN (
  SELECT system, name, ts, pid FROM samples WHERE ts < @cutoff ORDER BY ts LIMIT @chunk)`;

/** Watches (server/watch/): systems one step at a time along the batches' key (skip-scan). */
export const BATCH_FIRST_SYSTEM = "SELECT system FROM batches ORDER BY system LIMIT 1";
export const BATCH_NEXT_SYSTEM = "SELECT system FROM batches WHERE system > @system ORDER BY system LIMIT 1";
/** A system's first and last batch in a range (two seeks along the key). */
export const BATCH_FIRST_IN = `SELECT ts FROM batches
WHERE system = @system AND ts >= @start AND ts < @stop ORDER BY ts LIMIT 1`;
export const BATCH_LAST_IN = `SELECT ts, interval_ms FROM batches
WHERE system = @system AND ts >= @start AND ts < @stop ORDER BY ts DESC LIMIT 1`;
/** Processes per (instant, system, name) in a range, in the time index's own order (no sort). */
export const NAMES_IN = `SELECT ts, system, name, count(*) AS n FROM samples
WHERE ts >= @start AND ts < @stop GROUP BY ts, system, name`;
