/**
 * The power-loss claims, asserted where they live (a kill -9 cannot tell them apart: the page
 * cache survives it). The SQLite store's connection runs journal_mode=WAL with synchronous=FULL,
 * read back from the store itself; the running server fsyncs the WAL before it answers 201; and
 * the agent's spool fsyncs each batch file before renaming it into place, then the directory —
 * observed with strace on the real processes (Node and Deno).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../harness/influxd.ts";
import { startServer } from "../../harness/server.ts";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { agentCommand, RUNTIMES, removeTempDirs, spooledTimestamps, tempDir } from "../agent/support.ts";
import { call } from "../support/app.ts";

const STRACE = spawnSync("strace", ["-V"]).status === 0;
const needStrace = () => {
  if (!STRACE) throw new Error("strace is not installed (apt-get install strace; .ci/run installs it)");
};
const SYNC_CALLS = "fsync,fdatasync,rename,renameat,renameat2";

afterAll(removeTempDirs);

describe("SQLite store durability settings", () => {
  it("the store's own connection reads back journal_mode=wal and synchronous=FULL", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "procscope-pragma-"));
    const store = new SqliteStore({ dataDir, retentionDays: 30, log: createLogger("silent") });
    try {
      await store.init();
      // The connection the store writes through (private: read for this check only).
      const db = Reflect.get(store, "db") as Database.Database;
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("synchronous", { simple: true })).toBe(2); // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
    } finally {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("the running server fsyncs the write-ahead log before it acknowledges a batch (strace)", async () => {
    needStrace();
    const dataDir = tempDir("fsync-server");
    const server = await startServer({
      env: { DATA_DIR: dataDir, INFLUX_URL: undefined, INFLUX_TOKEN: undefined },
    });
    const out = join(tempDir("fsync-trace"), "server.trace");
    let strace: ChildProcess | undefined;
    try {
      // Attach to the running server (all its threads) and wait until strace says it has.
      strace = spawn(
        "strace",
        ["-f", "-y", "-e", `trace=${SYNC_CALLS}`, "-o", out, "-p", String(server.child().pid)],
        {
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      await new Promise<void>((resolve, reject) => {
        let err = "";
        strace?.stderr?.on("data", (c: Buffer) => {
          err += c.toString();
          if (/attached/.test(err)) resolve();
        });
        strace?.once("exit", (code) => reject(new Error(`strace exited ${code}: ${err}`)));
      });
      const res = await call(`${server.url}/api/process-data/`, {
        json: {
          system_name: "durable",
          timestamp: Date.now() - 1000,
          processes: [{ pid: 1, name: "init", cpu_percent: 0, memory_percent: 0.1 }],
        },
      });
      expect(res.status).toBe(201);
      // Everything traced up to the answer (strace writes each line as the call returns).
      const traced = readFileSync(out, "utf8");
      const walSyncs = traced
        .split("\n")
        .filter((l) => /\b(fsync|fdatasync)\(\d+<[^>]*procscope\.sqlite-wal>\)\s*=\s*0/.test(l));
      expect(walSyncs.length, `no fsync of the WAL before the 201; traced:\n${traced}`).toBeGreaterThan(0);
    } finally {
      if (strace && strace.exitCode === null) {
        const gone = new Promise((r) => strace?.once("exit", r));
        strace.kill("SIGTERM"); // detaches; the server runs on
        await gone;
      }
      await server.stop();
    }
  });
});

describe.each(RUNTIMES)("agent spool durability under %s (strace)", (runtime) => {
  it("fsyncs each batch file before renaming it into place, then fsyncs the directory", async () => {
    needStrace();
    const spool = tempDir(`fsync-spool-${runtime}`);
    const out = join(tempDir("fsync-trace"), `${runtime}.trace`);
    const port = await freePort(); // nothing listens: the sample stays spooled
    const { command, args } = agentCommand(runtime);
    const run = spawnSync(
      "strace",
      [
        "-f",
        "-qq",
        "-y",
        "-e",
        `trace=${SYNC_CALLS}`,
        "-o",
        out,
        command,
        ...args,
        "--once",
        "--server",
        `http://127.0.0.1:${port}`,
        "--spool-dir",
        spool,
        "--system-name",
        "fsync-test",
        "--log-level",
        "error",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(1); // not stored: it stays spooled
    expect(spooledTimestamps(spool)).toHaveLength(1);

    const lines = readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l.includes(spool));
    const tmpSync = lines.findIndex((l) =>
      /\bf(data)?sync\(\d+<[^>]*\/\d{12}(-\d+-\d+)?\.json\.gz\.tmp>\)\s*=\s*0/.test(l),
    );
    const rename = lines.findIndex((l) => /\brename(at2?)?\(.*\.json\.gz\.tmp", .*\.json\.gz"/.test(l));
    const dirSync = lines.findIndex(
      (l, i) =>
        i > rename &&
        new RegExp(
          `\\bf(data)?sync\\(\\d+<${spool.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}>\\)\\s*=\\s*0`,
        ).test(l),
    );
    const trace = lines.join("\n");
    expect(tmpSync, `no fsync of the batch file; spool calls:\n${trace}`).toBeGreaterThanOrEqual(0);
    expect(rename, `no rename into place; spool calls:\n${trace}`).toBeGreaterThan(tmpSync);
    expect(dirSync, `no fsync of the directory after the rename; spool calls:\n${trace}`).toBeGreaterThan(
      rename,
    );
  });
});
