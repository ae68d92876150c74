/**
 * `npm run bench [-- options]`: the product measured end to end on this machine, server and
 * database side by side, for each store (InfluxDB through an influxd the harness starts, and the
 * embedded SQLite file). Prints Markdown tables and writes bench/results/run-<time>.json.
 *
 * 1. Ingest: 1, 4 and 16 simulated agents posting 300-process batches over REST and over tRPC
 *    (bench/http-ingest.ts): rows/s, request p50/p99, the server's peak RSS (VmHWM of the server
 *    process, reset before each cell), and how many cores the server and InfluxDB kept busy.
 * 2. Queries (bench/queries.ts): ≥ 1 million samples over 7 days loaded through REST by 20 agents
 *    at once (the sustained-ingest figure), then filter (one-hour window × 7 days: first page
 *    p50/p99, paging through a whole window) and duration (a process with 504 runs): p50/p99.
 * 3. Agent: CPU time and peak RSS per sample (bench/agent.ts, run as it is).
 * 4. With --profile: one more ingest cell per store (REST, 16 agents) with the server under
 *    `node --cpu-prof`; the hottest code is summarised (bench/profile.ts).
 *
 * Options:
 *   --rows N          samples in the query data set (default 1008000)
 *   --seconds S       timed length of each ingest cell (default 10)
 *   --iterations N    repetitions of each query (default 20)
 *   --budget S        seconds any one query measurement may take in all (default 150)
 *   --only STORE      sqlite or influxdb
 *   --skip LIST       comma-separated phases to leave out: ingest, queries, agent, history
 *   --profile         also profile the server under ingest
 *   --quick           --rows 200000 --seconds 4 --iterations 5 --budget 60 (a few minutes)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  fmt,
  influxStorage,
  launchServer,
  log,
  markdownTable,
  root,
  type Storage,
  sqliteStorage,
} from "./harness.ts";
import { type IngestResult, ingest, type Transport } from "./http-ingest.ts";
import { formatSummary, type ProfileSummary, summarize } from "./profile.ts";
import { type QueryResult, queries } from "./queries.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string" },
    seconds: { type: "string" },
    iterations: { type: "string" },
    budget: { type: "string" },
    only: { type: "string" },
    skip: { type: "string", default: "" },
    profile: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
  },
});
const quick = args.quick === true;
const ROWS = Number(args.rows ?? (quick ? 200_000 : 1_008_000));
const SECONDS = Number(args.seconds ?? (quick ? 4 : 10));
const ITERATIONS = Number(args.iterations ?? (quick ? 5 : 20));
const BUDGET = Number(args.budget ?? (quick ? 60 : 150));
const SKIP = new Set((args.skip ?? "").split(",").filter(Boolean));
const AGENTS = [1, 4, 16];
const TRANSPORTS: Transport[] = ["rest", "trpc"];
const BATCH = 300;
const DAY = 86_400_000;

interface StoreResults {
  store: string;
  kind: string;
  ingest: IngestResult[];
  queries?: QueryResult;
  profile?: ProfileSummary;
}

async function benchStore(storage: Storage): Promise<StoreResults> {
  const out: StoreResults = { store: storage.label, kind: storage.kind, ingest: [] };
  if (!SKIP.has("ingest")) {
    const server = await launchServer(storage.fresh("ingest"));
    try {
      let cell = 0;
      for (const transport of TRANSPORTS) {
        for (const agents of AGENTS) {
          log(`${storage.label}: ingest, ${transport}, ${agents} agent(s), ${SECONDS} s`);
          // Each cell writes its own stretch of time (a day apart, within retention), so no cell
          // rewrites another's points.
          const base = Date.now() - 25 * DAY + cell++ * DAY;
          const r = await ingest({
            server,
            transport,
            agents,
            batch: BATCH,
            seconds: SECONDS,
            base,
            watch: { influxd: storage.pid() },
          });
          out.ingest.push(r);
        }
      }
    } finally {
      await server.stop();
    }
  }
  if (!SKIP.has("queries")) {
    const env = storage.fresh("queries");
    const server = await launchServer(env);
    try {
      log(`${storage.label}: loading ${fmt(ROWS)} samples through REST (20 agents), then queries`);
      out.queries = await queries({
        server,
        env,
        rows: ROWS,
        iterations: ITERATIONS,
        pageSize: 1000,
        walkPageSize: 10_000,
        budgetSeconds: BUDGET,
        watch: { influxd: storage.pid() },
      });
    } finally {
      await server.stop();
    }
  }
  if (args.profile) {
    const dir = join(root, "bench", "results", `profile-${storage.kind}-${stamp}`);
    mkdirSync(dir, { recursive: true });
    const server = await launchServer(storage.fresh("profile"), { profileDir: dir });
    log(`${storage.label}: profiling the server under ingest (rest, 16 agents, ${SECONDS} s)`);
    try {
      await ingest({
        server,
        transport: "rest",
        agents: 16,
        batch: BATCH,
        seconds: SECONDS,
        base: Date.now() - 5 * DAY,
      });
    } finally {
      await server.stop();
    }
    // One file per thread: the main thread's is the busiest (the other is tsx's loader thread).
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(dir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    const main = files.find((f) => /\.0\.\d+\.cpuprofile$/.test(f)) ?? files[0];
    if (main) out.profile = summarize(main);
  }
  return out;
}

function agentBench(): string {
  log("agent: bench/agent.ts (CPU and peak RSS per sample)");
  const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "agent.ts")], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 15 * 60_000,
  });
  if (run.status !== 0) return `bench/agent.ts failed (exit ${run.status ?? run.signal})`;
  return run.stdout.trim();
}

/** Process history's queries (bench/history.ts), in a process of its own. */
function historyBench(): string {
  log("history: bench/history.ts (processes-at, process-runs, duration)");
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", join(root, "bench", "history.ts"), ...(args.only ? ["--only", args.only] : [])],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 30 * 60_000 },
  );
  if (run.status !== 0) return `bench/history.ts failed (exit ${run.status ?? run.signal})`;
  return run.stdout.trim();
}

