/**
 * The embedded store's file: one table of samples and one index, WAL mode.
 *
 * - Primary key (system, name, ts, pid), WITHOUT ROWID: the table itself is the B-tree the
 *   duration query walks (one process on one system over a time range, in time order), and the key
 *   makes a retried batch rewrite the same rows instead of duplicating them.
 * - Index (ts): serves the time-of-day filter, one range seek per day. In a WITHOUT ROWID table a
 *   secondary index carries the rest of the primary key, so its entries are (ts, system, name, pid)
 *   — exactly the filter's sort order, so a page is read in order and counts are index-only.
 *
 * - Commands are stored once each in `commands` and referenced by id: a command line repeats in
 *   every sample of its process (a browser's or a JVM's runs to kilobytes), and is most of a row.
 *   The table only grows (ids are never reused, so a cached id stays valid); it holds one row per
 *   distinct command line seen.
 *
 * Durability: journal_mode=WAL with synchronous=FULL, so a committed batch is in the WAL on disk
 * (fsync) before write() resolves — it survives kill -9 and power loss; a batch is one transaction,
 * so it lands whole or not at all.
 */
import type Database from "better-sqlite3";
import { HISTORY_DDL } from "./history.ts";

const SCHEMA_VERSION = 4;

/**
 * Version 3: the optional facts Linux agents read from /proc/<pid>/stat. Added to an older file
 * with ALTER TABLE (no rewrite of existing rows: they read back without these fields).
 */
const PROC_STAT_COLUMNS = [
  ["num_threads", "INTEGER"],
  ["cpu_user_seconds", "REAL"],
  ["cpu_system_seconds", "REAL"],
  ["minor_faults", "INTEGER"],
  ["major_faults", "INTEGER"],
  ["memory_vms", "INTEGER"],
] as const;

// Stryker disable next-line all: equivalent because migrate() adds any of these columns a table lacks, at the same place (after the others)
const procStatColumns = () => PROC_STAT_COLUMNS.map(([name, type]) => `  ${name} ${type},`).join("\n");

const DDL = `
CREATE TABLE IF NOT EXISTS samples (
  system         TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  ts             INTEGER NOT NULL,
  pid            INTEGER NOT NULL,
  cpu_percent    REAL    NOT NULL,
  memory_percent REAL    NOT NULL,
  memory_rss     INTEGER,
  started_at     INTEGER,
  parent_pid     INTEGER,
  user           TEXT,
  command_id     INTEGER,
  state          TEXT,
${procStatColumns()}
  PRIMARY KEY (system, name, ts, pid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS samples_by_time ON samples (ts);
CREATE TABLE IF NOT EXISTS commands (
  id   INTEGER PRIMARY KEY,
  text TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS batches (
  system      TEXT    NOT NULL,
  ts          INTEGER NOT NULL,
  processes   INTEGER NOT NULL,
  interval_ms INTEGER,
  PRIMARY KEY (system, ts)
) WITHOUT ROWID;
`;

/**
 * Version 2 adds `batches`: one row per (system, sampling instant) with the agent's interval, for
 * run edges and "what ran at T" (docs/history.md). A version-1 file gets it filled from its samples
 * (no interval: those samples were sent without one).
 */
const TO_V2 = `INSERT OR IGNORE INTO batches (system, ts, processes, interval_ms)
SELECT system, ts, count(*), NULL FROM samples GROUP BY system, ts`;

export function configure(db: Database.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
}

export function migrate(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(
      `the data file has schema version ${version}; this procscope understands up to ${SCHEMA_VERSION}`,
    );
  }
  db.transaction(() => {
    db.exec(DDL);
    // version 4: history (stretches, history_days), filled by the next retention sweep
    db.exec(HISTORY_DDL);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because a new file (version 0) has no samples, and from version 2 on every sample's batch row is written in the same transaction and deleted after it, so TO_V2 finds nothing to add
    if (version === 1) db.exec(TO_V2);
    const have = new Set((db.pragma("table_info(samples)") as { name: string }[]).map((c) => c.name));
    for (const [name, type] of PROC_STAT_COLUMNS) {
      if (!have.has(name)) db.exec(`ALTER TABLE samples ADD COLUMN ${name} ${type}`);
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because writing the version the file already has changes nothing
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
