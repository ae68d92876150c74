/**
 * Upgrading keeps data: a real bucket written the old way (measurement "process", pid as a tag, by
 * the minimal old-layout writer below) is refused by the server with what to do, converted by
 * `npm run migrate` (the CLI, as a child process), and then answers exactly as the reference store
 * (SQLite, fed the same batches) does. A second run finds nothing to do.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import type { BatchProcess, SampleBatch } from "../../server/store/types.ts";
import { AWKWARD_NAMES } from "../contract/store-contract.ts";
import { freshBucket } from "../support/influx.ts";
import { oldLines, writeLines } from "../support/old-layout.ts";

const run = promisify(execFile);
const T0 = Date.UTC(2026, 1, 9, 8, 0, 0);
const RANGE = { start: T0 - 86_400_000, stop: T0 + 2 * 86_400_000 };

/** Three systems, 40 instants 5 min apart (10 hours: two migration windows), churn and shared names. */
function oldFleet(): SampleBatch[] {
  const out: SampleBatch[] = [];
  for (const [s, system] of ["web-1", "db 1", AWKWARD_NAMES[4] as string].entries()) {
    for (let i = 0; i < 40; i++) {
      const timestamp = T0 + i * 300_000 + s * 250;
      const processes: BatchProcess[] = [
        {
          pid: 1,
          name: "systemd",
          cpu_percent: 0.1,
          memory_percent: 0.2,
          started_at: T0 - 86_400_000,
          user: "root",
        },
        ...[101, 102, 103].map((pid) => ({
          pid,
          name: "nginx: worker",
          cpu_percent: pid / 10 + i,
          memory_percent: 1.5,
          memory_rss: pid * 1_000_000,
          command: `nginx: worker process ${pid} \\`,
        })),
        // a short-lived process with a new pid in every sample
        {
          pid: 5000 + i * 7 + s,
          name: "cc1",
          cpu_percent: 90,
          memory_percent: 3,
          parent_pid: 4000,
          state: "running",
        },
        ...AWKWARD_NAMES.slice(0, 6).map((name, k) => ({
          pid: 200 + k,
          name,
          cpu_percent: k,
          memory_percent: 0.5,
          command: `${name}\nsecond line`,
        })),
      ];
      // backup runs in the first and the last quarter only
      if (i < 10 || i >= 30)
        processes.push({ pid: 900 + (i < 10 ? 0 : 1), name: "backup", cpu_percent: 25, memory_percent: 2 });
      out.push({ system_name: system, timestamp, processes });
    }
  }
  return out;
}

describe("npm run migrate: a bucket written in the old layout", () => {
  let conn: InfluxConnection;
  let dataDir: string;
  let reference: SqliteStore;
  const log = createLogger("silent");
  const store = () => new InfluxStore({ ...conn, retentionDays: 3650, timeoutMs: 30_000, log });
  const env = () => ({
    ...process.env,
    INFLUX_URL: conn.url,
    INFLUX_TOKEN: conn.token,
    INFLUX_ORG: conn.org,
    INFLUX_BUCKET: conn.bucket,
    LOG_LEVEL: "warn",
  });
  const migrate = () =>
    run(process.execPath, ["--import", "tsx", "server/migrate.ts"], { env: env(), timeout: 120_000 });

  beforeAll(async () => {
    conn = await freshBucket("migrate");
    dataDir = await mkdtemp(join(tmpdir(), "procscope-migrate-"));
    reference = new SqliteStore({ dataDir, retentionDays: 36_500, log });
    await reference.init();
    const batches = oldFleet();
    for (const b of batches) await reference.write(b);
    await writeLines(conn, batches.map(oldLines).join("\n"), "ms");
  });
  afterAll(async () => {
    await reference?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("is refused by the server, which says to run npm run migrate, and nothing is written into it", async () => {
    const s = store();
    await expect(s.init()).rejects.toThrow(/old layout.*npm run migrate/s);
    await expect(
      s.write({
        system_name: "new",
        timestamp: T0,
        processes: [{ pid: 1, name: "x", cpu_percent: 1, memory_percent: 1 }],
      }),
    ).rejects.toMatchObject({
      name: "StorageUnavailableError",
      message: expect.stringMatching(/npm run migrate/),
    });
    await expect(s.filter({ ranges: [RANGE], offset: 0, limit: 10 })).rejects.toMatchObject({
      name: "StorageUnavailableError",
    });
  });

  it("is converted in place: every answer is then the reference store's, and a second run does nothing", async () => {
    const { stdout } = await migrate();
    const total = oldFleet().reduce((n, b) => n + b.processes.length, 0);
    expect(stdout).toContain(`migrated ${total} samples (120 batches)`);

    const s = store();
    await s.init();
    const all = await s.filter({ ranges: [RANGE], offset: 0, limit: 100_000 });
    const expected = await reference.filter({ ranges: [RANGE], offset: 0, limit: 100_000 });
    expect(all.count).toBe(total);
    expect(all).toEqual(expected);
    for (const narrow of [{ pid: 102 }, { process_name: "backup" }, { system_name: "db 1", pid: 5003 }]) {
      const q = { ranges: [RANGE], offset: 0, limit: 1000, ...narrow };
      expect(await s.filter(q), JSON.stringify(narrow)).toEqual(await reference.filter(q));
    }
    const q = { system_name: "web-1", process_name: "backup", range: RANGE, gap_ms: 900_000 };
    expect(await s.duration(q)).toEqual(await reference.duration(q));
    expect((await s.duration(q))?.runs).toHaveLength(2);
    expect(await s.systems(RANGE)).toEqual(await reference.systems(RANGE));

    const again = await migrate();
    expect(again.stdout).toContain("nothing to do");
    expect(await s.filter({ ranges: [RANGE], offset: 0, limit: 100_000 })).toEqual(expected);
  });
});
