/**
 * The agent as a real child process, under Node (tsx) or Deno, and what it said: its JSON log
 * lines (stderr) and its stdout. Plus the store as the API shows it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

export type Runtime = "node" | "deno";
export const RUNTIMES: Runtime[] = ["node", "deno"];

/**
 * How each runtime starts the agent. Node runs it through tsx's loader in one process
 * (`node --import tsx`): the `tsx` command would put a wrapper process in between, and a kill -9
 * must reach the agent itself. Deno reads /proc only with --allow-all (it treats every path under
 * /proc, /dev and /sys as special), so that is the narrowest set that works; see docs/agent.md.
 */
export function agentCommand(runtime: Runtime): { command: string; args: string[] } {
  const main = join(repoRoot, "agent", "main.ts");
  if (runtime === "node") return { command: process.execPath, args: ["--import", "tsx", main] };
  return {
    command: join(repoRoot, "node_modules", ".bin", "deno"),
    args: ["run", "--allow-all", "--no-prompt", main],
  };
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  logs(): LogLine[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the first log line (in order) matching, waiting for it if need be. */
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves once `count` log lines match. */
  waitForLogs(
    match: (line: LogLine) => boolean,
    count: number,
    what: string,
    timeoutMs?: number,
  ): Promise<LogLine[]>;
  exited: Promise<Exit>;
  /** SIGTERM, then the exit. */
  stop(): Promise<Exit>;
  /** SIGKILL, then the exit. */
  kill(): Promise<Exit>;
}

/** Distinct names per test, so tests sharing a server and bucket do not see each other's samples. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Timestamps of the batches waiting in a spool directory, in replay order (read from the files). */
export function spooledTimestamps(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json.gz"))
    .sort()
    .map(
      (f) =>
        (JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString()) as { timestamp: number }).timestamp,
    );
}

const tempDirs: string[] = [];

/** A new empty directory, removed by `removeTempDirs` (call it in the test file's afterAll). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `procscope-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function startAgent(runtime: Runtime, args: string[], env: Record<string, string> = {}): AgentProcess {
  const { command, args: base } = agentCommand(runtime);
  const child = spawn(command, [...base, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const lines: LogLine[] = [];
  let partial = "";
  const listeners = new Set<() => void>();
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    const text = c.toString();
    err += text;
    partial += text;
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    for (const line of complete) {
      if (!line.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
    for (const listener of listeners) listener();
  });
  const exited = new Promise<Exit>((resolveExit) => {
    child.once("exit", (code, signal) => resolveExit({ code, signal }));
  });
  const waitForLogs = (match: (line: LogLine) => boolean, count: number, what: string, timeoutMs = 30_000) =>
    new Promise<LogLine[]>((resolveWait, reject) => {
      const check = () => {
        const found = lines.filter(match);
        if (found.length >= count) {
          done();
          resolveWait(found.slice(0, count));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`agent (${runtime}) did not log ${what} within ${timeoutMs} ms; stderr:\n${err}`));
      }, timeoutMs);
      const onExit = () => {
        check();
        if (!listeners.has(check)) return;
        done();
        reject(new Error(`agent (${runtime}) exited before logging ${what}; stderr:\n${err}`));
      };
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
        child.off("exit", onExit);
      };
      listeners.add(check);
      child.once("exit", onExit);
      check();
    });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    child,
    logs: () => [...lines],
    stdout: () => out,
    stderr: () => err,
    waitForLogs,
    waitForLog: async (match, what, timeoutMs) =>
      (await waitForLogs(match, 1, what, timeoutMs))[0] as LogLine,
    exited,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
  };
}

/** Runs the agent to completion (`--once`, `--dry-run --once`, `--help`...). */
export async function runAgent(runtime: Runtime, args: string[], env: Record<string, string> = {}) {
  const agent = startAgent(runtime, args, env);
  const exit = await agent.exited;
  return { ...exit, stdout: agent.stdout(), stderr: agent.stderr(), logs: agent.logs() };
}

export const is =
  (msg: string) =>
  (line: LogLine): boolean =>
    line.msg === msg;

/** Timestamps (epoch ms) of the batches the agent logged with `msg` ("sampled", "sent"). */
export const timestampsOf = (lines: LogLine[], msg: string): number[] =>
  lines.filter(is(msg)).map((l) => l.timestamp as number);

