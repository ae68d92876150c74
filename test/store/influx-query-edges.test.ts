/**
 * Edges of the InfluxDB store's Flux (server/store/influx/queries.ts) the broad comparison in
 * influx-vs-sqlite.test.ts does not reach: samples exactly one run gap apart, and a millisecond
 * more (InfluxDB's `elapsed()` is off by up to ±192 ns: 15.001 s reads as 15000999936 ns). Answers
 * are checked against runs written out by hand and against the SQLite store fed the same batches.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";
import { freshBucket } from "../support/influx.ts";

const T = Date.parse("2026-04-07T03:00:00Z");
const RANGE = { start: T - 1000, stop: T + 3_600_000 };
/** p: 5 s apart, then 5.001 s, then 5 s again; q: 15 s, 15.001 s, 15 s. */
const P = [0, 5000, 10_001, 15_001];
const Q = [0, 15_000, 30_001, 45_001];
/** r: 40 samples exactly 7.001 s apart (elapsed() reads some of those gaps up to 192 ns long). */
const R = Array.from({ length: 40 }, (_, i) => 100_000 + i * 7001);

function batches(): SampleBatch[] {
  const at = new Map<number, SampleBatch>();
  const add = (t: number, name: string, pid: number) => {
    let b = at.get(t);
    if (!b) {
      b = { system_name: "s", timestamp: T + t, processes: [] };
      at.set(t, b);
    }
    b.processes.push({ pid, name, cpu_percent: 1, memory_percent: 1 });
  };
  for (const t of P) add(t, "p", 10);
  for (const t of Q) add(t, "q", 20);
  for (const t of R) add(t, "r", 30);
  return [...at.values()];
}

describe("InfluxDB runs at exactly the gap, and a millisecond past it", () => {
  let influx: InfluxStore;
  let sqlite: SqliteStore;
  let dataDir: string;
  beforeAll(async () => {
    const log = createLogger("silent");
    influx = new InfluxStore({ ...(await freshBucket("qedges")), retentionDays: 30, timeoutMs: 30_000, log });
    await influx.init();
    dataDir = await mkdtemp(join(tmpdir(), "procscope-qedges-"));
    sqlite = new SqliteStore({ dataDir, retentionDays: 36_500, log });
    await sqlite.init();
    for (const b of batches()) {
      await influx.write(b);
      await sqlite.write(b);
    }
  });
  afterAll(async () => {
    await influx?.close();
    await sqlite?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("a gap equal to gap_ms continues the run; one a millisecond longer ends it", async () => {
    const cases = [
      {
        process_name: "p",
        gap_ms: 5000,
        runs: [
          [0, 5000],
          [10_001, 15_001],
        ],
      },
      { process_name: "p", gap_ms: 5001, runs: [[0, 15_001]] },
      { process_name: "p", gap_ms: 4999, runs: [[0], [5000], [10_001], [15_001]] },
      {
        process_name: "q",
        gap_ms: 15_000,
        runs: [
          [0, 15_000],
          [30_001, 45_001],
        ],
      },
      { process_name: "q", gap_ms: 15_001, runs: [[0, 45_001]] },
      { process_name: "r", gap_ms: 7001, runs: [[100_000, 100_000 + 39 * 7001]] },
    ];
    for (const { process_name, gap_ms, runs } of cases) {
      const q = { system_name: "s", process_name, range: RANGE, gap_ms };
      const got = await influx.duration(q);
      expect(
        got?.runs.map((r) => [r.start - T, r.end - T]),
        `${process_name}, gap ${gap_ms}`,
      ).toEqual(runs.map((r) => [r[0], r.at(-1)]));
      expect(got).toEqual(await sqlite.duration(q));
    }
  });
});
