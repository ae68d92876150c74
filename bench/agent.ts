/**
 * `npx tsx bench/agent.ts [--interval s] [--windows n] [--window s] [--warmup s]`: our agent beside
 * the agents people run today, in the same run, on this machine: CPU ms per sample, steady and
 * peak RSS, and bytes on the wire per sample, at this machine's process count and again with 500
 * extra processes (`sleep`), phases alternated.
 *
 * Every agent runs at once, at the same interval (default 5 s, as deployed):
 * - ours as deployed: `procscope-agent` (node dist/agent.js, with and without the V8 flag the
 *   systemd unit sets) and `deno run -A agent/main.ts`, each sending to a real server (the
 *   embedded SQLite store, not counted);
 * - the anchor: Debian's Prometheus process-exporter (`apt-get install prometheus-process-exporter`;
 *   rows are left out, with a note, when it is not installed), tracking every process by name, in
 *   its default and its lean (`-gather-smaps=false -threads=false`) configuration. It is scraped,
 *   not pushing: this process stands in for Prometheus and scrapes it every interval with
 *   `Accept-Encoding: gzip` (the scrape's own cost is not the exporter's and is not counted).
 *
 * CPU: change of utime + stime + cutime + cstime over each agent's whole process tree during a
 * window, divided by the samples it took in it (our "sent" log lines; the exporter's scrapes).
 * RSS: VmRSS summed over the process tree, read every second: the median is "steady", VmHWM the
 * peak. Wire: our "sent" lines' byte counts (the gzip'd body); the exporter's gzip'd scrape bodies.
 * `npm run build` first (dist/agent.js, dist/server.js).
 *
 * `--before <dir>` adds an earlier agent, run as it was (`node --import tsx <dir>/agent/main.ts`),
 * for a before/after in the same run: e.g. `git archive <commit> agent package.json | tar -x -C
 * <dir>` and a `node_modules` symlink to this repository's in `<dir>`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { cpus, release, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../harness/influxd.ts";
import { processTree, statusMb } from "./server-footprint.ts";

const root = resolve(import.meta.dirname, "..");
/** The Node flags the systemd unit starts the agent with (its ExecStart): the row "as deployed". */
const UNIT_FLAGS = (() => {
  const unit = readFileSync(join(root, "deploy", "procscope-agent.service"), "utf8");
  const exec = /^ExecStart=(\S+) (.*) \S*dist\/agent\.js/m.exec(unit);
  return exec?.[2]?.split(" ").filter(Boolean) ?? [];
})();
const TICK_MS = 10; // USER_HZ = 100
const EXTRA = 500;
const EXPORTER = "/usr/bin/prometheus-process-exporter";

const { values: opts } = parseArgs({
  options: {
    interval: { type: "string", default: "5" },
    windows: { type: "string", default: "5" },
    window: { type: "string", default: "60" },
    warmup: { type: "string", default: "30" },
    /** A checkout of an earlier agent (its agent/ and package.json) to measure in the same run. */
    before: { type: "string" },
    "before-label": { type: "string", default: "an earlier agent" },
    /** Extra rows: the compiled agent under Node with these flags (space-separated; repeatable). */
    "node-flags": { type: "string", multiple: true, default: [] },
    /** Extra rows: `deno run` with these flags before `-A` (space-separated; repeatable). */
    "deno-flags": { type: "string", multiple: true, default: [] },
  },
});
const INTERVAL_S = Number(opts.interval);
const WINDOWS = Number(opts.windows);
const WINDOW_S = Number(opts.window);
const WARMUP_S = Number(opts.warmup);

/** CPU ms used so far by a process and its reaped children. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0) * TICK_MS;
  } catch {
    return 0;
  }
}

const treeCpu = (pid: number) => processTree(pid).reduce((s, p) => s + cpuMs(p), 0);
const treeRss = (pid: number) => processTree(pid).reduce((s, p) => s + statusMb(p, "VmRSS"), 0);
const treePeak = (pid: number) => processTree(pid).reduce((s, p) => s + statusMb(p, "VmHWM"), 0);
const countProcesses = () =>
  spawnSync("ps", ["-e", "--no-headers"], { encoding: "utf8" }).stdout.split("\n").length - 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor(s.length / 2)] as number);
};

/** One agent under measurement: its process, and how many samples it has taken and sent so far. */
interface Agent {
  label: string;
  child: ChildProcess;
  samples(): number;
  wireBytes(): number;
  processes(): number;
  stop(): Promise<void>;
}

