/**
 * `npx tsx bench/agent.ts`: what one sample costs the agent, in CPU time (user + system, including
 * any child process it spawns) and peak resident memory, on this machine's process list and again
 * with 500 extra processes. Compares the /proc collector with systeminformation.processes() and a
 * plain `ps`, and measures the whole agent (sample, spool, send to a real server) under Node and Deno.
 *
 * Each method runs in a process of its own (this file with `--worker`), so that peak RSS figures do
 * not leak into each other; CPU is read from /proc/<pid>/stat (utime + stime + cutime + cstime).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ProcCollector } from "../agent/collect/linux.ts";
import { startServer } from "../harness/server.ts";

const root = resolve(import.meta.dirname, "..");
const TICK_MS = 10; // USER_HZ = 100
const PS_ARGS = ["-eo", "pid,comm,pcpu,pmem,rss,lstart,user,args"];
const EXTRA = 500;

/** CPU ms used so far by a process and its reaped children. */
function cpuMs(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime are fields 14–17 of proc(5): f[11..14].
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0) * TICK_MS;
}

/** Peak resident set (VmHWM) of a process, in MB. */
function peakRssMb(pid: number | "self"): number {
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  return kb / 1024;
}

const countProcesses = () =>
  spawnSync("ps", ["-e", "--no-headers"], { encoding: "utf8" }).stdout.split("\n").length - 1;

// ---- worker: one method, many samples, in this process ----

type Method = "procfs" | "systeminformation" | "ps";

async function worker(method: Method, samples: number): Promise<void> {
  const si = method === "systeminformation" ? await import("systeminformation") : undefined;
  const collector = method === "procfs" ? new ProcCollector() : undefined;
  const once = async (): Promise<number> => {
    if (collector) return (await collector.sample()).processes.length;
    if (si) return (await si.processes()).list.length;
    const out = spawnSync("ps", PS_ARGS, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).stdout;
    return out.split("\n").length - 2;
  };
  // Warm up: first-call costs (module loading, JIT, reading /etc/passwd) are not per sample.
  await once();
  if (si) await new Promise((r) => setTimeout(r, 600));
  await once();
  const before = cpuMs("self");
  let seen = 0;
  for (let i = 0; i < samples; i++) {
    // systeminformation answers from a cache when called again within 500 ms; the agent samples
    // every few seconds, so wait (idle, no CPU) to measure real work.
    if (si) await new Promise((r) => setTimeout(r, 600));
    seen = await once();
  }
  const cpu = (cpuMs("self") - before) / samples;
  process.stdout.write(JSON.stringify({ cpu, rss: peakRssMb("self"), processes: seen }));
}

function runWorker(method: Method, samples: number): Row {
  const out = spawnSync(
    process.execPath,
    ["--import", "tsx", join(root, "bench", "agent.ts"), "--worker", method, String(samples)],
    {
      cwd: root,
      encoding: "utf8",
    },
  );
  if (out.status !== 0) throw new Error(`worker ${method} failed: ${out.stderr}`);
  const r = JSON.parse(out.stdout) as { cpu: number; rss: number; processes: number };
  return { what: LABELS[method], processes: r.processes, cpu: r.cpu, rss: r.rss };
}

const LABELS: Record<Method, string> = {
  procfs: "/proc collector (agent/collect/linux.ts)",
  systeminformation: "systeminformation.processes()",
  ps: `ps ${PS_ARGS.join(" ")} (node spawning it)`,
};

/**
 * `ps` alone, as a shell loop timed by GNU time (when installed): what a cron job or a shell script
 * running it pays. One timing over all runs, as GNU time counts in 10 ms steps.
 */
