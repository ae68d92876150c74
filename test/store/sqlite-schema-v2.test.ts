/**
 * A data file written by schema version 1 (no `batches` table, no /proc stat columns) opens as the
 * current version: batches filled in (version 2), the /proc stat columns added (version 3).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { sampleInForce } from "../../server/history/query.ts";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";

const V1 = `
CREATE TABLE samples (
  system TEXT NOT NULL, name TEXT NOT NULL, ts INTEGER NOT NULL, pid INTEGER NOT NULL,
  cpu_percent REAL NOT NULL, memory_percent REAL NOT NULL, memory_rss INTEGER, started_at INTEGER,
  parent_pid INTEGER, user TEXT, command_id INTEGER, state TEXT,
  PRIMARY KEY (system, name, ts, pid)
) WITHOUT ROWID;
CREATE INDEX samples_by_time ON samples (ts);
CREATE TABLE commands (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
PRAGMA user_version = 1;`;

describe("SQLite schema version 1 → 2", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("adds the batches of the samples already stored (without an interval) and keeps every sample", async () => {
    dir = await mkdtemp(join(tmpdir(), "procscope-v1-"));
    const old = new Database(join(dir, "procscope.sqlite"));
    old.exec(V1);
    const insert = old.prepare(
      "INSERT INTO samples (system, name, ts, pid, cpu_percent, memory_percent) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const [system, name, ts, pid] of [
      ["a", "x", 1000, 1],
      ["a", "y", 1000, 2],
      ["a", "x", 6000, 1],
      ["b", "x", 1000, 3],
    ] as const) {
      insert.run(system, name, ts, pid, 1, 2);
    }
    old.close();

    const store = new SqliteStore({ dataDir: dir, retentionDays: 36_500, log: createLogger("silent") });
    await store.init();
    try {
      const found = await sampleInForce(store, "a", 5999, 15_000);
      expect(found.found === "sample" && found.sample.processes.map((p) => [p.name, p.pid]).sort()).toEqual([
        ["x", 1],
        ["y", 2],
      ]);
      expect(found.found === "sample" && found.sample.interval_ms).toBeUndefined();
      expect((await store.sampleAt("a", 7000))?.processes.map((p) => p.pid)).toEqual([1]);
      expect((await store.sampleAt("b", 999)) ?? null).toBeNull();
      const check = new Database(join(dir, "procscope.sqlite"), { readonly: true });
      expect(check.pragma("user_version", { simple: true })).toBe(4);
      // version 4: history's tables, empty until a retention sweep compacts finished days
      expect(check.prepare("SELECT count(*) AS n FROM stretches").get()).toEqual({ n: 0 });
      expect(check.prepare("SELECT count(*) AS n FROM history_days").get()).toEqual({ n: 0 });
      const columns = (check.pragma("table_info(samples)") as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(
        expect.arrayContaining([
          "num_threads",
          "cpu_user_seconds",
          "cpu_system_seconds",
          "minor_faults",
          "major_faults",
          "memory_vms",
        ]),
      );
      expect(
        check.prepare("SELECT system, ts, processes, interval_ms FROM batches ORDER BY system, ts").all(),
      ).toEqual([
        { system: "a", ts: 1000, processes: 2, interval_ms: null },
        { system: "a", ts: 6000, processes: 1, interval_ms: null },
        { system: "b", ts: 1000, processes: 1, interval_ms: null },
      ]);
      check.close();
    } finally {
      await store.close();
    }
  });
});