// ------------------------------------------------------------------------------------ report

const ms = (n: number) => `${fmt(n, n < 10 ? 1 : 0)} ms`;
const mb = (n: number) => `${fmt(n)} MB`;

function ingestTable(results: StoreResults[]): string {
  const rows = results.flatMap((s) =>
    s.ingest.map((r) => [
      s.store,
      r.transport === "rest" ? "REST" : "tRPC",
      String(r.agents),
      fmt(r.rows_per_s),
      ms(r.p50_ms),
      ms(r.p99_ms),
      mb(r.peak_rss_mb),
      fmt(r.cores.server ?? Number.NaN, 2),
      r.cores.influxd === undefined ? "—" : fmt(r.cores.influxd, 2),
      `${fmt(r.server_thread.waiting_for_cpu * 100)} %`,
      String(r.errors),
    ]),
  );
  return markdownTable(
    [
      "store",
      "door",
      "agents",
      "rows/s",
      "req p50",
      "req p99",
      "server peak RSS",
      "server cores",
      "influxd cores",
      "server waits for CPU",
      "non-201",
    ],
    rows,
  );
}

function queryTable(results: StoreResults[]): string {
  const rows = results
    .filter((s) => s.queries)
    .map((s) => {
      const q = s.queries as QueryResult;
      return [
        s.store,
        fmt(q.rows_stored),
        fmt(q.load.rows_per_s),
        mb(q.load.peak_rss_mb),
        mb(q.peak_rss_mb_queries),
        fmt(q.filter_matches),
        ms(q.filter_first_page_p50_ms),
        ms(q.filter_first_page_p99_ms),
        `${q.walk_complete ? "" : "not done: "}${q.walk_pages}/${q.walk_pages_total} pages, ${fmt(q.walk_seconds, 1)} s`,
        String(q.duration_runs),
        ms(q.duration_p50_ms),
        ms(q.duration_p99_ms),
      ];
    });
  return markdownTable(
    [
      "store",
      "samples",
      "load rows/s (REST, 20 agents)",
      "load peak RSS",
      "query peak RSS",
      "window matches",
      "filter 1st page p50",
      "p99",
      "page through (10 000/page)",
      "runs",
      "duration p50",
      "p99",
    ],
    rows,
  );
}

interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean;
}

