/** The command line as promised: --help, bad options, --dry-run and --once, under Node and Deno. */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { SubmitIn } from "../../server/schemas.ts";
import { storeTarget } from "../support/stores.ts";
import {
  is,
  RUNTIMES,
  removeTempDirs,
  repoRoot,
  runAgent,
  spooledTimestamps,
  storedRows,
  tempDir,
  uniqueName,
} from "./support.ts";

const FLAGS = [
  "--server",
  "--token",
  "--system-name",
  "--interval",
  "--once",
  "--dry-run",
  "--spool-dir",
  "--spool-max-mb",
  "--log-level",
  "--help",
];
const VARIABLES = [
  "PROCSCOPE_SERVER",
  "PROCSCOPE_TOKEN",
  "PROCSCOPE_SYSTEM_NAME",
  "PROCSCOPE_INTERVAL",
  "PROCSCOPE_SPOOL_DIR",
  "PROCSCOPE_SPOOL_MAX_MB",
  "PROCSCOPE_LOG_LEVEL",
];

let server: ServerProcess;
/** A real HTTP server that only counts what reaches it: a dry run must send nothing. */
let counter: { url: string; hits: () => number; close: () => Promise<void> };

beforeAll(async () => {
  server = await startServer({
    env: (await storeTarget("agent-cli")).env,
  });
  let hits = 0;
  const http = createServer((_req, res) => {
    hits++;
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  counter = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
});

afterAll(async () => {
  removeTempDirs();
  await Promise.all([server?.stop(), counter?.close()]);
});

describe.each(RUNTIMES)("agent command line under %s", (runtime) => {
  it("--help lists every option and its environment variable, and exits 0", async () => {
    const run = await runAgent(runtime, ["--help"]);
    expect(run.code).toBe(0);
    for (const word of [...FLAGS, ...VARIABLES]) expect(run.stdout).toContain(word);
  });

  it("refuses bad options with exit code 2, naming the option", async () => {
    const bad = await runAgent(runtime, ["--interval", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--interval");
    const unknown = await runAgent(runtime, ["--bogus"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--bogus");
  });

  it("--dry-run --once prints one valid payload on stdout and sends and spools nothing", async () => {
    const spool = join(tempDir("dry"), "never-created");
    const before = counter.hits();
    const run = await runAgent(runtime, [
      "--dry-run",
      "--once",
      "--server",
      counter.url,
      "--system-name",
      "dry run",
      "--spool-dir",
      spool,
    ]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const payload = JSON.parse(lines[0] as string);
    expect(SubmitIn.safeParse(payload).error).toBeUndefined();
    expect(payload.system_name).toBe("dry run");
    expect(payload.interval_ms).toBe(5000); // the default --interval, for the server's run edges
    const me = payload.processes.find((p: { pid: number }) => p.pid === process.pid);
    expect(me).toMatchObject({ parent_pid: process.ppid });
    expect(me.memory_rss).toBeGreaterThan(0);
    expect(counter.hits()).toBe(before);
    expect(existsSync(spool)).toBe(false);
  });

  it("--once sends one sample, exits 0, and the sample is stored", async () => {
    const name = uniqueName("once");
    const run = await runAgent(runtime, [
      "--once",
      "--server",
      server.url,
      "--system-name",
      name,
      "--spool-dir",
      tempDir("once"),
      "--log-level",
      "debug",
    ]);
    expect(run.code).toBe(0);
    const sent = run.logs.find(is("sent"));
    const rows = await storedRows(server.url, name, process.pid);
    expect(rows.map((r) => r.time)).toEqual([sent?.timestamp]);
  });

  it("--once exits 1 when no server answers, keeping the sample for the next run", async () => {
    const spool = tempDir("once-down");
    const run = await runAgent(runtime, ["--once", "--server", "http://127.0.0.1:1", "--spool-dir", spool]);
    expect(run.code).toBe(1);
    expect(run.logs.find((l) => l.level === "error")?.msg).toMatch(/send failed/);
    expect(spooledTimestamps(spool)).toHaveLength(1);
  });
});

describe("agent under Deno without --allow-all", () => {
  it("cannot read /proc even when granted it, and says which permission it needs", async () => {
    const deno = spawnSync(
      join(repoRoot, "node_modules", ".bin", "deno"),
      [
        "run",
        "--no-prompt",
        "--allow-read=/proc,/etc/passwd",
        "agent/main.ts",
        "--dry-run",
        "--once",
        "--system-name",
        "x",
      ],
      { cwd: repoRoot, encoding: "utf8" },
    );
    // Deno grants /proc only with -A: the agent says so before anything else fails (exit 2).
    expect(deno.status).toBe(2);
    expect(deno.stdout).toBe("");
    expect(deno.stderr).toContain("needs -A (--allow-all)");
    expect(deno.stderr).toContain("deno run -A agent/main.ts");
  });
});
