/**
 * The embedded store's history (docs/history.md): each finished UTC day's samples compacted into
 * stretches (server/store/stretches.ts) in table `stretches`, kept HISTORY_RETENTION_DAYS; the days
 * done are listed in `history_days` (compacted_at 0: begun, or written to since, not current).
 * The retention sweep compacts every finished day before it deletes raw samples, and deletes raw
 * samples by whole UTC days only, so a day is always either whole in raw samples or gone from
 * them. A batch that lands in a compacted day (a late agent) sets the day's compacted_at to 0 in
 * its own transaction; queries read that day from raw samples until the next sweep compacts it
 * again.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type Database from "better-sqlite3";
import { compactSorted, dayOf, decodeStretches, encodeStretches, type Stretch } from "../stretches.ts";
import type { SightingsQuery, StoredHistory } from "../types.ts";

const DAY = 86_400_000;

export const HISTORY_DDL = `
CREATE TABLE IF NOT EXISTS stretches (
  name   TEXT    NOT NULL,
  system TEXT    NOT NULL,
  start  INTEGER NOT NULL,
  end    INTEGER NOT NULL,
  body   TEXT    NOT NULL,
  PRIMARY KEY (name, system, start)
) WITHOUT ROWID;
DROP INDEX IF EXISTS stretches_by_start;
CREATE TABLE IF NOT EXISTS history_days (
  day          INTEGER PRIMARY KEY,
  compacted_at INTEGER NOT NULL
);
`;

const SQL = {
  firstSystem: "SELECT system FROM samples ORDER BY system LIMIT 1",
  nextSystem: "SELECT system FROM samples WHERE system > @system ORDER BY system LIMIT 1",
  firstName: "SELECT name FROM samples WHERE system = @system ORDER BY name LIMIT 1",
  nextName: "SELECT name FROM samples WHERE system = @system AND name > @name ORDER BY name LIMIT 1",
  daySightings: `SELECT ts, pid, started_at FROM samples
WHERE system = @system AND name = @name AND ts >= @day AND ts < @day + ${DAY}`,
  dayIntervals: `SELECT ts, interval_ms FROM batches WHERE system = @system AND ts >= @day AND ts < @day + ${DAY}`,
  nextTs: "SELECT min(ts) FROM samples WHERE ts >= @from",
  dropDay: `DELETE FROM stretches
WHERE name = @name AND system = @system AND start >= @day AND start < @day + ${DAY}`,
  insert:
    "INSERT OR REPLACE INTO stretches (name, system, start, end, body) VALUES (@name, @system, @start, @end, @body)",
  markDone: "INSERT OR REPLACE INTO history_days (day, compacted_at) VALUES (@day, @now)",
  // compacted_at 0: the day may hold stretches but is not current (being compacted, or written to since)
  begin: "INSERT OR IGNORE INTO history_days (day, compacted_at) VALUES (?, 0)",
  unmark: "UPDATE history_days SET compacted_at = 0 WHERE day = ?",
  doneDays: "SELECT day FROM history_days WHERE compacted_at > 0",
  expireStretches: "DELETE FROM stretches WHERE name = @name AND system = @system AND start < @cutoff",
  firstPair: "SELECT name, system FROM stretches ORDER BY name, system LIMIT 1",
  nextPair: `SELECT name, system FROM stretches WHERE (name, system) > (@name, @system)
ORDER BY name, system LIMIT 1`,
  expireDays: "DELETE FROM history_days WHERE day < @cutoff",
  read: `SELECT system, start, body FROM stretches
WHERE name = @name AND system = @system AND start >= @from AND start < @stop AND end >= @start`,
  firstSystemOf: "SELECT system FROM stretches WHERE name = @name ORDER BY system LIMIT 1",
  nextSystemOf:
    "SELECT system FROM stretches WHERE name = @name AND system > @system ORDER BY system LIMIT 1",
};

export interface HistoryOptions {
  /** RUN_GAP_SECONDS × 1000: where stretches are cut for samples sent without an interval. */
  defaultGapMs: number;
  retentionDays: number;
  historyRetentionDays: number;
  /** How long after its end a day is compacted (batches may still arrive late). */
  graceMs: number;
  /** Whether retention sweeps compact (else raw samples wait for another process to). */
  compact: boolean;
}