/** Every stored row of one process (pid) of one system, in the last and next hour. */
export async function storedRows(server: string, systemName: string, pid: number, token?: string) {
  const from = new Date(Date.now() - 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const query = new URLSearchParams({
    system_name: systemName,
    pid: String(pid),
    from,
    to,
    page_size: "10000",
  });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${server}/api/filter-processes/?${query}`, { headers });
  if (!res.ok) throw new Error(`filter: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as {
    count: number;
    data: { timestamp: string; pid: number; name: string }[];
  };
  return body.data.map((row) => ({ ...row, time: Date.parse(row.timestamp) }));
}

/** A sample as the agent took it (one line of its PROCSCOPE_SAMPLE_LOG). */
export interface TakenSample {
  system_name: string;
  timestamp: number;
  processes: {
    pid: number;
    name: string;
    cpu_percent: number;
    memory_percent: number;
    memory_rss?: number;
    started_at?: number;
    user?: string;
    command?: string;
    state?: string;
    parent_pid?: number;
    num_threads?: number;
    cpu_user_seconds?: number;
    cpu_system_seconds?: number;
    minor_faults?: number;
    major_faults?: number;
    memory_vms?: number;
  }[];
}

/** Every sample the agent logged to PROCSCOPE_SAMPLE_LOG (a line torn by a kill -9 is left out). */
export function readSampleLog(path: string): TakenSample[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: TakenSample[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as TakenSample);
    } catch {
      // torn last line
    }
  }
  return out;
}

export type ApiRow = Record<string, unknown> & { timestamp: string; pid: number; name: string };

/** Every row the API holds for one system in the last and next hour, all pages. */
export async function allStoredRows(server: string, systemName: string, token?: string): Promise<ApiRow[]> {
  const query = new URLSearchParams({
    system_name: systemName,
    from: new Date(Date.now() - 3_600_000).toISOString(),
    to: new Date(Date.now() + 3_600_000).toISOString(),
    page_size: "10000",
  });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const rows: ApiRow[] = [];
  for (let page = 1; ; page++) {
    query.set("page", String(page));
    const res = await fetch(`${server}/api/filter-processes/?${query}`, { headers });
    if (!res.ok) throw new Error(`filter: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { data: ApiRow[]; next: string | null };
    rows.push(...body.data);
    if (!body.next) return rows;
  }
}

/**
 * What the API must return for a sample the agent took, written independently of the server:
 * instants as ISO-8601 UTC, carriage returns and empty strings not stored (documented), every
 * other field exactly as sent.
 */
function expectedRows(sample: TakenSample): ApiRow[] {
  const text = (v: string | undefined) => (v ? v.replaceAll("\r", "") || undefined : undefined);
  return sample.processes.map((p) => {
    const row: ApiRow = {
      system_name: sample.system_name,
      pid: p.pid,
      name: p.name,
      cpu_percent: p.cpu_percent,
      memory_percent: p.memory_percent,
      timestamp: new Date(sample.timestamp).toISOString(),
    };
    if (p.memory_rss !== undefined) row.memory_rss = p.memory_rss;
    if (p.started_at !== undefined) row.started_at = new Date(p.started_at).toISOString();
    for (const key of ["user", "command", "state"] as const) {
      const value = text(p[key]);
      if (value !== undefined) row[key] = value;
    }
    if (p.parent_pid !== undefined) row.parent_pid = p.parent_pid;
    for (const key of [
      "num_threads",
      "cpu_user_seconds",
      "cpu_system_seconds",
      "minor_faults",
      "major_faults",
      "memory_vms",
    ] as const) {
      const value = p[key];
      if (value !== undefined) row[key] = value;
    }
    return row;
  });
}

const byProcess = (a: ApiRow, b: ApiRow) => a.pid - b.pid || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * For each of `timestamps`, the stored rows at that instant are exactly the processes of the
 * sample taken then: every process, every field. Returns the number of rows compared.
 */
export function compareStoredWithTaken(rows: ApiRow[], taken: TakenSample[], timestamps: number[]): number {
  const byTime = new Map<string, ApiRow[]>();
  for (const row of rows) byTime.set(row.timestamp, [...(byTime.get(row.timestamp) ?? []), row]);
  let compared = 0;
  for (const ts of timestamps) {
    const sample = taken.find((s) => s.timestamp === ts);
    if (!sample) throw new Error(`no sample taken at ${ts} in the agent's sample log`);
    const iso = new Date(ts).toISOString();
    const want = expectedRows(sample).sort(byProcess);
    const got = [...(byTime.get(iso) ?? [])].sort(byProcess);
    if (got.length !== want.length) {
      const have = new Set(got.map((r) => `${r.pid}/${r.name}`));
      const missing = want.filter((r) => !have.has(`${r.pid}/${r.name}`)).map((r) => `${r.pid} ${r.name}`);
      throw new Error(
        `sample ${iso}: ${want.length} processes taken, ${got.length} stored; missing: ${missing.slice(0, 5).join(", ")}`,
      );
    }
    for (const [i, w] of want.entries()) {
      const g = got[i];
      if (JSON.stringify(sortKeys(g)) !== JSON.stringify(sortKeys(w))) {
        throw new Error(
          `sample ${iso}, pid ${w.pid}: stored ${JSON.stringify(g)}, taken ${JSON.stringify(w)}`,
        );
      }
    }
    compared += want.length;
  }
  return compared;
}

const sortKeys = (row: ApiRow | undefined) =>
  row && Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
