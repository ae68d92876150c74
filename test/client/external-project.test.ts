/**
 * The typed client as others get it: `npm pack`, installed into a new project outside the
 * repository, compiled with the settings `tsc --init` writes (no edits), and run against a real
 * server (SQLite, tokens on), calling every procedure of the router.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { appRouter } from "../../server/router.ts";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "..", "..");
const tsc = join(repo, "node_modules", "typescript", "bin", "tsc");
const TOKEN = "external-client-token-0123456789";

/** Every procedure the program below calls: the test fails when the router grows one it does not. */
const CALLED = [
  "process.at",
  "process.duration",
  "process.filter",
  "process.runs",
  "process.submit",
  "systems.list",
  "watches.list",
  "watches.status",
];

const PROGRAM = `import { createProcscopeClient, type ProcscopeOutputs } from "procscope/client";
import { SERVER, TOKEN } from "./server.js";

const api = createProcscopeClient(SERVER, { token: TOKEN });
const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const stored = await api.process.submit.mutate({
  system_name: "external",
  timestamp: t0,
  processes: [
    { pid: 42, name: "nginx: worker", cpu_percent: 1.5, memory_percent: 0.5, user: "www" },
    { pid: 43, name: "東京 🚀", cpu_percent: 0, memory_percent: 0.25 },
  ],
});
await api.process.submit.mutate({
  system_name: "external",
  timestamp: new Date(t0 + 5000).toISOString(),
  processes: [{ pid: 42, name: "nginx: worker", cpu_percent: 2, memory_percent: 0.5 }],
});
const accepted: number = stored.accepted;
const page = await api.process.filter.query({
  from: new Date(t0 - 1000).toISOString(),
  to: new Date(t0 + 10_000).toISOString(),
  system_name: "external",
});
const rows: [number, number, string][] = page.data.map((r) => [Date.parse(r.timestamp) - t0, r.pid, r.name]);
const duration: ProcscopeOutputs["process"]["duration"] = await api.process.duration.query({
  system_name: "external",
  process_name: "nginx: worker",
});
const { systems } = await api.systems.list.query();
const history = await api.process.runs.query({ process_name: "nginx: worker", system_name: "external" });
const atT = await api.process.at.query({ system_name: "external", at: new Date(t0 + 5000).toISOString(), sort: "name" });
const watchList = await api.watches.list.query();
const watchStatus = await api.watches.status.query({ state: "down" });
let unauthorized = "";
try {
  await createProcscopeClient(SERVER).systems.list.query();
} catch (err) {
  unauthorized = (err as Error).message;
}
// The types are the router's, not any:
// @ts-expect-error cpu_percent is a number
void (() => api.process.submit.mutate({ system_name: "x", processes: [{ pid: 1, name: "n", cpu_percent: "1", memory_percent: 0 }] }));
// @ts-expect-error there is no such procedure
void (() => api.process.remove);
console.log(JSON.stringify({
  accepted,
  count: page.count,
  rows,
  duration: [duration.duration_seconds, Date.parse(duration.first_seen) - t0, duration.runs.length],
  systems: systems.map((s) => [s.system_name, s.process_count]),
  runs: history.systems.map((s) => [s.system_name, s.runs.map((r) => r.samples), s.restarts, s.crash_loop]),
  at: [Date.parse(atT.sample_time) - t0, atT.process_count, atT.processes.map((p) => p.pid)],
  watches: [watchList.file, watchList.watches.length, watchStatus.count, watchStatus.evaluated_at],
  unauthorized,
}));
`;

describe("the typed client in a project of its own", () => {
  let dir: string;
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "procscope-client-project-"));
    dataDir = mkdtempSync(join(tmpdir(), "procscope-client-data-"));
    const serverStarted = startServer({
      env: {
        INFLUX_URL: undefined,
        INFLUX_TOKEN: undefined,
        DATA_DIR: dataDir,
        API_TOKENS: `external:read+write:${TOKEN}`,
        LOG_LEVEL: "warn",
      },
    });
    await run(process.execPath, ["--import", "tsx", join(repo, "scripts", "build-client.ts")], { cwd: repo });
    const packed = await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: repo });
    const tarball = packed.stdout.trim().split("\n").at(-1) as string;
    const project = join(dir, "consumer");
    await run("mkdir", [project]);
    // "type": "module" is the one line a new ESM project adds; the rest is npm's and tsc's defaults.
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        type: "module",
        dependencies: { procscope: `file:../${tarball}` },
      }),
    );
    // Install scripts are skipped: the client needs none (better-sqlite3's native build is the server's).
    await run("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: project,
    });
    await run(process.execPath, [tsc, "--init"], { cwd: project });
    writeFileSync(join(project, "index.ts"), PROGRAM);
    server = await serverStarted;
    writeFileSync(
      join(project, "server.ts"),
      `export const SERVER = ${JSON.stringify(server.url)};\nexport const TOKEN = ${JSON.stringify(TOKEN)};\n`,
    );
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    for (const d of [dir, dataDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("typechecks with tsc --init's settings (the @ts-expect-error lines prove the types are real)", async () => {
    const project = join(dir, "consumer");
    const config = readFileSync(join(project, "tsconfig.json"), "utf8");
    expect(config).toMatch(/"module": "nodenext"/);
    expect(config).toMatch(/"strict": true/);
    const result = await run(process.execPath, [tsc, "-p", "."], { cwd: project }).catch((err) => err);
    expect(`${result.stdout ?? ""}${result.stderr ?? ""}`).toBe("");
  }, 120_000);

  it("calls every procedure against the real server", async () => {
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(CALLED);
    const { stdout } = await run(process.execPath, ["index.js"], { cwd: join(dir, "consumer") });
    expect(JSON.parse(stdout)).toEqual({
      accepted: 2,
      count: 3,
      rows: [
        [0, 42, "nginx: worker"],
        [0, 43, "東京 🚀"],
        [5000, 42, "nginx: worker"],
      ],
      duration: [5, 0, 1],
      systems: [["external", 1]],
      runs: [["external", [2], 0, false]],
      at: [5000, 1, [42]],
      watches: [null, 0, 0, null],
      unauthorized: "A valid API token is required (Authorization: Bearer <token>).",
    });
  }, 60_000);
});
