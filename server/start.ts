/**
 * `npm start`: the whole product on this machine, with nothing else to install. The API server on
 * the embedded SQLite store (InfluxDB when INFLUX_URL is set), plus a local agent — the real one,
 * agent/main.ts, as a child process — sampling this machine every 5 s (LOCAL_AGENT=0 turns it off).
 * Once the first sample is stored it prints where to look and curl commands to paste.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { hostname } from "node:os";
import { join, relative, resolve } from "node:path";
import { DateTime } from "luxon";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { nextSignal, type RunningServer, serve } from "./serve.ts";
import { loadStartOptions, START_DEFAULTS, type StartOptions } from "./start-options.ts";
import type { ProcessStore } from "./store/types.ts";

const repoRoot = resolve(import.meta.dirname, "..");
const INTERVAL_SECONDS = 5;
const FIRST_SAMPLE_TIMEOUT_MS = 60_000;

let config: Config;
let options: StartOptions;
try {
  config = loadConfig(process.env, START_DEFAULTS);
  options = loadStartOptions(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`procscope: ${err.message}\n`);
  process.exit(2);
}

let running: RunningServer;
try {
  running = await serve(config);
} catch (err) {
  const code = (err as { code?: string }).code;
  if (code === "EADDRINUSE" || code === "EACCES") {
    process.stderr.write(
      `procscope: cannot listen on ${config.HOST}:${config.PORT} (${code}). Is procscope already running? ` +
        "Choose another port with PORT=8001 npm start\n",
    );
    process.exit(1);
  }
  throw err;
}
const { port, log, store } = running;
const stopped = nextSignal();
let agent: ChildProcess | undefined;
let stopping = false;
/** Stops the local agent (if it still runs): on a signal, and whenever we exit. */
const stopAgent = () => {
  stopping = true;
  if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill("SIGTERM");
};
process.once("exit", stopAgent);

const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;
const base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
/** A URL to paste between single quotes in a shell: `'` is percent-encoded too. */
const q = (value: string) => encodeURIComponent(value).replaceAll("'", "%27");
const auth = options.PROCSCOPE_TOKEN ? ` -H "Authorization: Bearer $PROCSCOPE_TOKEN"` : "";
const curl = (path: string) => `curl${auth} '${base}${path}'`;
const where =
  store.kind === "sqlite"
    ? `the embedded SQLite store, ${shortPath(store.location)}`
    : `InfluxDB at ${store.location}`;

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith("..") ? rel : path;
}

/** The console's URL comes first: the page is where a new user looks. */
function banner(lines: string[]): void {
  const head = config.CONSOLE ? [`procscope console: ${base}/`] : [];
  process.stdout.write(`\n${[...head, ...lines].join("\n")}\n\n`);
}

if (!options.LOCAL_AGENT) {
  banner([
    `procscope is running on ${where} (keeping ${config.RETENTION_DAYS} days: RETENTION_DAYS).`,
    `  API reference: ${base}/docs`,
    "  No local agent (LOCAL_AGENT=0). Submit a sample:",
    `    curl${auth} -X POST '${base}/api/process-data/' -H 'content-type: application/json' \\`,
    `      -d '{"system_name": "demo", "processes": [{"pid": 1, "name": "demo", "cpu_percent": 1, "memory_percent": 1}]}'`,
    `    ${curl("/api/process-duration/?system_name=demo&process_name=demo")}`,
    "Stop with Ctrl-C.",
  ]);
} else {
  const systemName = hostname();
  agent = startAgent(systemName);
  const first = await firstSample(store, systemName, agent);
  if (first) {
    const now = DateTime.now().setZone(config.TZ);
    // A window from an hour ago (or midnight) to the end of today: contains now, never crosses midnight.
    const from = DateTime.max(now.minus({ hours: 1 }), now.startOf("day")).toFormat("HH:mm");
    banner([
      `procscope is running on ${where} (keeping ${config.RETENTION_DAYS} days: RETENTION_DAYS).`,
      `  API reference: ${base}/docs`,
      `  Local agent: sampling "${systemName}" every ${INTERVAL_SECONDS} s (LOCAL_AGENT=0 turns it off).`,
      `  Its first sample is stored: ${first.count} processes. Try:`,
      `    ${curl(`/api/filter-processes/?start_time=${from}&process_name=${q(first.name)}&page_size=5`)}`,
      `    ${curl(`/api/process-duration/?system_name=${q(systemName)}&process_name=${q(first.name)}`)}`,
      `    ${curl("/api/systems/")}`,
      "Stop with Ctrl-C.",
    ]);
  }
}

/** The real agent, as its own process; it goes when we go. */
function startAgent(systemName: string): ChildProcess {
  const args = [
    "agent/main.ts",
    "--server",
    base,
    "--interval",
    String(INTERVAL_SECONDS),
    "--system-name",
    systemName,
    "--spool-dir",
    join(resolve(config.DATA_DIR), "agent-spool"),
    "--log-level",
    options.PROCSCOPE_LOG_LEVEL,
  ];
  const child = spawn(join(repoRoot, "node_modules", ".bin", "tsx"), args, {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.once("exit", (code, signal) => {
    if (!stopping) log.warn({ code, signal }, "the local agent stopped; the server keeps running");
  });
  log.info({ pid: child.pid, system_name: systemName, interval_s: INTERVAL_SECONDS }, "local agent started");
  return child;
}

/** Waits for the agent's first stored sample; its size and a process name worth asking about. */
async function firstSample(
  s: ProcessStore,
  systemName: string,
  agent: ChildProcess,
): Promise<{ count: number; name: string } | undefined> {
  const deadline = Date.now() + FIRST_SAMPLE_TIMEOUT_MS;
  const since = Date.now() - 60_000;
  while (Date.now() < deadline && agent.exitCode === null && agent.signalCode === null) {
    try {
      const { rows } = await s.filter({
        ranges: [{ start: since, stop: Date.now() + 60_000 }],
        system_name: systemName,
        offset: 0,
        limit: 100_000,
      });
      const latest = rows.at(-1)?.timestamp;
      if (latest !== undefined) {
        const sample = rows.filter((r) => r.timestamp === latest);
        // the longest-lived process is the most telling duration: the lowest pid
        const oldest = sample.reduce((a, b) => (b.pid < a.pid ? b : a));
        return { count: sample.length, name: oldest.name };
      }
    } catch {
      // storage not ready yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  log.warn("the local agent has not stored a sample yet; see its messages above");
  return undefined;
}

const signal = await stopped;
log.info({ signal }, "shutting down");
stopAgent();
await running.close();
process.exit(0);
