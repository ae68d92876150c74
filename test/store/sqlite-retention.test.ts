/**
 * Retention in the embedded store: a sample older than the retention period is refused (as
 * InfluxDB refuses it), and samples that age past it go, in chunks, on demand and in the background.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { type SampleBatch, StorageRefusedError } from "../../server/store/types.ts";

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

  it("refuses a batch older than the retention period, naming timestamp; the cutoff itself is stored", async () => {
    const now = Date.parse("2026-03-31T00:00:00Z");
    const store = new SqliteStore({ dataDir, retentionDays: 7, log, now: () => now });
    const [tooOld] = batches("old", now - 7 * DAY - 1, 1, 3);
    const [cutoff] = batches("cutoff", now - 7 * DAY, 1, 3);
    if (!tooOld || !cutoff) throw new Error("no batch");
    const refused = await store.write(tooOld).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(StorageRefusedError);
    expect(refused).toMatchObject({ field: "timestamp", message: expect.stringMatching(/retention/) });
    expect(await store.write(cutoff)).toBe(3);
    const stored = await store.filter(everything);
    expect(stored.rows.map((r) => r.system_name)).toEqual(["cutoff", "cutoff", "cutoff"]);
    await store.close();
  });

  it("deletes every sample older than the retention period, across several chunks, and nothing newer", async () => {
    const now = Date.parse("2026-03-31T00:00:00Z");
    // The samples are written while they are young; then the clock moves on a week.
    let clock = now - 7 * DAY;
    const store = new SqliteStore({ dataDir, retentionDays: 7, log, now: () => clock });
    const old = batches("s", now - 7 * DAY - 200 * 60_000, 200, 60); // 12 000 samples, all expired
    const fresh = batches("s", now - 7 * DAY, 10, 60); // the cutoff itself is kept
    for (const b of [...old, ...fresh]) await store.write(b);
    clock = now;
    expect((await store.filter(everything)).count).toBe(12_600);

    expect(await store.deleteExpired(now)).toBe(12_000);
    const left = await store.filter({ ...everything, limit: 1 });
    expect(left.count).toBe(600);
    expect(left.rows[0]?.timestamp).toBe(now - 7 * DAY);
    expect(await store.deleteExpired(now)).toBe(0);
    await store.close();
  });

  it("runs in the background once init() has been called", async () => {
    let clock = Date.now() - 3 * DAY;
    const store = new SqliteStore({
      dataDir,
      retentionDays: 1,
      log,
      retentionIntervalMs: 50,
      now: () => clock,
    });
    for (const b of batches("s", clock, 5, 10)) await store.write(b);
    clock = Date.now();
    for (const b of batches("s", clock - 60_000, 1, 10)) await store.write(b);
    expect((await store.filter(everything)).count).toBe(60);
    await store.init();
    await vi.waitFor(async () => expect((await store.filter(everything)).count).toBe(10), {
      timeout: 10_000,
      interval: 50,
    });
    await store.close();
  });
});
