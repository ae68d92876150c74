/**
 * How people run the agent and the server in production, each as exactly one process:
 * `procscope-agent` and `procscope-server` (package.json `bin`, the bundles `npm run build` makes,
 * started as the files they are), and the agent under Deno as `deno run -A agent/main.ts` (the deno
 * binary itself: `npx deno` would put a Node process in front that does not pass SIGTERM on, and
 * stopping it leaves the agent running as an orphan). Each is the process that was started (no
 * wrapper, no child), stores real samples, and stops cleanly on SIGTERM.
 * Also: under Deno without -A the agent says so first, instead of blaming the host name.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv } from "../../harness/stores.ts";
import { is, type LogLine, removeTempDirs, repoRoot, runAgent, storedRows, tempDir } from "./support.ts";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  bin: Record<string, string>;
};
const deno = join(repoRoot, "node_modules", ".bin", "deno");

/** Every descendant of a process, from /proc (children of each of its threads). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    for (const task of readdirSync(`/proc/${p}/task`)) {
      const kids = readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim();
      for (const kid of kids ? kids.split(" ").map(Number) : []) {
        out.push(kid);
        visit(kid);
      }
    }
  };
  visit(pid);
  return out;
}

const exe = (pid: number) => realpathSync(`/proc/${pid}/exe`);
const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });

/** A child whose stderr JSON log lines are collected; resolves `until` once one matches. */
function launch(command: string, args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: LogLine[] = [];
  let text = "";
  const waiters: (() => void)[] = [];
  const collect = (chunk: Buffer) => {
    text += chunk.toString();
    const parts = text.split("\n");
    text = parts.pop() ?? "";
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
    for (const w of waiters) w();
  };
  child.stderr?.on("data", collect);
  child.stdout?.on("data", collect);
  const until = (match: (l: LogLine) => boolean, what: string, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${command}: no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = () => {
        const found = lines.find(match);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      waiters.push(check);
      child.once("exit", () => {
        check();
        clearTimeout(timer);
        reject(new Error(`${command} exited before ${what}: ${JSON.stringify(lines)}`));
      });
      check();
    });
  return { child, lines, until };
}

let server: ServerProcess;
const TOKEN = "entry-points-token";

beforeAll(async () => {
  // The bundles from the current sources (npm install does this as `prepare`).
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { cwd: repoRoot, stdio: "ignore" });
  server = await startServer({
    // The embedded store, and this file runs once (not per store): it rebuilds dist/ first.
    env: { ...sqliteEnv(tempDir("entry-data")), API_TOKENS: `agent:read+write:${TOKEN}` },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

describe("package.json bin entries", () => {
  it("point at the bundles, which start with a node shebang", () => {
    expect(pkg.bin).toEqual({ "procscope-agent": "dist/agent.js", "procscope-server": "dist/server.js" });
    for (const file of Object.values(pkg.bin)) {
      expect(readFileSync(join(repoRoot, file), "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node");
    }
  });

  it("procscope-server is one node process, ready to serve, stopped by SIGTERM", async () => {
    const port = await freePort();
    const dir = tempDir("bin-server");
    const s = launch(join(repoRoot, pkg.bin["procscope-server"] as string), [], {
      ...sqliteEnv(dir),
      PORT: String(port),
      LOG_LEVEL: "info",
      API_TOKENS: `agent:read+write:${TOKEN}`,
    });
    try {
      await s.until((l) => l.msg === "storage ready", "storage ready");
      const pid = s.child.pid as number;
      expect(exe(pid)).toBe(realpathSync(process.execPath));
      expect(descendants(pid)).toEqual([]);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      s.child.kill("SIGTERM");
    }
    expect(await exited(s.child)).toEqual({ code: 0, signal: null });
  });

  it("procscope-agent is one node process that stores samples and stops cleanly on SIGTERM", async () => {
    const name = `bin-agent-${process.pid}`;
    const a = launch(join(repoRoot, pkg.bin["procscope-agent"] as string), [
      ...["--server", server.url, "--token", TOKEN, "--system-name", name],
      ...["--spool-dir", tempDir("bin-agent"), "--interval", "0.3", "--log-level", "debug"],
    ]);
    try {
      await a.until(is("sent"), "a sample sent");
      const pid = a.child.pid as number;
      expect(exe(pid)).toBe(realpathSync(process.execPath));
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[1]).toBe(
        join(repoRoot, pkg.bin["procscope-agent"] as string),
      );
      expect(descendants(pid)).toEqual([]);
    } finally {
      a.child.kill("SIGTERM");
    }
    expect(await exited(a.child)).toEqual({ code: 0, signal: null });
    expect(a.lines.some(is("stopped"))).toBe(true);
    expect((await storedRows(server.url, name, a.child.pid as number, TOKEN)).length).toBeGreaterThan(0);
  });
});

describe("the agent under Deno", () => {
  it("deno run -A agent/main.ts is one process (deno itself), stores samples, stops cleanly on SIGTERM", async () => {
    const name = `deno-one-${process.pid}`;
    const a = launch(deno, [
      ...["run", "-A", "agent/main.ts", "--server", server.url, "--token", TOKEN, "--system-name", name],
      ...["--spool-dir", tempDir("deno-one"), "--interval", "0.3", "--log-level", "debug"],
    ]);
    try {
      await a.until(is("sent"), "a sample sent");
      const pid = a.child.pid as number;
      expect(exe(pid)).toBe(realpathSync(deno));
      expect(descendants(pid)).toEqual([]);
    } finally {
      a.child.kill("SIGTERM");
    }
    expect(await exited(a.child)).toEqual({ code: 0, signal: null });
    expect(a.lines.some(is("stopped"))).toBe(true);
    expect((await storedRows(server.url, name, a.child.pid as number, TOKEN)).length).toBeGreaterThan(0);
  });

  it("without -A says first that it needs -A, not which permission happened to fail first", async () => {
    const spool = tempDir("deno-perm");
    for (const permissions of [
      [],
      ["--allow-read", "--allow-env"],
      ["--allow-sys", "--allow-net", "--allow-read"],
    ]) {
      const out = execDeno([
        ...permissions,
        "agent/main.ts",
        "--once",
        "--server",
        server.url,
        "--spool-dir",
        spool,
      ]);
      expect(out.code, permissions.join(" ")).toBe(2);
      expect(out.stderr).toContain("needs -A (--allow-all)");
      expect(out.stderr).toContain("deno run -A agent/main.ts");
      expect(out.stderr).not.toMatch(/host name|--allow-sys/);
    }
    // With -A it runs (and --help needs no permission at all).
    const help = execDeno(["agent/main.ts", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("deno run -A agent/main.ts");
    const run = await runAgent("deno", ["--dry-run", "--once", "--system-name", "perm"]);
    expect(run.code).toBe(0);
  });
});

function execDeno(args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(deno, ["run", "--no-prompt", ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: "pipe",
    });
    return { code: 0, stdout, stderr: "" };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}
