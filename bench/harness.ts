/**
 * What the HTTP benchmarks share: the real server as a child process (harness/server.ts, under
 * `node --cpu-prof` when profiling) with its peak RSS read from /proc, the storage under it (an
 * influxd started by harness/influxd.ts, or a SQLite file in a temporary directory), agent-like
 * payloads, and percentiles.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { flux, InfluxDB } from "@influxdata/influxdb-client";
import { type InfluxdInstance, influxEnv, resolveInfluxdBinary, startInfluxd } from "../harness/influxd.ts";
import { startServer } from "../harness/server.ts";
import { type StoreKind, sqliteEnv, tempDataDirs } from "../harness/stores.ts";
import { encodeBatch, WRITE_PRECISION } from "../server/store/influx/line-protocol.ts";
import type { SampleBatch } from "../server/store/types.ts";

export const root = resolve(import.meta.dirname, "..");

// ------------------------------------------------------------------------------------ storage

/** Where a server keeps its samples: `env()` gives a fresh, empty place each call. */
export interface Storage {
  kind: StoreKind;
  label: string;
  /** Server environment for a new, empty bucket (InfluxDB) or data directory (SQLite). */
  fresh(name: string): Record<string, string | undefined>;
  /** The database server's pid when it runs on this machine (influxd), for its CPU time. */
  pid(): number | undefined;
  dispose(): Promise<void>;
}

export function sqliteStorage(): Storage {
  const dirs = tempDataDirs("bench");
  return {
    kind: "sqlite",
    label: "SQLite (embedded)",
    fresh: () => sqliteEnv(dirs.make()),
    pid: () => undefined,
    async dispose() {
      dirs.removeAll();
    },
  };
}

export interface InfluxTarget {
  conn: { url: string; token: string; org: string };
  /** "v2.8.0" for an influxd of our own, "" for one from the environment. */
  version: string;
  dispose(): Promise<void>;
}

/** INFLUX_URL + INFLUX_TOKEN from the environment, else an influxd of our own (the tests' binary). */
export async function influxTarget(): Promise<InfluxTarget> {
  if (process.env.INFLUX_URL && process.env.INFLUX_TOKEN) {
    const conn = {
      url: process.env.INFLUX_URL,
      token: process.env.INFLUX_TOKEN,
      org: process.env.INFLUX_ORG ?? "procscope",
    };
    return { conn, version: "", dispose: async () => {} };
  }
  const binary = resolveInfluxdBinary();
  if (!binary) {
    throw new Error("no influxd: set INFLUX_URL and INFLUX_TOKEN, see docs/development.md");
  }
  const instance: InfluxdInstance = await startInfluxd({ binary });
  return { conn: instance, version: binary.replace(/.*influxd-?/, ""), dispose: () => instance.dispose() };
}

export async function influxStorage(): Promise<Storage> {
  const { conn, version, dispose } = await influxTarget();
  return {
    kind: "influxdb",
    label: `InfluxDB ${version}`.trim(),
    // The server creates the bucket on start (retention RETENTION_DAYS = 30).
    fresh: (name) => ({
      ...influxEnv({ ...conn, bucket: `bench-${name}-${Date.now().toString(36)}` }),
      DATA_DIR: undefined,
    }),
    pid: () => {
      const { host } = new URL(conn.url);
      return host.startsWith("127.0.0.1:") || host.startsWith("localhost:")
        ? findPid(`--http-bind-address 127.0.0.1:${host.split(":")[1]}`)
        : undefined;
    },
    dispose,
  };
}

// ------------------------------------------------------------------------------------ the server

export interface BenchServer {
  url: string;
  /** Pid of the node process running server/main.ts. */
  pid: number;
  /** VmHWM of the server process, MB: the peak since start or since the last resetPeak(). */
  peakRssMb(): number;
  /** Resets VmHWM (writes 5 to /proc/<pid>/clear_refs), so the next peak is this phase's alone. */
  resetPeak(): boolean;
  output(): string;
  /** SIGTERM and wait for the exit (a --cpu-prof profile is written then). */
  stop(): Promise<void>;
}

/** Server settings every benchmark uses: quiet logs, no per-token write limit. */
export const BENCH_ENV = {
  LOG_LEVEL: "warn",
  WRITE_RATE_PER_MINUTE: "0",
  // InfluxDB queries over a million points can take longer than the default 10 s; a benchmark
  // wants the time, not a 503.
  STORAGE_TIMEOUT_MS: "120000",
  TZ: "UTC",
} as const;

