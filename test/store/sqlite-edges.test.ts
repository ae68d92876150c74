/**
 * Edges of the embedded store that the mutation run of server/store/sqlite/* found untested, on a
 * real file: retention's log, its expired batch rows beyond one chunk, a sweep that close() has to
 * wait for, two sweeps asked for at once, the background timer after close() and after a second
 * init(), the default sweep interval; a data file from a newer procscope; the connection's settings;
 * the plan of a filter by system and name; a store that is closed or locked by another writer.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../server/log.ts";
import * as Q from "../../server/store/sqlite/queries.ts";
import { configure, migrate } from "../../server/store/sqlite/schema.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { StorageUnavailableError } from "../../server/store/types.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-03-31T00:00:00Z");
const FILE = "procscope.sqlite";

/** A logger whose JSON lines are kept. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: createLogger("info", sink), lines };
}

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "procscope-sqlite-edges-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * A data file of the current schema holding `expired` samples (one process per sampling instant,
 * one a second, ending a day before the 7-day cutoff) and one fresh one, written straight into the
 * file in one transaction (a store would fsync each batch).
 */
function seed(expired: number): void {
  const db = new Database(join(dataDir, FILE));
  configure(db);
  migrate(db);
  const sample = db.prepare(
    "INSERT INTO samples (system, name, ts, pid, cpu_percent, memory_percent) VALUES (?, 'p', ?, 1, 1, 1)",
  );
  const batch = db.prepare("INSERT INTO batches (system, ts, processes, interval_ms) VALUES (?, ?, 1, 1000)");
  db.transaction(() => {
    const first = NOW - 8 * DAY - expired * 1000;
    for (let i = 0; i < expired; i++) {
      sample.run("s", first + i * 1000);
      batch.run("s", first + i * 1000);
    }
    sample.run("s", NOW - 1000);
    batch.run("s", NOW - 1000);
  })();
  db.close();
}

