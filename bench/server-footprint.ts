/**
 * `npx tsx bench/server-footprint.ts [rounds]`: what the API server costs before it does any work,
 * on the embedded SQLite store — start-up to ready (spawn until /readyz answers 200) and idle RSS
 * (VmRSS once V8's memory reducer has run, 30 s after ready, and the peak VmHWM) — for each way of
 * starting it:
 *
 * - `node dist/server.js` (`procscope-server`, the Docker image): the bundle `npm run build` makes;
 * - `node --import tsx server/main.ts`: TypeScript compiled at run time (development);
 * - `npx tsx server/main.ts` (`npm run server`): the same through the tsx command, whose wrapper
 *   process is counted too (RSS summed over the process tree).
 *
 * Each round starts the ways one after the other (start-up is timed alone), then lets them idle
 * together; `rounds` rounds (default 3), and the table shows medians.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../harness/influxd.ts";

const root = resolve(import.meta.dirname, "..");
/** Long enough for V8's memory reducer to give back start-up garbage (it waits ~20 s of idleness). */
const IDLE_MS = 30_000;

interface Way {
  label: string;
  command: string;
  args: string[];
}

const WAYS: Way[] = [
  { label: "node dist/server.js (procscope-server)", command: process.execPath, args: ["dist/server.js"] },
  {
    label: "node --import tsx server/main.ts",
    command: process.execPath,
    args: ["--import", "tsx", "server/main.ts"],
  },
  {
    label: "tsx server/main.ts (npm run server)",
    command: join(root, "node_modules/.bin/tsx"),
    args: ["server/main.ts"],
  },
];

/** The process and every descendant, from /proc (children of each task). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i] as number;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim();
        if (kids) out.push(...kids.split(" ").map(Number));
      } catch {
        // gone
      }
    }
  }
  return out;
}

/** A /proc/<pid>/status field in MB (VmRSS, VmHWM), 0 when the process is gone. */
export function statusMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    )?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

interface Measured {
  readyMs: number;
  rss: number;
  peak: number;
  processes: number;
}

interface Started {
  readyMs: number;
  child: ChildProcess;
  dir: string;
}

async function start(way: Way): Promise<Started> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "procscope-footprint-"));
  const started = performance.now();
  const child: ChildProcess = spawn(way.command, way.args, {
    cwd: root,
    env: {
      ...process.env,
      INFLUX_URL: "",
      INFLUX_TOKEN: "",
      DATA_DIR: dir,
      PORT: String(port),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  while (performance.now() - started < 30_000) {
    if (child.exitCode !== null) throw new Error(`${way.label} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.status === 200) return { readyMs: performance.now() - started, child, dir };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${way.label} not ready within 30 s`);
}

function read(s: Started): Measured {
  const tree = processTree(s.child.pid as number);
  return {
    readyMs: s.readyMs,
    rss: tree.reduce((sum, p) => sum + statusMb(p, "VmRSS"), 0),
    peak: tree.reduce((sum, p) => sum + statusMb(p, "VmHWM"), 0),
    processes: tree.length,
  };
}

async function stop(s: Started): Promise<void> {
  const exited = new Promise((r) => s.child.once("exit", r));
  s.child.kill("SIGTERM");
  await exited;
  rmSync(s.dir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function main(): Promise<void> {
  if (!existsSync(join(root, "dist/server.js"))) throw new Error("dist/server.js is missing: npm run build");
  const rounds = Number(process.argv[2] ?? 3);
  const results = new Map<Way, Measured[]>(WAYS.map((w) => [w, []]));
  for (let i = 0; i < rounds; i++) {
    const running: [Way, Started][] = [];
    try {
      for (const way of WAYS) {
        process.stderr.write(`round ${i + 1}/${rounds}: ${way.label}\n`);
        running.push([way, await start(way)]);
      }
      await new Promise((r) => setTimeout(r, IDLE_MS));
      for (const [way, s] of running) results.get(way)?.push(read(s));
    } finally {
      await Promise.all(running.map(([, s]) => stop(s)));
    }
  }
  process.stdout.write(
    `\nAPI server footprint, embedded SQLite store: ${cpus().length} CPUs, Node ${process.version}, median of ${rounds} alternated runs\n\n`,
  );
  process.stdout.write(
    "| how it is started | processes | start-up to ready ms | idle RSS MB | peak RSS MB |\n",
  );
  process.stdout.write("|---|---:|---:|---:|---:|\n");
  for (const [way, runs] of results) {
    process.stdout.write(
      `| ${way.label} | ${runs[0]?.processes} | ${median(runs.map((r) => r.readyMs)).toFixed(0)} | ` +
        `${median(runs.map((r) => r.rss)).toFixed(1)} | ${median(runs.map((r) => r.peak)).toFixed(1)} |\n`,
    );
  }
  process.stdout.write(
    "\nStart-up: from spawn until /readyz answers 200. Idle RSS: VmRSS 30 s after ready, summed over the " +
      "process tree (tsx's wrapper and esbuild service included); peak: VmHWM, summed likewise.\n",
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
