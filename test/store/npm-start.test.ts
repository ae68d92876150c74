/**
 * `npm start` end to end: the server on the embedded store plus the real local agent, sampling this
 * machine; the curl commands it prints work and show this machine's processes; stopping it stops
 * the agent too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../../harness/influxd.ts";

const repoRoot = resolve(import.meta.dirname, "..", "..");

/** Pids of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("npm start", () => {
  let dataDir: string;
  let child: ChildProcess;
  let stdout = "";
  let stderr = "";

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "procscope-start-"));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
    };
    for (const key of [
      "INFLUX_URL",
      "INFLUX_TOKEN",
      "LOCAL_AGENT",
      "HOST",
      "API_TOKENS",
      "API_TOKENS_FILE",
    ]) {
      delete env[key];
    }
    child = spawn(join(repoRoot, "node_modules", ".bin", "tsx"), ["server/start.ts"], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    await vi.waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited:\n${stdout}\n${stderr}`);
        expect(stdout).toContain("Stop with Ctrl-C.");
      },
      { timeout: 90_000, interval: 200 },
    );
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("prints the console's URL first, and the console is there", async () => {
    const url = stdout.match(/procscope console: (\S+)/)?.[1] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(stdout.indexOf("procscope console:")).toBeLessThan(stdout.indexOf("API reference:"));
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
  });

  it("prints the API reference and curl commands that answer with this machine's processes", async () => {
    expect(stdout).toMatch(/API reference: http:\/\/127\.0\.0\.1:\d+\/docs/);
    expect(stdout).toContain(`sampling "${hostname()}" every 5 s`);
    const urls = [...stdout.matchAll(/curl '([^']+)'/g)].map((m) => m[1] as string);
    expect(urls.map((u) => new URL(u).pathname)).toEqual([
      "/api/filter-processes/",
      "/api/process-duration/",
      "/api/systems/",
    ]);
    const [filterUrl, durationUrl, systemsUrl] = urls as [string, string, string];
    const processName = new URL(durationUrl).searchParams.get("process_name");

    const docs = await fetch(stdout.match(/API reference: (\S+)/)?.[1] as string);
    expect(docs.status).toBe(200);

    const filter = (await (await fetch(filterUrl)).json()) as {
      count: number;
      data: { name: string; system_name: string }[];
    };
    expect(filter.count).toBeGreaterThan(0);
    expect(filter.data.every((r) => r.name === processName && r.system_name === hostname())).toBe(true);

    const duration = (await (await fetch(durationUrl)).json()) as { success: boolean; process_name: string };
    expect(duration).toMatchObject({ success: true, process_name: processName });

    const systems = (await (await fetch(systemsUrl)).json()) as {
      systems: { system_name: string; process_count: number }[];
    };
    expect(systems.systems.find((s) => s.system_name === hostname())?.process_count).toBeGreaterThan(0);
  });

  it("stops the local agent when it stops", async () => {
    expect(processesMentioning(dataDir).length).toBeGreaterThan(0); // the agent's --spool-dir
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await exited;
    await vi.waitFor(() => expect(processesMentioning(dataDir)).toEqual([]), {
      timeout: 15_000,
      interval: 100,
    });
  });
});