function psAlone(runs: number): Row | undefined {
  if (!existsSync("/usr/bin/time")) return undefined;
  const loop = `for i in $(seq ${runs}); do ps ${PS_ARGS.join(" ")} > /dev/null; done`;
  const out = spawnSync("/usr/bin/time", ["-f", "%U %S %M", "sh", "-c", loop], { encoding: "utf8" });
  const [user, sys, kb] = (out.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  if (user === undefined || sys === undefined || kb === undefined) return undefined;
  return {
    what: `ps ${PS_ARGS.join(" ")} (alone, GNU time)`,
    processes: countProcesses(),
    cpu: ((user + sys) * 1000) / runs,
    rss: kb / 1024,
  };
}

// ---- the whole agent, as users run it, against a real server ----

async function wholeAgent(runtime: "node" | "deno", server: string, samples: number): Promise<Row> {
  const warmup = 5;
  const args = ["--server", server, "--interval", "0.2", "--system-name", `bench-${runtime}`];
  const spool = mkdtempSync(join(tmpdir(), "procscope-bench-"));
  const main = join(root, "agent", "main.ts");
  const child: ChildProcess =
    runtime === "node"
      ? spawn(
          process.execPath,
          ["--import", "tsx", main, ...args, "--spool-dir", spool, "--log-level", "debug"],
          {
            cwd: root,
            stdio: ["ignore", "ignore", "pipe"],
          },
        )
      : spawn(
          join(root, "node_modules", ".bin", "deno"),
          ["run", "--allow-all", main, ...args, "--spool-dir", spool, "--log-level", "debug"],
          { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
        );
  const pid = child.pid as number;
  let sent = 0;
  let processes = 0;
  let start = 0;
  let partial = "";
  const done = new Promise<number>((resolveDone, reject) => {
    child.once("exit", (code) => reject(new Error(`agent (${runtime}) exited with ${code}`)));
    child.stderr?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const log = JSON.parse(line) as { msg: string; processes?: number };
        if (log.msg !== "sent") continue;
        sent++;
        processes = log.processes ?? 0;
        if (sent === warmup) start = cpuMs(pid);
        if (sent === warmup + samples) resolveDone((cpuMs(pid) - start) / samples);
      }
    });
  });
  const cpu = await done;
  const rss = peakRssMb(pid);
  child.removeAllListeners("exit");
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  rmSync(spool, { recursive: true, force: true });
  return {
    what: `whole agent under ${runtime === "node" ? "Node (node --import tsx)" : "Deno"}: sample, spool, send`,
    processes,
    cpu,
    rss,
  };
}

// ---- the report ----

interface Row {
  what: string;
  processes: number;
  cpu: number;
  rss: number | undefined;
}

async function scenario(title: string): Promise<Row[]> {
  process.stderr.write(`measuring: ${title} (${countProcesses()} processes)\n`);
  const dataDir = mkdtempSync(join(tmpdir(), "procscope-bench-db-"));
  const server = await startServer({
    env: {
      INFLUX_URL: undefined,
      INFLUX_TOKEN: undefined,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
    },
  });
  try {
    const alone = psAlone(30);
    return [
      runWorker("procfs", 50),
      await wholeAgent("node", server.url, 25),
      await wholeAgent("deno", server.url, 25),
      runWorker("systeminformation", 8),
      runWorker("ps", 30),
      ...(alone ? [alone] : []),
    ];
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function table(title: string, rows: Row[]): string {
  const head = `\n${title}\n\n| what | processes | CPU ms / sample | peak RSS MB |\n|---|---:|---:|---:|\n`;
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.what} | ${r.processes} | ${r.cpu.toFixed(1)} | ${r.rss === undefined ? "n/a" : r.rss.toFixed(1)} |`,
      )
      .join("\n")
  );
}

async function main(): Promise<void> {
  const here = await scenario("this machine");
  const sleepers = Array.from({ length: EXTRA }, () => spawn("sleep", ["300"], { stdio: "ignore" }));
  let loaded: Row[];
  try {
    loaded = await scenario(`with ${EXTRA} extra processes`);
  } finally {
    for (const s of sleepers) s.kill("SIGKILL");
  }
  process.stdout.write(
    `procscope agent benchmark: ${cpus().length} CPUs, Linux ${release()}, Node ${process.version}\n`,
  );
  process.stdout.write(table("This machine's processes", here));
  process.stdout.write(`\n${table(`With ${EXTRA} extra processes (sleep)`, loaded)}\n`);
  process.stdout.write(
    "\nCPU: user + system time of the sampling process and every child it spawned and reaped, per sample, " +
      "after warm-up. Peak RSS: VmHWM of that process (children not included; for ps alone: ps itself). The whole-agent " +
      "rows run agent/main.ts every 0.2 s against the real server (embedded SQLite store) and count its " +
      "CPU between the 5th and the 30th sample it sent.\n",
  );
}

if (process.argv[2] === "--worker") await worker(process.argv[3] as Method, Number(process.argv[4]));
else await main();
