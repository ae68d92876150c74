/**
 * The embedded store's history at its edges, on a real file (found untested by the mutation run of
 * server/store/sqlite/history.ts): a day is compacted only 10 minutes (the default grace) after it
 * ends; a late batch takes its compacted day back to raw samples until compacted again; a query
 * lists only the compacted days it overlaps; history older than HISTORY_RETENTION_DAYS goes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";

const DAY = 86_400_000;
const MIN = 60_000;
const D1 = Date.parse("2026-03-10T00:00:00Z");
const D2 = D1 + DAY;
const D3 = D2 + DAY;

const batch = (timestamp: number, pid = 1, name = "app", system_name = "box"): SampleBatch => ({
  system_name,
  timestamp,
  interval_ms: 5000,
  processes: [{ pid, name, cpu_percent: 1, memory_percent: 1, started_at: timestamp - 1000 }],
});
/** Raw samples in the file, every instant. */
const rawCount = async () =>
  (await store.filter({ ranges: [{ start: 0, stop: D3 + 5 * DAY }], offset: 0, limit: 1 })).count;
const everything = { process_name: "app", range: { start: D1 - DAY, stop: D3 + 5 * DAY } };

let dataDir: string;
let clock = 0;
let store: SqliteStore;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "procscope-history-edges-"));
});
afterEach(async () => {
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});
const open = (
  opts: { historyRetentionDays?: number; retentionDays?: number; compactHistory?: boolean } = {},
) => {
  store = new SqliteStore({
    dataDir,
    retentionDays: 36_500,
    log: createLogger("silent"),
    now: () => clock,
    ...opts,
  });
  return store;
};