/** Rows left in the file: samples and batches. */
function left(): { samples: number; batches: number } {
  const db = new Database(join(dataDir, FILE), { readonly: true });
  try {
    return {
      samples: db.prepare("SELECT count(*) FROM samples").pluck().get() as number,
      batches: db.prepare("SELECT count(*) FROM batches").pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe("SqliteStore retention edges", () => {
  it("logs how many samples a sweep deleted and the cutoff; a sweep that deletes nothing logs nothing", async () => {
    seed(3);
    const { log, lines } = capture();
    const store = new SqliteStore({ dataDir, retentionDays: 7, log, now: () => NOW });
    try {
      expect(await store.deleteExpired()).toBe(3);
      expect(lines.filter((l) => l.msg === "retention")).toEqual([
        expect.objectContaining({ level: 30, deleted: 3, before: new Date(NOW - 7 * DAY).toISOString() }),
      ]);
      expect(await store.deleteExpired()).toBe(0);
      expect(lines.filter((l) => l.msg === "retention")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("deletes the batch rows of expired samples too, more than one chunk (5000) of them", async () => {
    seed(5003);
    const store = new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent"), now: () => NOW });
    try {
      expect(await store.deleteExpired()).toBe(5003);
      expect(await store.sampleAt("s", NOW - 8 * DAY)).toBeNull();
      expect((await store.sampleAt("s", NOW))?.timestamp).toBe(NOW - 1000);
    } finally {
      await store.close();
    }
    expect(left()).toEqual({ samples: 1, batches: 1 });
  });

  it("two sweeps asked for at once are one sweep: both report every sample it deleted", async () => {
    seed(12_000);
    const store = new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent"), now: () => NOW });
    try {
      expect(await Promise.all([store.deleteExpired(), store.deleteExpired()])).toEqual([12_000, 12_000]);
    } finally {
      await store.close();
    }
    expect(left()).toEqual({ samples: 1, batches: 1 });
  });

  it("close() during a sweep stops it after the chunk it is on, and waits for it (it is logged)", async () => {
    seed(12_000);
    const { log, lines } = capture();
    const store = new SqliteStore({ dataDir, retentionDays: 7, log, now: () => NOW });
    // close() comes while the sweep compacts history: one chunk of samples goes, then it stops
    const sweep = store.deleteExpired();
    await store.close();
    expect(await sweep).toBe(5000);
    expect(lines.filter((l) => l.msg === "retention").map((l) => l.deleted)).toEqual([5000]);
    // the rest, and the batch rows, wait for the next sweep
    expect(left()).toEqual({ samples: 7001, batches: 12_001 });
  });

  it("the background sweep stops with the store, also after init() was called twice", async () => {
    let calls = 0;
    const store = new SqliteStore({
      dataDir,
      retentionDays: 7,
      log: createLogger("silent"),
      retentionIntervalMs: 10,
      now: () => {
        calls++;
        return NOW;
      },
    });
    await store.init();
    await store.init();
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(4), { timeout: 10_000, interval: 10 });
    await store.close();
    const atClose = calls;
    // ten intervals: any timer left running would have swept (and read the clock) meanwhile
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(atClose);
  });
});

describe("SqliteStore open, closed and locked", () => {
  const batch = {
    system_name: "s",
    timestamp: NOW,
    interval_ms: 5000,
    processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 2 }],
  };

  it("sweeps once at init() and then only every 10 minutes by default", async () => {
    let calls = 0;
    const store = new SqliteStore({
      dataDir,
      retentionDays: 7,
      log: createLogger("silent"),
      now: () => {
        calls++;
        return NOW;
      },
    });
    await store.init();
    await new Promise((r) => setTimeout(r, 50));
    await store.close();
    expect(calls).toBe(1);
  });

  it("is where it says; pings while open; after close() every operation is refused as unavailable", async () => {
    const store = new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent"), now: () => NOW });
    expect(store.location).toBe(join(dataDir, FILE));
    await store.init();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.write(batch)).toBe(1);
    await store.close();
    await store.close(); // twice is fine
    const closed = { name: "StorageUnavailableError", message: "the SQLite store is closed" };
    const range = { start: 0, stop: NOW + 1 };
    for (const op of [
      () => store.write(batch),
      () => store.filter({ ranges: [range], offset: 0, limit: 10 }),
      () => store.duration({ system_name: "s", process_name: "p", range, gap_ms: 1000 }),
      () => store.systems(range),
      () => store.sightings({ process_name: "p", range }),
      () => store.sampleAt("s", NOW),
      () => store.ping(),
      () => store.init(),
    ]) {
      await expect(op()).rejects.toMatchObject(closed);
    }
    expect(() => store.deleteExpired()).toThrow(StorageUnavailableError);
    // closed for real: the write-ahead log was checkpointed into the file and removed
    expect(existsSync(join(dataDir, `${FILE}-wal`))).toBe(false);
    expect(left()).toEqual({ samples: 1, batches: 1 });
  });

  it("a write while another connection holds the write lock is unavailable (SQLITE_BUSY), stores nothing, and goes in once it is free", async () => {
    const store = new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent"), now: () => NOW });
    const other = new Database(join(dataDir, FILE));
    try {
      // the store waits 5 s for a lock (asserted below); a test need not
      (Reflect.get(store, "db") as Database.Database).pragma("busy_timeout = 50");
      other.exec("BEGIN IMMEDIATE");
      await expect(store.write(batch)).rejects.toMatchObject({
        name: "StorageUnavailableError",
        message: expect.stringMatching(/^SQLite: .* \(SQLITE_BUSY\)$/),
      });
      other.exec("ROLLBACK");
      expect(
        (await store.filter({ ranges: [{ start: 0, stop: NOW + 1 }], offset: 0, limit: 10 })).count,
      ).toBe(0);
      expect(await store.write(batch)).toBe(1);
      expect(
        (await store.filter({ ranges: [{ start: 0, stop: NOW + 1 }], offset: 0, limit: 10 })).rows,
      ).toEqual([{ system_name: "s", timestamp: NOW, ...batch.processes[0] }]);
    } finally {
      other.close();
      await store.close();
    }
  });

  it("a background sweep that fails (another writer holds the lock) is logged as a warning, and the next one deletes", async () => {
    seed(3);
    const { log, lines } = capture();
    const store = new SqliteStore({ dataDir, retentionDays: 7, log, now: () => NOW });
    const other = new Database(join(dataDir, FILE));
    try {
      (Reflect.get(store, "db") as Database.Database).pragma("busy_timeout = 50");
      other.exec("BEGIN IMMEDIATE");
      await store.init(); // its first sweep runs at once, in the background, and fails
      await vi.waitFor(() => expect(lines.some((l) => l.msg === "retention sweep failed")).toBe(true), {
        timeout: 10_000,
        interval: 10,
      });
      expect(lines.filter((l) => l.level === 40)).toEqual([
        expect.objectContaining({ msg: "retention sweep failed", err: "database is locked" }),
      ]);
      other.exec("ROLLBACK");
      expect(left()).toEqual({ samples: 4, batches: 4 });
      expect(await store.deleteExpired()).toBe(3);
    } finally {
      other.close();
      await store.close();
    }
  });
});

describe("SqliteStore errors that are not about availability", () => {
  it("a failure SQLite reports for a bad statement is passed on as it is, not dressed as a 503", async () => {
    const store = new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent"), now: () => NOW });
    try {
      // an instant the schema would refuse (NaN) reaches SQLite as NULL: NOT NULL constraint
      const err = await store
        .write({
          system_name: "s",
          timestamp: Number.NaN,
          processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }],
        })
        .then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        );
      expect(err).toBeDefined();
      expect(err).not.toBeInstanceOf(StorageUnavailableError);
      expect(err?.code).toMatch(/^SQLITE_CONSTRAINT/);
      expect(
        (await store.filter({ ranges: [{ start: 0, stop: NOW + 1 }], offset: 0, limit: 10 })).count,
      ).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe("SqliteStore file and connection", () => {
  it("refuses a data file of a newer schema version, saying which, and leaves it as it was", async () => {
    const db = new Database(join(dataDir, FILE));
    db.pragma("user_version = 5");
    db.close();
    expect(() => new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent") })).toThrow(
      "the data file has schema version 5; this procscope understands up to 4",
    );
    const check = new Database(join(dataDir, FILE), { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(5);
    expect(check.prepare("SELECT name FROM sqlite_master").all()).toEqual([]);
    check.close();
  });

  it("the store's connection waits 5 s for a lock, in WAL mode with synchronous=FULL", async () => {
    const store = new SqliteStore({ dataDir, retentionDays: 7, log: createLogger("silent") });
    try {
      // the connection the store writes through (private: read for this check only)
      const db = Reflect.get(store, "db") as Database.Database;
      expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("synchronous", { simple: true })).toBe(2);
    } finally {
      await store.close();
    }
  });

  it("a filter by system and name seeks that process's range through the primary key", () => {
    const db = new Database(":memory:");
    configure(db);
    migrate(db);
    for (const n of [
      { system_name: "s", process_name: "n" },
      { system_name: "s", process_name: "n", pid: 1 },
    ]) {
      const where = Q.narrowingSql(n);
      for (const sql of [Q.filterPageSql(where), Q.filterCountSql(where)]) {
        const steps = (
          db
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all({ system: "s", name: "n", pid: 1, start: 0, stop: 1, limit: 1, offset: 0 }) as {
            detail: string;
          }[]
        )
          .map((r) => r.detail)
          .join("\n");
        expect(steps).toMatch(
          /SEARCH samples USING PRIMARY KEY \(system=\? AND name=\? AND ts>\? AND ts<\?\)/,
        );
      }
    }
    db.close();
  });
});
