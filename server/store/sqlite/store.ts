/** ProcessStore on an embedded SQLite file (better-sqlite3): zero set-up, one machine. */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "../../log.ts";
import { assembleDuration, processOrder } from "../runs.ts";
import {
  type DurationFacts,
  type DurationQuery,
  type FilterQuery,
  type FilterResult,
  type LatestFacts,
  type ProcessOrder,
  type ProcessStore,
  type SampleAt,
  type SampleBatch,
  type Sighting,
  type SightingsQuery,
  StorageRefusedError,
  StorageUnavailableError,
  type StoredHistory,
  type StoredSample,
  type SystemSummary,
  type TimeRange,
} from "../types.ts";
import { assertUniqueProcesses } from "../unique.ts";
import { SqliteHistory } from "./history.ts";
import {
  BATCH_AT,
  BATCH_FIRST_IN,
  BATCH_FIRST_SYSTEM,
  BATCH_LAST_IN,
  BATCH_NEXT_SYSTEM,
  COMMAND_ID,
  COUNT_AT,
  DURATION_GAPS,
  DURATION_PIDS,
  DURATION_STARTED,
  FIRST_NAME,
  FIRST_SYSTEM,
  filterCountSql,
  filterPageSql,
  INSERT_COMMAND,
  NAME_FIRST_TS,
  NAME_LAST_TS,
  NAMES_IN,
  NEXT_NAME,
  NEXT_SYSTEM,
  narrowingSql,
  SAMPLE_AT,
  SIGHTINGS,
  UPSERT,
  UPSERT_BATCH,
} from "./queries.ts";
import { Retention } from "./retention.ts";
import { configure, migrate } from "./schema.ts";

export interface SqliteStoreOptions {
  /** Directory of the data file (created when missing). */
  dataDir: string;
  /** Samples older than this many days are deleted in the background. */
  retentionDays: number;
  log: Logger;
  /** How often the retention sweep runs (default 10 minutes). */
  retentionIntervalMs?: number;
  /** File name inside dataDir (default procscope.sqlite). */
  fileName?: string;
  /** The clock retention is measured by (default Date.now). */
  now?: () => number;
  /** Run and instance history is kept this many days (HISTORY_RETENTION_DAYS, default 400). */
  historyRetentionDays?: number;
  /** RUN_GAP_SECONDS × 1000 (default 15 000): where history's stretches are cut. */
  runGapMs?: number;
  /** How long after its end a UTC day is compacted into history (default 10 minutes). */
  historyGraceMs?: number;
  /**
   * Whether retention sweeps compact finished days (default true); without, raw samples stay
   * until a day is compacted (HISTORY_COMPACT_MINUTES=0: another process does it).
   */
  compactHistory?: boolean;
}

interface SampleRow {
  system: string;
  name: string;
  ts: number;
  pid: number;
  cpu_percent: number;
  memory_percent: number;
  memory_rss: number | null;
  started_at: number | null;
  parent_pid: number | null;
  user: string | null;
  command: string | null;
  state: string | null;
  num_threads: number | null;
  cpu_user_seconds: number | null;
  cpu_system_seconds: number | null;
  minor_faults: number | null;
  major_faults: number | null;
  memory_vms: number | null;
}

const COMMAND_CACHE = 50_000;
const DAY_MS = 86_400_000;

/**
 * SQLite's answers that mean "cannot serve us now" (locked, disk full, I/O error, file gone or
 * read-only): 503 with Retry-After, as for an InfluxDB outage. A failed batch rolled back whole,
 * so nothing it carried was acknowledged.
 */
const UNAVAILABLE =
  // Stryker disable next-line Regex: equivalent because better-sqlite3's codes all start with SQLITE_ and none of those listed is the prefix of a longer word
  /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|NOMEM|PROTOCOL|CORRUPT|NOTADB|NOLFS|AUTH)(_|$)/;