describe("SqliteStore history edges", () => {
  it("compacts a finished day 10 minutes after its end, not before", async () => {
    clock = D1 + 12 * 3600_000;
    open();
    await store.write(batch(D1 + 3600_000));
    clock = D2 + 10 * MIN - 1;
    await store.compactHistory();
    expect((await store.history(everything)).days).toEqual([]);
    clock = D2 + 10 * MIN;
    await store.compactHistory();
    const kept = await store.history(everything);
    expect(kept.days).toEqual([D1]);
    expect(kept.stretches.map((s) => [s.system_name, s.start])).toEqual([["box", D1 + 3600_000]]);
  });

  it("a late batch takes its compacted day back to raw samples until the next compaction", async () => {
    clock = D1 + 3600_000;
    open();
    await store.write(batch(D1 + 3600_000));
    clock = D3;
    await store.compactHistory();
    expect((await store.history(everything)).days).toEqual([D1]);
    await store.write(batch(D1 + 7200_000, 2));
    expect((await store.history(everything)).days).toEqual([]);
    await store.compactHistory();
    expect((await store.history(everything)).days).toEqual([D1]);
  });

  it("lists only the compacted days a query overlaps, and their stretches", async () => {
    clock = D1;
    open();
    for (const day of [D1, D2, D3]) await store.write(batch(day + 3600_000));
    clock = D3 + 2 * DAY;
    await store.compactHistory();
    expect((await store.history(everything)).days.sort()).toEqual([D1, D2, D3]);
    const middle = await store.history({ process_name: "app", range: { start: D2 + 1800_000, stop: D3 } });
    expect(middle.days).toEqual([D2]);
    expect(middle.stretches.map((s) => s.start)).toEqual([D2 + 3600_000]);
    const none = await store.history({ process_name: "app", range: { start: D3 + DAY, stop: D3 + 2 * DAY } });
    expect(none).toMatchObject({ days: [], stretches: [] });
  });

  it("deletes history older than HISTORY_RETENTION_DAYS, whole days, with the sweep", async () => {
    clock = D1;
    open({ historyRetentionDays: 2 });
    for (const day of [D1, D2, D3]) await store.write(batch(day + 3600_000));
    clock = D2 + 10 * MIN;
    await store.compactHistory();
    expect((await store.history(everything)).days).toEqual([D1]);
    clock = D3 + DAY + 10 * MIN; // D1 is now 3 days back: beyond 2 days of history
    await store.deleteExpired();
    const kept = await store.history(everything);
    expect(kept.days.sort()).toEqual([D2, D3]);
    expect(kept.stretches.map((s) => s.start).sort()).toEqual([D2 + 3600_000, D3 + 3600_000]);
    // and after a reopen (what is done is read back from the file)
    await store.close();
    open({ historyRetentionDays: 2 });
    expect((await store.history(everything)).days.sort()).toEqual([D2, D3]);
  });

  it("a store that does not compact (HISTORY_COMPACT_MINUTES=0) keeps the raw samples of days not compacted", async () => {
    clock = D1 + 3600_000;
    open({ retentionDays: 1, compactHistory: false });
    await store.write(batch(D1 + 3600_000));
    clock = D3 + 3600_000; // D1 is past the 1 day of raw samples
    expect(await store.deleteExpired()).toBe(0);
    expect((await store.history(everything)).days).toEqual([]);
    expect(await rawCount()).toBe(1);
    await store.compactHistory(); // another process's compaction, as it were
    expect(await store.deleteExpired()).toBe(1);
    const kept = await store.history(everything);
    expect([kept.days, kept.stretches.map((s) => s.start)]).toEqual([[D1], [D1 + 3600_000]]);
  });

  it("a batch that lands in a day while the sweep compacts it: the day stays raw, whole, until the next sweep", async () => {
    clock = D1 + 2 * 3600_000;
    open({ retentionDays: 1 });
    await store.write(batch(D1 + 3600_000, 1));
    await store.write(batch(D1 + 3600_000, 1, "app", "box-2"));
    // the sweep of a later instant (D1 is past retention by then) compacts D1 one system at a
    // time, yielding between them; the late batch comes in meanwhile
    const sweep = store.deleteExpired(D3 + 3600_000);
    await store.write(batch(D1 + 5400_000, 2));
    expect(await sweep).toBe(0);
    expect((await store.history(everything)).days).toEqual([]);
    expect(await rawCount()).toBe(3);
    expect(await store.deleteExpired(D3 + 3600_000)).toBe(3);
    const kept = await store.history(everything);
    expect(kept.days).toEqual([D1]);
    expect(kept.stretches.flatMap((s) => s.pids.map((p) => [s.system_name, p[0]])).sort()).toEqual([
      ["box", 1],
      ["box", 2],
      ["box-2", 1],
    ]);
  });

  it("a late batch earlier in the day than those compacted: the day is compacted again, no old record left", async () => {
    clock = D1;
    open();
    await store.write(batch(D1 + 10 * 3600_000, 1));
    clock = D3;
    await store.compactHistory();
    expect((await store.history(everything)).stretches.map((s) => s.start)).toEqual([D1 + 10 * 3600_000]);
    await store.write(batch(D1 + 8 * 3600_000, 2));
    await store.compactHistory();
    const again = await store.history(everything);
    expect(again.days).toEqual([D1]);
    expect(again.stretches.map((s) => [s.start, s.pids.map((p) => p[0])]).sort()).toEqual([
      [D1 + 8 * 3600_000, [2]],
      [D1 + 10 * 3600_000, [1]],
    ]);
  });

  it("a name seen on another day only gets no record for a day it was not seen", async () => {
    clock = D1;
    open();
    await store.write(batch(D1 + 3600_000, 1, "early"));
    await store.write(batch(D2 + 3600_000, 2, "late"));
    clock = D3 + DAY;
    await store.compactHistory();
    const of = async (process_name: string) =>
      (await store.history({ process_name, range: everything.range })).stretches.map((s) => s.start);
    expect([await of("early"), await of("late")]).toEqual([[D1 + 3600_000], [D2 + 3600_000]]);
  });

  it("reads a record written before records were deflated (its body as text)", async () => {
    clock = D1;
    open();
    await store.write(batch(D1 + 3600_000, 1));
    await store.write(batch(D1 + 3605_000, 1));
    clock = D3;
    await store.compactHistory();
    const deflated = await store.history(everything);
    expect(deflated.stretches).toHaveLength(1);
    const other = new Database(store.path);
    try {
      for (const r of other.prepare("SELECT name, system, start, body FROM stretches").all() as {
        name: string;
        system: string;
        start: number;
        body: Buffer;
      }[]) {
        other
          .prepare("UPDATE stretches SET body = ? WHERE name = ? AND system = ? AND start = ?")
          .run(inflateRawSync(r.body).toString(), r.name, r.system, r.start);
      }
      expect(other.prepare("SELECT typeof(body) FROM stretches").pluck().all()).toEqual(["text"]);
    } finally {
      other.close();
    }
    expect(await store.history(everything)).toEqual(deflated);
  });

  it("reads a record the release before wrote (one-instant stretches with absolute started_at)", async () => {
    clock = D1;
    open();
    // hourly: three one-instant stretches (the second and third written now as "the previous one's")
    for (const h of [1, 2, 3]) {
      const b = batch(D1 + h * 3600_000, 7);
      await store.write({ ...b, processes: b.processes.map((p) => ({ ...p, started_at: D1 })) });
    }
    clock = D3;
    await store.compactHistory();
    const now = await store.history(everything);
    expect(now.stretches.map((s) => [s.start, s.samples])).toEqual([
      [D1 + 3600_000, 1],
      [D1 + 7200_000, 1],
      [D1 + 10_800_000, 1],
    ]);
    const other = new Database(store.path);
    try {
      const row = other.prepare("SELECT start, body FROM stretches").get() as { start: number; body: Buffer };
      expect(inflateRawSync(row.body).toString()).toBe(
        "[[0,5000,[],[7,3600000]],[3600000,5000],[7200000,5000]]",
      );
      // the release before: [Δstart, iv, [pid, started_at]] each, deflated
      const old = `[[0,5000,[7,${D1}]],[3600000,5000,[7,${D1}]],[7200000,5000,[7,${D1}]]]`;
      other.prepare("UPDATE stretches SET body = ?").run(deflateRawSync(old));
    } finally {
      other.close();
    }
    expect(await store.history(everything)).toEqual(now);
  });

  it("close() while compactHistory() runs: it stops quietly, and the day is compacted whole after a reopen", async () => {
    clock = D1;
    open();
    for (const system of ["a", "b", "c"]) await store.write(batch(D1 + 3600_000, 1, "app", system));
    clock = D3;
    const compacting = store.compactHistory(); // yields after the first system
    await store.close();
    await expect(compacting).resolves.toBeUndefined();
    open();
    expect((await store.history(everything)).days).toEqual([]);
    await store.compactHistory();
    const whole = await store.history(everything);
    expect([whole.days, whole.stretches.map((s) => s.system_name).sort()]).toEqual([[D1], ["a", "b", "c"]]);
  });
});