// Stryker disable next-line ArrowFunction: equivalent in results because the wait only yields to other work
const tick = () => new Promise((r) => setImmediate(r));

export class SqliteHistory {
  private readonly s: { [K in keyof typeof SQL]: Database.Statement };
  /** Days compacted and current (mirror of history_days). */
  private readonly done = new Set<number>();
  /** Days written to while a compaction ran: it must not mark them done. */
  private dirtied = new Set<number>();
  /** The cutoff of the last finished expiry. */
  private expiredTo: number | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: HistoryOptions,
  ) {
    this.s = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as {
      [K in keyof typeof SQL]: Database.Statement;
    };
    for (const day of this.s.doneDays.pluck().all() as number[]) this.done.add(day);
  }

  /** Inside a batch's write transaction: its day, when compacted, goes back to raw samples. */
  touch(ts: number): () => void {
    const day = dayOf(ts);
    this.dirtied.add(day);
    // Stryker disable next-line ConditionalExpression: equivalent because for a day not done the UPDATE sets compacted_at 0 where it is 0 or there is no row, and the delete from `done` removes nothing (the check saves both)
    if (!this.done.has(day)) return () => {};
    this.s.unmark.run(day);
    return () => this.done.delete(day);
  }

  /** Raw samples are kept from this instant on (whole UTC days). */
  rawFrom(now: number): number {
    return dayOf(now - this.opts.retentionDays * DAY);
  }

  /**
   * Compacts every finished day not yet compacted (within history retention), oldest first; returns
   * the first instant whose raw samples may be deleted: the start of the retention's day, or of the
   * first day that could not be compacted.
   */
  async compactFinished(
    now: number,
    stopped: () => boolean,
    compact: boolean = this.opts.compact,
  ): Promise<number> {
    const horizon = dayOf(now - this.opts.historyRetentionDays * DAY);
    let cutoff = this.rawFrom(now);
    // day by day, jumping over days without samples (they need no history); none once the
    // connection is closed (close() while compactHistory() runs: the next compaction does the rest)
    const next = (from: number) => {
      if (!this.db.open) return Number.POSITIVE_INFINITY;
      const t = this.s.nextTs.pluck().get({ from }) as number | null;
      return t === null ? Number.POSITIVE_INFINITY : dayOf(t);
    };
    for (let day = next(horizon); day + DAY + this.opts.graceMs <= now; day = next(day + DAY)) {
      // Stryker disable next-line ConditionalExpression: equivalent in results because compacting a compacted day again rewrites the same stretches
      if (this.done.has(day)) continue;
      if (!compact || stopped() || !this.db.open) return Math.min(cutoff, day);
      if (!(await this.compactDay(day, now))) cutoff = Math.min(cutoff, day);
    }
    return cutoff;
  }

  /** One day, one system at a time (yielding between systems); false if written to meanwhile. */
  private async compactDay(day: number, now: number): Promise<boolean> {
    this.dirtied = new Set();
    const { s } = this;
    // a day never begun has no stretches to replace (saves a delete per name: ~15 % of the time)
    // Stryker disable next-line ConditionalExpression: `false` is equivalent (a delete of nothing on a fresh day); `true` (never delete) is killed by test/store/sqlite-history-edges.test.ts's "late batch earlier in the day", checked by planting it
    const fresh = s.begin.run(day).changes === 1;
    for (
      let system = s.firstSystem.pluck().get() as string | undefined;
      system !== undefined;
      system = s.nextSystem.pluck().get({ system }) as string | undefined
    ) {
      const intervals = new Map<number, number | undefined>();
      for (const r of s.dayIntervals.all({ system, day }) as { ts: number; interval_ms: number | null }[]) {
        intervals.set(r.ts, r.interval_ms ?? undefined);
      }
      // every sample has its batch row: a system without one that day has no samples that day
      // Stryker disable next-line ConditionalExpression: equivalent because such a system's names then find no sightings that day and write nothing (the check saves the walk over its names)
      if (intervals.size === 0) continue;
      // one record per name: its stretches of the day (docs/history.md)
      const out: { name: string; stretches: Stretch[] }[] = [];
      for (
        let name = s.firstName.pluck().get({ system }) as string | undefined;
        name !== undefined;
        name = s.nextName.pluck().get({ system, name }) as string | undefined
      ) {
        // in primary-key order: by instant, then pid
        const rows = s.daySightings.raw().all({ system, name, day }) as [number, number, number | null][];
        if (rows.length === 0) continue;
        out.push({ name, stretches: compactSorted(system, rows, intervals, this.opts.defaultGapMs) });
      }
      this.db.transaction(() => {
        for (const { name, stretches } of out) {
          // Stryker disable next-line ConditionalExpression: `true` is equivalent (a delete of nothing on a fresh day); `false` (never delete) is killed by the "late batch earlier in the day" test, checked by planting it
          if (!fresh) s.dropDay.run({ name, system, day });
          s.insert.run({
            name,
            system,
            start: (stretches[0] as Stretch).start,
            end: (stretches[stretches.length - 1] as Stretch).end,
            // deflated (level 1: ~6x smaller, ~30 µs a record): a day of hourly samples is ~3 KB
            // of text, which a page cannot hold in place; ~0.5 KB can
            // Stryker disable next-line ObjectLiteral: equivalent in results because inflateRawSync reads any level (level 1 is a speed choice)
            body: deflateRawSync(encodeStretches(stretches), { level: 1 }),
          });
        }
      })();
      await tick();
      // closed meanwhile (close() while compactHistory() runs): the day stays begun, not done
      // Stryker disable next-line BooleanLiteral: equivalent because only the retention sweep uses the answer, and close() waits for a running sweep before it closes the connection
      if (!this.db.open) return false;
    }
    if (this.dirtied.has(day)) return false;
    s.markDone.run({ day, now });
    this.done.add(day);
    return true;
  }

  /**
   * Deletes history older than HISTORY_RETENTION_DAYS (whole days): once a day, one (name, system)
   * at a time along the primary key (history has no index by time: it would cost a third more space).
   */
  async expire(now: number, stopped: () => boolean): Promise<void> {
    const cutoff = dayOf(now - this.opts.historyRetentionDays * DAY);
    // Stryker disable next-line ConditionalExpression: equivalent in results because expiring to the same cutoff again deletes nothing (the check makes it once a day)
    if (cutoff === this.expiredTo) return;
    let n = 0;
    for (
      let pair = this.s.firstPair.get() as { name: string; system: string } | undefined;
      pair !== undefined;
      pair = this.s.nextPair.get(pair) as { name: string; system: string } | undefined
    ) {
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent in results because stopping early only saves time at close() (which waits for the sweep, so the connection is open); the next sweep expires the rest
      if (!this.db.open || stopped()) return;
      this.s.expireStretches.run({ ...pair, cutoff });
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator,UpdateOperator: equivalent in results because the wait only yields to other work
      if (++n % 1000 === 0) await tick();
    }
    this.expiredTo = cutoff;
    this.s.expireDays.run({ cutoff });
    for (const day of this.done) if (day < cutoff) this.done.delete(day);
  }

  read(q: SightingsQuery, now: number): StoredHistory {
    const { range } = q;
    const from = dayOf(range.start);
    const days = [...this.done].filter((d) => d >= from && d < range.stop);
    const stretches: Stretch[] = [];
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because StoredHistory allows stretches of days not listed, and with no day listed none is used (the check saves the reads)
    if (days.length > 0) {
      const one = (system: string) => {
        const rows = this.s.read.all({
          name: q.process_name,
          system,
          from,
          start: range.start,
          stop: range.stop,
        }) as { system: string; start: number; body: string | Buffer }[];
        for (const r of rows) {
          // text: a record written before records were deflated
          const text = typeof r.body === "string" ? r.body : inflateRawSync(r.body).toString();
          stretches.push(...decodeStretches(r.system, r.start, text));
        }
      };
      if (q.system_name !== undefined) one(q.system_name);
      else {
        const name = q.process_name;
        for (
          let system = this.s.firstSystemOf.pluck().get({ name }) as string | undefined;
          system !== undefined;
          system = this.s.nextSystemOf.pluck().get({ name, system }) as string | undefined
        ) {
          one(system);
        }
      }
    }
    return { days, stretches, raw_from: this.rawFrom(now) };
  }
}