function ourAgent(label: string, command: string, args: string[], server: string): Agent {
  const spool = mkdtempSync(join(tmpdir(), "procscope-bench-spool-"));
  const child = spawn(
    command,
    [
      ...args,
      "--server",
      server,
      "--interval",
      String(INTERVAL_S),
      "--spool-dir",
      spool,
      "--log-level",
      "debug",
    ],
    { cwd: root, stdio: ["ignore", "ignore", "pipe"] },
  );
  let sent = 0;
  let bytes = 0;
  let processes = 0;
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.includes('"msg":"sent"')) continue;
      const log = JSON.parse(line) as { bytes?: number; processes?: number };
      sent++;
      // An agent that does not log its bytes (before gzip) shows n/a, not 0.
      bytes += log.bytes ?? Number.NaN;
      processes = log.processes ?? processes;
    }
  });
  return {
    label,
    child,
    samples: () => sent,
    wireBytes: () => bytes,
    processes: () => processes,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(spool, { recursive: true, force: true });
    },
  };
}

/** The exporter, and this process scraping it every interval as Prometheus would. */
async function exporter(label: string, extra: string[]): Promise<Agent> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "procscope-bench-exporter-"));
  const config = join(dir, "all.yml");
  writeFileSync(config, 'process_names:\n  - name: "{{.Comm}}"\n    cmdline: [".*"]\n');
  const child = spawn(
    EXPORTER,
    ["-config.path", config, "-web.listen-address", `127.0.0.1:${port}`, ...extra],
    { stdio: "ignore" },
  );
  let scrapes = 0;
  let bytes = 0;
  let processes = 0;
  let stopped = false;
  const scrape = () =>
    new Promise<void>((done) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/metrics", headers: { "accept-encoding": "gzip" } },
        (res) => {
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
          });
          res.on("end", () => {
            if (res.statusCode === 200) {
              scrapes++;
              bytes += size;
              processes = countProcesses();
            }
            done();
          });
        },
      );
      req.on("error", () => done());
      req.end();
    });
  const loop = (async () => {
    await sleep(500);
    while (!stopped) {
      const started = performance.now();
      await scrape();
      await sleep(Math.max(0, INTERVAL_S * 1000 - (performance.now() - started)));
    }
  })();
  return {
    label,
    child,
    samples: () => scrapes,
    wireBytes: () => bytes,
    processes: () => processes,
    async stop() {
      stopped = true;
      await loop;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Row {
  label: string;
  processes: number;
  cpu: number[];
  rss: number[];
  peak: number;
  wire: number[];
}

/** Windows of one phase: per agent, CPU per sample and wire bytes per sample in each window. */
async function measure(agents: Agent[], title: string): Promise<Row[]> {
  process.stderr.write(`phase "${title}": ${countProcesses()} processes; warm-up ${WARMUP_S} s\n`);
  await sleep(WARMUP_S * 1000);
  const rows: Row[] = agents.map((a) => ({
    label: a.label,
    processes: 0,
    cpu: [],
    rss: [],
    peak: 0,
    wire: [],
  }));
  for (let w = 0; w < WINDOWS; w++) {
    const start = agents.map((a) => ({
      cpu: treeCpu(a.child.pid as number),
      n: a.samples(),
      bytes: a.wireBytes(),
    }));
    for (let s = 0; s < WINDOW_S; s++) {
      await sleep(1000);
      agents.forEach((a, i) => {
        rows[i]?.rss.push(treeRss(a.child.pid as number));
      });
    }
    agents.forEach((a, i) => {
      const row = rows[i] as Row;
      const before = start[i] as { cpu: number; n: number; bytes: number };
      const n = a.samples() - before.n;
      if (n > 0) {
        row.cpu.push((treeCpu(a.child.pid as number) - before.cpu) / n);
        row.wire.push((a.wireBytes() - before.bytes) / n);
      }
      row.processes = a.processes();
    });
    process.stderr.write(`  window ${w + 1}/${WINDOWS} done\n`);
  }
  agents.forEach((a, i) => {
    (rows[i] as Row).peak = treePeak(a.child.pid as number);
  });
  return rows;
}

function table(title: string, rows: Row[]): string {
  const head =
    `\n${title}\n\n| agent | processes | CPU ms / sample | steady RSS MB | peak RSS MB | wire KB / sample |\n` +
    "|---|---:|---:|---:|---:|---:|\n";
  return (
    head +
    rows
      .map((r) => {
        const cpu = r.cpu.length
          ? `${median(r.cpu).toFixed(1)} (${Math.min(...r.cpu).toFixed(1)}–${Math.max(...r.cpu).toFixed(1)})`
          : "n/a";
        const wire =
          r.wire.length && Number.isFinite(median(r.wire)) ? (median(r.wire) / 1024).toFixed(1) : "n/a";
        return `| ${r.label} | ${r.processes} | ${cpu} | ${median(r.rss).toFixed(1)} | ${r.peak.toFixed(1)} | ${wire} |`;
      })
      .join("\n")
  );
}

async function main(): Promise<void> {
  if (!existsSync(join(root, "dist", "agent.js"))) throw new Error("dist/agent.js is missing: npm run build");
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "procscope-bench-db-"));
  const server = spawn(process.execPath, ["dist/server.js"], {
    cwd: root,
    env: {
      ...process.env,
      INFLUX_URL: "",
      INFLUX_TOKEN: "",
      DATA_DIR: data,
      PORT: String(port),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  const deno = join(root, "node_modules", ".bin", "deno");
  const agents: Agent[] = [
    ourAgent(
      "procscope-agent (node dist/agent.js)",
      process.execPath,
      ["dist/agent.js", "--system-name", "bench-node"],
      url,
    ),
    ourAgent(
      `procscope-agent, ${UNIT_FLAGS.join(" ")} (systemd unit, compose)`,
      process.execPath,
      [...UNIT_FLAGS, "dist/agent.js", "--system-name", "bench-node-unit"],
      url,
    ),
    ourAgent(
      "deno run -A agent/main.ts",
      deno,
      ["run", "-A", "agent/main.ts", "--system-name", "bench-deno"],
      url,
    ),
    ...(opts["node-flags"] ?? []).map((flags, i) =>
      ourAgent(
        `node ${flags} dist/agent.js`,
        process.execPath,
        [...flags.split(" ").filter(Boolean), "dist/agent.js", "--system-name", `bench-node-${i}`],
        url,
      ),
    ),
    ...(opts["deno-flags"] ?? []).map((flags, i) =>
      ourAgent(
        `deno run ${flags} -A agent/main.ts`,
        deno,
        [
          "run",
          ...flags.split(" ").filter(Boolean),
          "-A",
          "agent/main.ts",
          "--system-name",
          `bench-deno-${i}`,
        ],
        url,
      ),
    ),
  ];
  if (opts.before) {
    agents.push(
      ourAgent(
        `${opts["before-label"]} (node --import tsx agent/main.ts)`,
        process.execPath,
        ["--import", "tsx", join(resolve(opts.before), "agent", "main.ts"), "--system-name", "bench-before"],
        url,
      ),
    );
  }
  const haveExporter = existsSync(EXPORTER);
  if (haveExporter) {
    agents.push(await exporter("prometheus-process-exporter 0.7.10 (default)", []));
    agents.push(
      await exporter("prometheus-process-exporter (lean: no smaps, no threads)", [
        "-gather-smaps=false",
        "-threads=false",
      ]),
    );
  }
  const results: [string, Row[]][] = [];
  let sleepers: ChildProcess[] = [];
  try {
    for (const phase of ["this machine", `with ${EXTRA} extra processes`]) {
      if (phase !== "this machine")
        sleepers = Array.from({ length: EXTRA }, () => spawn("sleep", ["3600"], { stdio: "ignore" }));
      results.push([phase, await measure(agents, phase)]);
      for (const s of sleepers.splice(0)) s.kill("SIGKILL");
    }
  } finally {
    for (const s of sleepers) s.kill("SIGKILL");
    for (const a of agents) await a.stop();
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
    rmSync(data, { recursive: true, force: true });
  }
  process.stdout.write(
    `procscope agent benchmark: ${cpus().length} CPUs, Linux ${release()}, Node ${process.version}; ` +
      `every agent at once, one sample every ${INTERVAL_S} s, ${WARMUP_S} s warm-up, ${WINDOWS} windows of ${WINDOW_S} s per phase\n`,
  );
  for (const [phase, rows] of results) process.stdout.write(`${table(`Processes: ${phase}`, rows)}\n`);
  process.stdout.write(
    "\nCPU: median over the windows (min–max) of utime + stime + cutime + cstime of the agent's process tree " +
      "per sample. Steady RSS: median of VmRSS (summed over the tree) read every second; peak: VmHWM. Wire: " +
      "the request body (ours: the gzip'd batch) or the gzip'd scrape (process-exporter), per sample.\n",
  );
  if (!haveExporter) {
    process.stdout.write(
      "\nprometheus-process-exporter is not installed: `sudo apt-get install prometheus-process-exporter` " +
        "(Debian/Ubuntu) adds it to this table.\n",
    );
  }
}

await main();
