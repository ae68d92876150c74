/** Retention in the embedded store: old samples go, in chunks, on demand and in the background. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";

const DAY = 86_400_000;
const log = createLogger("silent");
const everything = {
  ranges: [{ start: 0, stop: Date.parse("2100-01-01T00:00:00Z") }],
  offset: 0,
  limit: 10_000,
};

/** `count` batches of `per` processes, one a minute from `from`. */
const batches = (system: string, from: number, count: number, per: number): SampleBatch[] =>
  Array.from({ length: count }, (_, n) => ({
    system_name: system,
    timestamp: from + n * 60_000,
    processes: Array.from({ length: per }, (_, i) => ({
      pid: i + 1,
      name: `p${i}`,
      cpu_percent: 1,
      memory_percent: 1,
    })),
  }));

describe("SqliteStore retention", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "procscope-retention-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("deletes every sample older than the retention period, across several chunks, and nothing newer", async () => {
    const now = Date.parse("2026-03-31T00:00:00Z");
    const store = new SqliteStore({ dataDir, retentionDays: 7, log });
    const old = batches("s", now - 7 * DAY - 200 * 60_000, 200, 60); // 12 000 samples, all expired
    const fresh = batches("s", now - 7 * DAY, 10, 60); // the cutoff itself is kept
    for (const b of [...old, ...fresh]) await store.write(b);
    expect((await store.filter(everything)).count).toBe(12_600);

    expect(await store.deleteExpired(now)).toBe(12_000);
    const left = await store.filter({ ...everything, limit: 1 });
    expect(left.count).toBe(600);
    expect(left.rows[0]?.timestamp).toBe(now - 7 * DAY);
    expect(await store.deleteExpired(now)).toBe(0);
    await store.close();
  });

  it("runs in the background once init() has been called", async () => {
    const store = new SqliteStore({ dataDir, retentionDays: 1, log, retentionIntervalMs: 50 });
    for (const b of batches("s", Date.now() - 3 * DAY, 5, 10)) await store.write(b);
    for (const b of batches("s", Date.now() - 60_000, 1, 10)) await store.write(b);
    expect((await store.filter(everything)).count).toBe(60);
    await store.init();
    await vi.waitFor(async () => expect((await store.filter(everything)).count).toBe(10), {
      timeout: 10_000,
      interval: 50,
    });
    await store.close();
  });
});