function targets(results: StoreResults[]): Target[] {
  const out: Target[] = [];
  for (const s of results) {
    const best = Math.max(...s.ingest.map((r) => r.rows_per_s), s.queries?.load.rows_per_s ?? 0);
    const want = s.kind === "influxdb" ? 50_000 : 150_000;
    if (s.ingest.length > 0 || s.queries) {
      out.push({
        what: `${s.store}: ingest`,
        goal: `≥ ${fmt(want)} rows/s`,
        measured: `${fmt(best)} rows/s (best cell)`,
        met: best >= want,
      });
      const peak = Math.max(...s.ingest.map((r) => r.peak_rss_mb), s.queries?.load.peak_rss_mb ?? 0);
      out.push({
        what: `${s.store}: server peak RSS under sustained ingest`,
        goal: "≤ 250 MB",
        measured: mb(peak),
        met: peak <= 250,
      });
    }
    if (s.queries) {
      out.push({
        what: `${s.store}: filter first page p50`,
        goal: "≤ 100 ms",
        measured: ms(s.queries.filter_first_page_p50_ms),
        met: s.queries.filter_first_page_p50_ms <= 100,
      });
      out.push({
        what: `${s.store}: duration p50`,
        goal: "≤ 200 ms",
        measured: ms(s.queries.duration_p50_ms),
        met: s.queries.duration_p50_ms <= 200,
      });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ main

const stamp = new Date().toISOString().replaceAll(":", "-");
const git = (args: string[]) => spawnSync("git", args, { cwd: root, encoding: "utf8" }).stdout.trimEnd();
/** What was measured: the commit, and any server file that differed from it (others' work in progress). */
const code = {
  commit: git(["rev-parse", "--short", "HEAD"]),
  uncommitted_server_files: git(["status", "--porcelain", "--", "server"]).split("\n").filter(Boolean),
};
const startedAt = new Date().toISOString();
const load0 = loadavg();
const results: StoreResults[] = [];
for (const [kind, make] of [
  ["sqlite", sqliteStorage],
  ["influxdb", influxStorage],
] as const) {
  if (args.only && !kind.startsWith(args.only)) continue;
  const storage = await make();
  try {
    results.push(await benchStore(storage));
  } finally {
    await storage.dispose();
  }
}
const agent = SKIP.has("agent") ? undefined : agentBench();
const history = SKIP.has("history") ? undefined : historyBench();
const load1 = loadavg();

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${fmt(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}`;
const sections = [
  `procscope benchmark — ${machine}`,
  `code: ${code.commit}${code.uncommitted_server_files.length ? ` + uncommitted ${code.uncommitted_server_files.map((l) => l.slice(3)).join(", ")}` : ""}`,
  `load average at start ${load0.map((l) => l.toFixed(1)).join(" ")}, at end ${load1.map((l) => l.toFixed(1)).join(" ")} (other work on this machine shares its cores)`,
];
if (results.some((s) => s.ingest.length > 0)) {
  sections.push(
    `\n## Ingest: ${BATCH}-process batches, each agent one request at a time, ${SECONDS} s per cell after warm-up\n`,
    ingestTable(results),
    "\nserver cores / influxd cores: CPU time used over wall time. server waits for CPU: share of the time the server's main thread was runnable but had no core (contention).",
  );
}
if (results.some((s) => s.queries)) {
  const q = results.find((s) => s.queries)?.queries as QueryResult;
  sections.push(
    `\n## Queries: ${fmt(q.rows_stored)} samples over 7 days (20 systems × 300 processes, plus one process with ${q.duration_runs} runs in ${fmt(q.duration_samples)} samples)\n`,
    queryTable(results),
    `\nfilter: one-hour window on each of the 7 days, first page of ${q.filter_page_size}, the hour varying; up to ${ITERATIONS} iterations or ${BUDGET} s per measurement (counts in the JSON).`,
  );
  for (const s of results) {
    for (const f of s.queries?.failures ?? []) sections.push(`${s.store}: FAILED ${f}`);
  }
}
const goals = targets(results);
if (goals.length > 0) {
  sections.push(
    "\n## Targets\n",
    markdownTable(
      ["target", "goal", "measured", ""],
      goals.map((t) => [t.what, t.goal, t.measured, t.met ? "met" : "MISSED"]),
    ),
  );
}
for (const s of results) if (s.profile) sections.push(`\n## Profile: ${s.store}\n`, formatSummary(s.profile));
if (agent) sections.push("\n## Agent (bench/agent.ts)\n", agent);
if (history) sections.push(history);
process.stdout.write(`${sections.join("\n")}\n`);

const dir = join(root, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `run-${stamp}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      started: startedAt,
      finished: new Date().toISOString(),
      machine,
      code,
      loadavg: { start: load0, end: load1 },
      options: {
        rows: ROWS,
        seconds: SECONDS,
        iterations: ITERATIONS,
        budget: BUDGET,
        quick,
        only: args.only,
      },
      results,
      targets: goals,
      agent,
    },
    null,
    2,
  )}\n`,
);
log(`wrote ${file}`);