function classify(err: unknown): Error {
  // Stryker disable next-line OptionalChaining: equivalent because better-sqlite3 throws Error objects, never undefined
  const code = (err as { code?: unknown } | undefined)?.code;
  // Stryker disable next-line ConditionalExpression: equivalent because a code that is not a string is undefined (an error of ours, not SQLite's), and "undefined" does not match UNAVAILABLE
  if (typeof code === "string" && UNAVAILABLE.test(code)) {
    return new StorageUnavailableError(`SQLite: ${(err as Error).message} (${code})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs a store operation; SQLite's "cannot serve now" errors become StorageUnavailableError. */
function guarded<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (err) {
    return Promise.reject(classify(err));
  }
}
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
/**
 * As InfluxStore: carriage returns are not stored (InfluxDB's CSV cannot return them), and an
 * empty string field is not stored at all (it reads back as absent).
 */
const text = (v: string | undefined): string | null => (v ? v.replaceAll("\r", "") || null : null);

function toSample(r: SampleRow): StoredSample {
  return {
    system_name: r.system,
    name: r.name,
    pid: r.pid,
    timestamp: r.ts,
    cpu_percent: r.cpu_percent,
    memory_percent: r.memory_percent,
    memory_rss: opt(r.memory_rss),
    started_at: opt(r.started_at),
    parent_pid: opt(r.parent_pid),
    user: opt(r.user),
    command: opt(r.command),
    state: opt(r.state),
    num_threads: opt(r.num_threads),
    cpu_user_seconds: opt(r.cpu_user_seconds),
    cpu_system_seconds: opt(r.cpu_system_seconds),
    minor_faults: opt(r.minor_faults),
    major_faults: opt(r.major_faults),
    memory_vms: opt(r.memory_vms),
  };
}

export class SqliteStore implements ProcessStore {
  readonly kind = "sqlite" as const;
  get location(): string {
    return this.path;
  }
  /** Path of the data file. */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly retention: Retention;
  private readonly kept: SqliteHistory;
  private readonly insertBatch: (batch: SampleBatch) => void;
  /** Command line → id in `commands`, for lines seen in committed batches. */
  private readonly commandIds = new Map<string, number>();
  private readonly retentionDays: number;
  private readonly now: () => number;

  constructor(opts: SqliteStoreOptions) {
    this.retentionDays = opts.retentionDays;
    this.now = opts.now ?? Date.now;
    mkdirSync(opts.dataDir, { recursive: true });
    this.path = join(opts.dataDir, opts.fileName ?? "procscope.sqlite");
    this.db = new Database(this.path);
    configure(this.db);
    migrate(this.db);
    const upsert = this.db.prepare(UPSERT);
    const upsertBatch = this.db.prepare(UPSERT_BATCH);
    const insertCommand = this.db.prepare(INSERT_COMMAND);
    const commandId = this.db.prepare(COMMAND_ID).pluck();
    this.kept = new SqliteHistory(this.db, {
      defaultGapMs: opts.runGapMs ?? 15_000,
      retentionDays: opts.retentionDays,
      historyRetentionDays: opts.historyRetentionDays ?? 400,
      graceMs: opts.historyGraceMs ?? 10 * 60_000,
      compact: opts.compactHistory ?? true,
    });
    const write = this.db.transaction((batch: SampleBatch, added: Map<string, number>) => {
      const idOf = (command: string | null): number | null => {
        if (command === null) return null;
        // Stryker disable next-line LogicalOperator: equivalent because the id cache only saves a SELECT: a miss reads the same id from the table
        let id = this.commandIds.get(command) ?? added.get(command);
        // Stryker disable next-line ConditionalExpression: equivalent, as above (INSERT ... DO NOTHING, then SELECT: the same id)
        if (id === undefined) {
          insertCommand.run(command);
          id = commandId.get(command) as number;
          added.set(command, id);
        }
        return id;
      };
      for (const p of batch.processes) {
        upsert.run({
          system: batch.system_name,
          name: p.name,
          ts: Math.trunc(batch.timestamp),
          pid: p.pid,
          cpu_percent: p.cpu_percent,
          memory_percent: p.memory_percent,
          memory_rss: p.memory_rss ?? null,
          started_at: p.started_at ?? null,
          parent_pid: p.parent_pid ?? null,
          user: text(p.user),
          command_id: idOf(text(p.command)),
          state: text(p.state),
          num_threads: p.num_threads ?? null,
          cpu_user_seconds: p.cpu_user_seconds ?? null,
          cpu_system_seconds: p.cpu_system_seconds ?? null,
          minor_faults: p.minor_faults ?? null,
          major_faults: p.major_faults ?? null,
          memory_vms: p.memory_vms ?? null,
        });
      }
      upsertBatch.run({
        system: batch.system_name,
        ts: Math.trunc(batch.timestamp),
        interval_ms: batch.interval_ms ?? null,
      });
      return this.kept.touch(batch.timestamp);
    });
    this.insertBatch = (batch) => {
      const added = new Map<string, number>();
      write(batch, added)();
      // only ids of committed transactions are remembered (a rolled-back id may be reused)
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: equivalent in results because the cache only bounds its memory; a cleared cache reads ids from the table
      if (this.commandIds.size + added.size > COMMAND_CACHE) this.commandIds.clear();
      for (const [command, id] of added) this.commandIds.set(command, id);
    };
    this.retention = new Retention(this.db, {
      history: this.kept,
      intervalMs: opts.retentionIntervalMs ?? 10 * 60_000,
      log: opts.log,
      now: this.now,
    });
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    // Stryker disable next-line ConditionalExpression: equivalent because preparing the same SQL again gives the same statement (the cache saves the preparing)
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private open(): void {
    if (!this.db.open) throw new StorageUnavailableError("the SQLite store is closed");
  }

  async init(): Promise<void> {
    this.open();
    migrate(this.db);
    this.retention.start();
  }

  async write(batch: SampleBatch): Promise<number> {
    this.open();
    assertUniqueProcesses(batch);
    // As InfluxDB does: a sample the next retention sweep would delete is refused, not acknowledged.
    if (batch.timestamp < this.now() - this.retentionDays * DAY_MS) {
      throw new StorageRefusedError(
        `older than the retention period (RETENTION_DAYS=${this.retentionDays})`,
        "timestamp",
      );
    }
    return guarded(() => {
      this.insertBatch(batch);
      return batch.processes.length;
    });
  }

  async filter(q: FilterQuery): Promise<FilterResult> {
    this.open();
    const where = narrowingSql(q);
    const count = this.stmt(filterCountSql(where)).pluck();
    const page = this.stmt(filterPageSql(where));
    // Stryker disable ConditionalExpression: equivalent because better-sqlite3 ignores a named parameter the statement does not use
    const narrow = {
      ...(q.system_name !== undefined ? { system: q.system_name } : {}),
      ...(q.process_name !== undefined ? { name: q.process_name } : {}),
      ...(q.pid !== undefined ? { pid: q.pid } : {}),
    };
    // Stryker restore ConditionalExpression
    // The ranges are disjoint and ascending, so the rows of range i all sort before those of
    // range i + 1: count each range, then read the page from the ranges it falls in.
    return guarded(() =>
      this.db.transaction((): FilterResult => {
        const counts = q.ranges.map((r) => count.get({ ...narrow, start: r.start, stop: r.stop }) as number);
        const rows: StoredSample[] = [];
        let skip = q.offset;
        q.ranges.forEach((r, i) => {
          const n = counts[i] ?? 0;
          const need = q.limit - rows.length;
          // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because reading a page of 0 rows adds nothing (the check saves the query)
          if (need <= 0) return;
          // Stryker disable next-line EqualityOperator: equivalent because with skip = n the read at offset n finds nothing and skip becomes 0 either way
          if (skip >= n) {
            skip -= n;
            return;
          }
          const got = page.all({ ...narrow, start: r.start, stop: r.stop, limit: need, offset: skip });
          for (const row of got as SampleRow[]) rows.push(toSample(row));
          skip = 0;
        });
        return { count: counts.reduce((a, b) => a + b, 0), rows };
      })(),
    );
  }

  async duration(q: DurationQuery): Promise<DurationFacts | null> {
    this.open();
    const params = {
      system: q.system_name,
      name: q.process_name,
      start: q.range.start,
      stop: q.range.stop,
    };
    return guarded(() =>
      this.db.transaction((): DurationFacts | null => {
        const pids = this.stmt(DURATION_PIDS).all(params) as { pid: number; first: number; last: number }[];
        if (pids.length === 0) return null;
        const gaps = this.stmt(DURATION_GAPS).all({ ...params, gap: q.gap_ms }) as {
          t: number;
          elapsed: number;
        }[];
        const started = this.stmt(DURATION_STARTED).all(params) as { pid: number; t: number; v: number }[];
        return assembleDuration(pids, gaps, started);
      })(),
    );
  }

  async systems(range: TimeRange): Promise<SystemSummary[]> {
    this.open();
    const firstSystem = this.stmt(FIRST_SYSTEM).pluck();
    const nextSystem = this.stmt(NEXT_SYSTEM).pluck();
    const firstName = this.stmt(FIRST_NAME).pluck();
    const nextName = this.stmt(NEXT_NAME).pluck();
    const firstTs = this.stmt(NAME_FIRST_TS).pluck();
    const lastTs = this.stmt(NAME_LAST_TS).pluck();
    const countAt = this.stmt(COUNT_AT).pluck();
    return guarded(() =>
      this.db.transaction((): SystemSummary[] => {
        const out: SystemSummary[] = [];
        for (
          let system = firstSystem.get() as string | undefined;
          system !== undefined;
          system = nextSystem.get({ system }) as string | undefined
        ) {
          let first = Number.POSITIVE_INFINITY;
          let last = Number.NEGATIVE_INFINITY;
          for (
            let name = firstName.get({ system }) as string | undefined;
            name !== undefined;
            name = nextName.get({ system, name }) as string | undefined
          ) {
            const p = { system, name, start: range.start, stop: range.stop };
            const a = firstTs.get(p) as number | undefined;
            if (a === undefined) continue;
            first = Math.min(first, a);
            last = Math.max(last, lastTs.get(p) as number);
          }
          if (first === Number.POSITIVE_INFINITY) continue;
          out.push({
            system_name: system,
            first_seen: first,
            last_seen: last,
            process_count: countAt.get({ system, ts: last }) as number,
          });
        }
        // in primary-key order: by code point, as InfluxStore sorts them
        return out;
      })(),
    );
  }

  async sightings(q: SightingsQuery): Promise<Sighting[]> {
    this.open();
    const read = this.stmt(SIGHTINGS);
    const nextSystem = this.stmt(NEXT_SYSTEM).pluck();
    return this.db.transaction((): Sighting[] => {
      const out: Sighting[] = [];
      const one = (system: string) => {
        const rows = read.all({
          system,
          name: q.process_name,
          start: q.range.start,
          stop: q.range.stop,
        }) as { ts: number; pid: number; started_at: number | null; interval_ms: number | null }[];
        for (const r of rows) {
          out.push({
            system_name: system,
            timestamp: r.ts,
            pid: r.pid,
            started_at: opt(r.started_at),
            interval_ms: opt(r.interval_ms),
          });
        }
      };
      if (q.system_name !== undefined) one(q.system_name);
      else {
        // every system, one primary-key seek each (skip-scan over systems)
        for (
          let system = this.stmt(FIRST_SYSTEM).pluck().get() as string | undefined;
          system !== undefined;
          system = nextSystem.get({ system }) as string | undefined
        ) {
          one(system);
        }
      }
      return out;
    })();
  }

  async history(q: SightingsQuery): Promise<StoredHistory> {
    this.open();
    return guarded(() => this.db.transaction(() => this.kept.read(q, this.now()))());
  }

  async sampleAt(
    system_name: string,
    at: number,
    pick?: { sort: ProcessOrder; top: number },
  ): Promise<SampleAt | null> {
    this.open();
    return this.db.transaction((): SampleAt | null => {
      const found = this.stmt(BATCH_AT).get({ system: system_name, at }) as
        | { ts: number; interval_ms: number | null }
        | undefined;
      if (!found) return null;
      const rows = this.stmt(SAMPLE_AT).all({ system: system_name, ts: found.ts }) as SampleRow[];
      let processes = rows.map(toSample);
      if (pick) processes = processes.sort(processOrder(pick.sort)).slice(0, pick.top);
      return {
        timestamp: found.ts,
        interval_ms: opt(found.interval_ms),
        process_count: rows.length,
        processes,
      };
    })();
  }

  async latest(range: TimeRange): Promise<LatestFacts> {
    this.open();
    return this.db.transaction((): LatestFacts => {
      const p = { start: range.start, stop: range.stop };
      const systems: LatestFacts["systems"] = [];
      let system = this.stmt(BATCH_FIRST_SYSTEM).pluck().get() as string | undefined;
      while (system !== undefined) {
        const last = this.stmt(BATCH_LAST_IN).get({ ...p, system }) as
          | { ts: number; interval_ms: number | null }
          | undefined;
        if (last) {
          const first = this.stmt(BATCH_FIRST_IN)
            .pluck()
            .get({ ...p, system }) as number;
          systems.push({ system_name: system, first, last: last.ts, interval_ms: opt(last.interval_ms) });
        }
        system = this.stmt(BATCH_NEXT_SYSTEM).pluck().get({ system }) as string | undefined;
      }
      // rows come by instant: a later row of a (system, name) replaces the earlier one
      const bySystem = new Map<string, Map<string, LatestFacts["names"][number]>>();
      for (const [ts, system_name, name, n] of this.stmt(NAMES_IN).raw().all(p) as [
        number,
        string,
        string,
        number,
      ][]) {
        let names = bySystem.get(system_name);
        if (!names) {
          names = new Map();
          bySystem.set(system_name, names);
        }
        // a name keeps its place in the map when set again
        names.set(name, { system_name, name, last_seen: ts, instances: n });
      }
      return { systems, names: [...bySystem.values()].flatMap((m) => [...m.values()]) };
    })();
  }

  /**
   * Compacts finished days into history, then deletes the samples of the days before the
   * retention period's first day; resolves with how many samples went.
   */
  deleteExpired(now: number = this.now()): Promise<number> {
    this.open();
    return this.retention.sweep(now);
  }

  /** Compacts every finished UTC day into history now (what each retention sweep does first). */
  async compactHistory(now: number = this.now()): Promise<void> {
    this.open();
    // Stryker disable next-line ArrowFunction: equivalent in results because compactDay() checks the connection itself before each day
    await this.kept.compactFinished(now, () => !this.db.open, true);
  }

  async ping(): Promise<void> {
    this.open();
    // Stryker disable BlockStatement,StringLiteral: equivalent or not covered: open() has checked the connection, and no SQLite failure a test can cause makes SELECT 1 on an open connection fail; the guard stays for one that does
    try {
      this.db.prepare("SELECT 1").get();
    } catch (err) {
      throw new StorageUnavailableError(`SQLite store unusable: ${(err as Error).message}`);
    }
    // Stryker restore BlockStatement,StringLiteral
  }

  async close(): Promise<void> {
    this.retention.stop();
    await this.retention.idle();
    // Stryker disable next-line ConditionalExpression: equivalent when true because closing a closed better-sqlite3 connection does nothing
    if (this.db.open) this.db.close();
  }
}
