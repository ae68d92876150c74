/**
 * The embedded store's history at its edges, on a real file (found untested by the mutation run of
 * server/store/sqlite/history.ts): a day is compacted only 10 minutes (the default grace) after it
 * ends; a late batch takes its compacted day back to raw samples until compacted again; a query
 * lists only the compacted days it overlaps; history older than HISTORY_RETENTION_DAYS goes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";

const DAY = 86_400_000;
const MIN = 60_000;
const D1 = Date.parse("2026-03-10T00:00:00Z");
const D2 = D1 + DAY;
const D3 = D2 + DAY;

const batch = (timestamp: number, pid = 1): SampleBatch => ({
  system_name: "box",
  timestamp,
  interval_ms: 5000,
  processes: [{ pid, name: "app", cpu_percent: 1, memory_percent: 1, started_at: timestamp - 1000 }],
});
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
const open = (opts: { historyRetentionDays?: number } = {}) => {
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
});
