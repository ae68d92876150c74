/**
 * The embedded store failing for real: the server answers 503 with Retry-After (as for an InfluxDB
 * outage; it was a 500, which says "our bug" and is not retried the same way), stays up, recovers
 * by itself, and loses nothing it acknowledged.
 *
 * - Disk full: the data directory is a 2 MiB tmpfs (mounting needs root, as in CI and the dev
 *   containers; the test fails, never skips, without it). Batches go in until SQLite reports the
 *   disk full; every batch answered 201 is then read back, while full, after space is freed, and
 *   after a kill -9 and restart.
 * - Busy: another connection holds the write lock (someone running `sqlite3` on the file) past
 *   the store's busy timeout.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv } from "../../harness/stores.ts";
import { call } from "../support/app.ts";

const PER_BATCH = 100;
const base = Date.now() - 3600_000;

/** Batch n: distinct timestamp, and command lines unique to it (so the file keeps growing). */
const batch = (system: string, n: number) => ({
  system_name: system,
  timestamp: base + n * 1000,
  processes: Array.from({ length: PER_BATCH }, (_, i) => ({
    pid: i + 1,
    name: `proc-${i}`,
    cpu_percent: n + i / 1000,
    memory_percent: 1,
    command: `/usr/bin/worker --batch ${n} --slot ${i} ${"x".repeat(300)}`,
  })),
});

async function everything(url: string, system: string): Promise<{ count: number; keys: Set<string> }> {
  const q = new URLSearchParams({
    system_name: system,
    from: new Date(base - 1000).toISOString(),
    to: new Date(Date.now() + 60_000).toISOString(),
    page_size: "10000",
  });
  const res = await call(`${url}/api/filter-processes/?${q}`);
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
  const keys = new Set<string>(
    res.body.data.map(
      (d: { timestamp: string; pid: number; cpu_percent: number }) =>
        `${Date.parse(d.timestamp)}/${d.pid}/${d.cpu_percent}`,
    ),
  );
  return { count: res.body.count, keys };
}

const expectedKeys = (ns: number[]) =>
  new Set(
    ns.flatMap((n) =>
      Array.from({ length: PER_BATCH }, (_, i) => `${base + n * 1000}/${i + 1}/${n + i / 1000}`),
    ),
  );

describe("SQLite disk full", () => {
  const dir = mkdtempSync(join(tmpdir(), "procscope-full-"));
  let server: ServerProcess;
  beforeAll(async () => {
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir], { stdio: "pipe" });
    } catch (err) {
      throw new Error(
        `this test mounts a 2 MiB tmpfs as the data directory and needs root for it: ${(err as Error).message}`,
      );
    }
    writeFileSync(join(dir, "ballast"), Buffer.alloc(256 * 1024, 1)); // freed later to make room
    server = await startServer({
      env: { ...sqliteEnv(dir), WRITE_RATE_PER_MINUTE: "0" },
    });
  });
  afterAll(async () => {
    await server?.stop();
    try {
      execFileSync("umount", [dir], { stdio: "pipe" });
    } catch {
      // not mounted
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("503 with Retry-After once the disk is full; every acknowledged batch is kept, through a kill -9", async () => {
    const acknowledged: number[] = [];
    let full: Awaited<ReturnType<typeof call>> | undefined;
    for (let n = 0; n < 500 && !full; n++) {
      const res = await call(`${server.url}/api/process-data/`, { json: batch("full", n) });
      if (res.status === 201) acknowledged.push(n);
      else full = res;
    }
    if (!full) throw new Error("the disk never filled up");
    expect(acknowledged.length).toBeGreaterThan(2);
    expect(full.status, JSON.stringify(full.body)).toBe(503);
    expect(full.headers.get("retry-after")).toBe("5");
    expect(full.body).toEqual({
      success: false,
      code: "SERVICE_UNAVAILABLE",
      message: "storage unavailable",
    });
    await vi.waitFor(() => expect(server.output()).toMatch(/SQLITE_FULL|SQLITE_IOERR/), { timeout: 5000 });
    expect(server.output()).not.toMatch(/"level":50/); // no "unexpected error"

    // Still full: more writes are refused the same way; reads work and hold exactly what was acknowledged.
    const again = await call(`${server.url}/api/process-data/`, { json: batch("full", 999) });
    expect(again.status).toBe(503);
    const whileFull = await everything(server.url, "full");
    expect(whileFull.count).toBe(acknowledged.length * PER_BATCH);
    expect(whileFull.keys).toEqual(expectedKeys(acknowledged));

    // Room again: writes succeed without a restart.
    rmSync(join(dir, "ballast"));
    const after = await call(`${server.url}/api/process-data/`, { json: batch("full", 1000) });
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    acknowledged.push(1000);

    await server.kill();
    await server.restart();
    const restarted = await everything(server.url, "full");
    expect(restarted.count).toBe(acknowledged.length * PER_BATCH);
    expect(restarted.keys).toEqual(expectedKeys(acknowledged));
  });
});

describe("SQLite busy", () => {
  const dir = mkdtempSync(join(tmpdir(), "procscope-busy-"));
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({
      env: { ...sqliteEnv(dir), WRITE_RATE_PER_MINUTE: "0" },
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("503 with Retry-After while another connection holds the write lock past the busy timeout", async () => {
    expect((await call(`${server.url}/api/process-data/`, { json: batch("busy", 0) })).status).toBe(201);
    const other = new Database(join(dir, "procscope.sqlite"));
    other.exec("BEGIN IMMEDIATE");
    try {
      const res = await call(`${server.url}/api/process-data/`, { json: batch("busy", 1) });
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      await vi.waitFor(() => expect(server.output()).toMatch(/SQLITE_BUSY/), { timeout: 5000 });
      // Reads are not blocked by a writer (WAL).
      expect((await everything(server.url, "busy")).count).toBe(PER_BATCH);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    expect((await call(`${server.url}/api/process-data/`, { json: batch("busy", 2) })).status).toBe(201);
    expect((await everything(server.url, "busy")).keys).toEqual(expectedKeys([0, 2]));
  });
});