export function peakRssMb(pid: number): number {
  const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in seconds. */
export function cpuSeconds(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of proc(5): f[11], f[12]; USER_HZ = 100.
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * Time a thread spent on a CPU and waiting in the run queue for one, in seconds
 * (/proc/<pid>/task/<tid>/schedstat); the rest of the wall time it was blocked (I/O) or idle.
 */
export function schedSeconds(pid: number, tid: number = pid): { cpu: number; runqueue: number } {
  const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
  return { cpu: (cpu ?? 0) / 1e9, runqueue: (wait ?? 0) / 1e9 };
}

/** The pid of the process whose command line contains `needle` (e.g. influxd's bind address). */
export function findPid(needle: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmd.includes(needle)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * The real server on a free port (harness/server.ts, what the tests run); with `profileDir`, under
 * `node --cpu-prof` (not allowed in NODE_OPTIONS; tsx's wrapper would be profiled instead).
 */
export async function launchServer(
  env: Record<string, string | undefined>,
  opts: { profileDir?: string } = {},
): Promise<BenchServer> {
  const server = await startServer({
    env: { ...BENCH_ENV, ...env },
    nodeArgs: opts.profileDir ? ["--cpu-prof", "--cpu-prof-dir", opts.profileDir] : [],
    timeoutMs: 60_000,
  });
  // startServer runs `node --import tsx server/main.ts`: its child is the server itself.
  const pid = server.child().pid as number;
  return {
    url: server.url,
    pid,
    peakRssMb: () => peakRssMb(pid),
    resetPeak: () => resetPeak(pid),
    output: server.output,
    stop: server.stop,
  };
}

// ------------------------------------------------------------------------------------ payloads

const BASE_NAMES = [
  "nginx",
  "postgres",
  "python3",
  "node",
  "java",
  "sshd",
  "bash",
  "cron",
  "redis-server",
  "dockerd",
];
/** 120 names, so several pids share one, as on a real machine. */
export const NAMES = Array.from({ length: 120 }, (_, i) => `${BASE_NAMES[i % 10]}${i < 10 ? "" : `-${i}`}`);

export interface BenchProcess {
  pid: number;
  name: string;
  cpu_percent: number;
  memory_percent: number;
  memory_rss: number;
  started_at: number;
  user: string;
  command: string;
  state: string;
  parent_pid: number;
}

/** A system's process list with every field the agent sends (about 200 bytes of JSON each). */
export function processList(count: number, seed: number, startedAt: number): BenchProcess[] {
  return Array.from({ length: count }, (_, i) => {
    const name = NAMES[i % NAMES.length] as string;
    return {
      pid: 1000 + i * 7 + seed,
      name,
      cpu_percent: ((i * 37 + seed) % 400) / 4,
      memory_percent: (i % 50) / 10,
      memory_rss: 1_000_000 + i * 4096,
      started_at: startedAt + i * 1000,
      user: i % 3 === 0 ? "root" : "app",
      command: `/usr/bin/${name} --config /etc/${name}/${name}.conf --worker ${i}`,
      state: i % 5 === 0 ? "running" : "sleeping",
      parent_pid: 1,
    };
  });
}

// ------------------------------------------------------------------------------------ numbers

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "—";

/** A Markdown table (aligned), as the README quotes it. */
export function markdownTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

// ------------------------------------------------------------------------------------ InfluxDB

/** Batches written straight into a bucket in the server's layout (its own encoder), 10 000 lines a request. */
export async function writeBatches(
  env: Record<string, string | undefined>,
  batches: SampleBatch[],
): Promise<void> {
  const url = new URL(
    `/api/v2/write?${new URLSearchParams({ org: env.INFLUX_ORG ?? "procscope", bucket: env.INFLUX_BUCKET ?? "procscope", precision: WRITE_PRECISION })}`,
    env.INFLUX_URL,
  );
  for (let i = 0; i < batches.length; ) {
    let body = "";
    for (let lines = 0; i < batches.length && lines < 10_000; i++) {
      const b = batches[i] as SampleBatch;
      body += encodeBatch(b);
      lines += b.processes.length + 1;
    }
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Token ${env.INFLUX_TOKEN}` },
      body,
    });
    if (res.status !== 204) throw new Error(`writing to InfluxDB: ${res.status} ${await res.text()}`);
  }
}

/** The bucket's series count over all time (Flux influxdb.cardinality). */
export async function seriesCount(env: Record<string, string | undefined>): Promise<number> {
  const rows = await new InfluxDB({
    url: env.INFLUX_URL as string,
    token: env.INFLUX_TOKEN,
    timeout: 600_000,
  })
    .getQueryApi(env.INFLUX_ORG ?? "procscope")
    .collectRows<{ _value: number }>(flux`import "influxdata/influxdb"
influxdb.cardinality(bucket: ${env.INFLUX_BUCKET ?? "procscope"}, start: time(v: 0))`);
  return Number(rows[0]?._value ?? 0);
}

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
