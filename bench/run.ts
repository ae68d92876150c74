/**
 * `npm run bench [-- options]`: the product measured end to end on this machine, server and
 * database side by side, for each store (InfluxDB through an influxd the harness starts, and the
 * embedded SQLite file). Prints Markdown tables and writes bench/results/run-<time>.json.
 *
 * 1. Ingest: 4 and 16 simulated agents posting 300-process batches over REST and over tRPC
 *    (bench/http-ingest.ts): rows/s, request p50/p99, the server's peak RSS (VmHWM of the server
 *    process, reset before each cell), and how many cores the server and InfluxDB kept busy. On
 *    InfluxDB each cell has a "raw" twin: the same batches as line protocol posted straight to
 *    influxd (the ceiling), side by side; our ingest is reported as a share of it. Three shapes: a
 *    stable fleet in lockstep, 10 % churn (a new pid in every sample) in lockstep, and staggered.
 * 2. Queries (bench/queries.ts), per shape (stable/churn × lockstep/staggered): ≥ 1 million
 *    samples over 7 days loaded through REST by 20 agents at once (the sustained-ingest figure),
 *    the bucket's series count, then filter (one-hour window × 7 days: first page p50/p99, the
 *    same narrowed by system, name and pid, paging through a whole window) and duration (a
 *    process with 504 runs): p50/p99.
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
 *   --agents LIST     ingest agent counts (default 4,16)
 *   --shapes LIST     query data shapes (default stable-lockstep,churn-lockstep,churn-staggered,stable-staggered)
 *   --churn F         share of short-lived processes in churn shapes (default 0.1)
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
    agents: { type: "string" },
    shapes: { type: "string" },
    churn: { type: "string" },
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
const AGENTS = (args.agents ?? "4,16").split(",").map(Number);
const CHURN = Number(args.churn ?? 0.1);
interface Shape {
  label: string;
  churn: number;
  stagger: boolean;
}
const shape = (name: string): Shape => {
  const m = /^(stable|churn)-(lockstep|staggered)$/.exec(name);
  if (!m) throw new Error(`unknown shape ${name}: stable|churn-lockstep|staggered`);
  const churn = m[1] === "churn" ? CHURN : 0;
  return {
    label: `${churn ? `churn ${fmt(churn * 100)} %` : "stable"}, ${m[2]}`,
    churn,
    stagger: m[2] === "staggered",
  };
};
const INGEST_SHAPES = ["stable-lockstep", "churn-lockstep", "churn-staggered"].map(shape);
const QUERY_SHAPES = (args.shapes ?? "stable-lockstep,churn-lockstep,churn-staggered,stable-staggered")
  .split(",")
  .map(shape);
const BATCH = 300;
const DAY = 86_400_000;

interface StoreResults {
  store: string;
  kind: string;
  ingest: IngestResult[];
  queries: QueryResult[];
  profile?: ProfileSummary;
}

async function benchStore(storage: Storage): Promise<StoreResults> {
  const out: StoreResults = { store: storage.label, kind: storage.kind, ingest: [], queries: [] };
  if (!SKIP.has("ingest")) {
    const env = storage.fresh("ingest");
    const server = await launchServer(env);
    // raw line protocol into the same bucket of the same influxd, beside each of our cells
    const doors: Transport[] = storage.kind === "influxdb" ? ["raw", "rest", "trpc"] : ["rest", "trpc"];
    const raw = {
      url: env.INFLUX_URL ?? "",
      token: env.INFLUX_TOKEN ?? "",
      org: env.INFLUX_ORG ?? "procscope",
      bucket: env.INFLUX_BUCKET ?? "",
    };
    try {
      let cell = 0;
      for (const sh of INGEST_SHAPES) {
        for (const agents of AGENTS) {
          for (const transport of doors) {
            log(`${storage.label}: ingest, ${sh.label}, ${transport}, ${agents} agent(s), ${SECONDS} s`);
            // Each cell writes its own stretch of time (a few hours apart, within retention), so
            // no cell rewrites another's points.
            const base = Date.now() - 25 * DAY + cell++ * 4 * 3_600_000;
            const r = await ingest({
              server,
              transport,
              agents,
              batch: BATCH,
              seconds: SECONDS,
              base,
              churn: sh.churn,
              stagger: sh.stagger,
              raw,
              prefix: `${transport}-`,
              watch: { influxd: storage.pid() },
            });
            out.ingest.push(r);
          }
        }
      }
    } finally {
      await server.stop();
    }
  }
  if (!SKIP.has("queries")) {
    for (const sh of QUERY_SHAPES) {
      const env = storage.fresh("queries");
      const server = await launchServer(env);
      try {
        log(
          `${storage.label}: ${sh.label}: loading ${fmt(ROWS)} samples through REST (20 agents), then queries`,
        );
        out.queries.push(
          await queries({
            server,
            env,
            rows: ROWS,
            iterations: ITERATIONS,
            pageSize: 1000,
            walkPageSize: 10_000,
            budgetSeconds: BUDGET,
            churn: sh.churn,
            stagger: sh.stagger,
            watch: { influxd: storage.pid() },
          }),
        );
      } finally {
        await server.stop();
      }
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

const shapeLabel = (churn: number, stagger: boolean) =>
  `${churn ? `churn ${fmt(churn * 100)} %` : "stable"}, ${stagger ? "staggered" : "lockstep"}`;
const doorName = (t: Transport) => (t === "rest" ? "REST" : t === "trpc" ? "tRPC" : "raw line protocol");

function ingestTable(results: StoreResults[]): string {
  const rows = results.flatMap((s) =>
    s.ingest.map((r) => {
      const raw = s.ingest.find(
        (x) =>
          x.transport === "raw" && x.agents === r.agents && x.churn === r.churn && x.stagger === r.stagger,
      );
      return [
        s.store,
        shapeLabel(r.churn, r.stagger),
        doorName(r.transport),
        String(r.agents),
        fmt(r.rows_per_s),
        raw && r.transport !== "raw" ? fmt(r.rows_per_s / raw.rows_per_s, 2) : "—",
        ms(r.p50_ms),
        ms(r.p99_ms),
        r.transport === "raw" ? "—" : mb(r.peak_rss_mb),
        r.transport === "raw" ? "—" : fmt(r.cores.server ?? Number.NaN, 2),
        r.cores.influxd === undefined ? "—" : fmt(r.cores.influxd, 2),
        String(r.errors),
      ];
    }),
  );
  return markdownTable(
    [
      "store",
      "shape",
      "door",
      "agents",
      "rows/s",
      "of raw",
      "req p50",
      "req p99",
      "server peak RSS",
      "server cores",
      "influxd cores",
      "non-201",
    ],
    rows,
  );
}

/** Churn's cost to our ingest: churning lockstep vs stable lockstep, per door and agent count. */
function churnTable(results: StoreResults[]): string {
  const rows = results.flatMap((s) =>
    s.ingest
      .filter((r) => r.churn === 0 && !r.stagger)
      .flatMap((stable) => {
        const churned = s.ingest.find(
          (x) => x.transport === stable.transport && x.agents === stable.agents && x.churn > 0 && !x.stagger,
        );
        if (!churned) return [];
        return [
          [
            s.store,
            doorName(stable.transport),
            String(stable.agents),
            fmt(stable.rows_per_s),
            fmt(churned.rows_per_s),
            `${fmt((1 - churned.rows_per_s / stable.rows_per_s) * 100, 1)} %`,
          ],
        ];
      }),
  );
  return markdownTable(["store", "door", "agents", "stable rows/s", "churn rows/s", "churn cost"], rows);
}

function queryTable(results: StoreResults[]): string {
  const rows = results.flatMap((s) =>
    s.queries.map((q) => [
      s.store,
      shapeLabel(q.churn, q.stagger),
      fmt(q.rows_stored),
      q.series === null ? "—" : fmt(q.series),
      fmt(q.load.rows_per_s),
      mb(q.load.peak_rss_mb),
      fmt(q.filter_matches),
      ms(q.filter_first_page_p50_ms),
      ms(q.filter_first_page_p99_ms),
      `${ms(q.narrowed_p50_ms.system)} / ${ms(q.narrowed_p50_ms.name)} / ${ms(q.narrowed_p50_ms.pid)}`,
      `${q.walk_complete ? "" : "not done: "}${q.walk_pages}/${q.walk_pages_total} pages, ${fmt(q.walk_seconds, 2)} s`,
      String(q.duration_runs),
      ms(q.duration_p50_ms),
      ms(q.duration_p99_ms),
    ]),
  );
  return markdownTable(
    [
      "store",
      "shape",
      "samples",
      "series",
      "load rows/s (REST, 20 agents)",
      "load peak RSS",
      "window matches",
      "filter 1st page p50",
      "p99",
      "narrowed p50 (system / name / pid)",
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
    const ours = s.ingest.filter((r) => r.transport !== "raw");
    const best = Math.max(...ours.map((r) => r.rows_per_s), ...s.queries.map((q) => q.load.rows_per_s));
    const want = s.kind === "influxdb" ? 50_000 : 150_000;
    if (ours.length > 0 || s.queries.length > 0) {
      out.push({
        what: `${s.store}: ingest`,
        goal: `≥ ${fmt(want)} rows/s`,
        measured: `${fmt(best)} rows/s (best cell)`,
        met: best >= want,
      });
      const peak = Math.max(...ours.map((r) => r.peak_rss_mb), ...s.queries.map((q) => q.load.peak_rss_mb));
      out.push({
        what: `${s.store}: server peak RSS under sustained ingest`,
        goal: "≤ 250 MB",
        measured: mb(peak),
        met: peak <= 250,
      });
    }
    const ratios = ours.flatMap((r) => {
      const raw = s.ingest.find(
        (x) =>
          x.transport === "raw" && x.agents === r.agents && x.churn === r.churn && x.stagger === r.stagger,
      );
      return raw ? [r.rows_per_s / raw.rows_per_s] : [];
    });
    if (ratios.length > 0) {
      const worst = Math.min(...ratios);
      out.push({
        what: `${s.store}: REST and tRPC ingest as a share of raw line protocol`,
        goal: "≥ 0.80 in every cell",
        measured: `${fmt(worst, 2)}–${fmt(Math.max(...ratios), 2)}`,
        met: worst >= 0.8,
      });
    }
    for (const q of s.queries) {
      const shape = shapeLabel(q.churn, q.stagger);
      const narrowed = Math.max(q.narrowed_p50_ms.system, q.narrowed_p50_ms.name, q.narrowed_p50_ms.pid);
      out.push(
        {
          what: `${s.store}, ${shape}: filter first page p50`,
          goal: "≤ 100 ms",
          measured: ms(q.filter_first_page_p50_ms),
          met: q.filter_first_page_p50_ms <= 100,
        },
        {
          what: `${s.store}, ${shape}: narrowed first page p50 (slowest of system, name, pid)`,
          goal: "≤ 100 ms",
          measured: ms(narrowed),
          met: narrowed <= 100,
        },
        {
          what: `${s.store}, ${shape}: all ${fmt(q.walk_rows)} matches in 10 000-row pages`,
          goal: "≤ 2 s",
          measured: `${fmt(q.walk_seconds, 2)} s`,
          met: q.walk_complete && q.walk_seconds <= 2,
        },
        {
          what: `${s.store}, ${shape}: duration p50 (${q.duration_runs} runs)`,
          goal: "≤ 100 ms",
          measured: ms(q.duration_p50_ms),
          met: q.duration_p50_ms <= 100,
        },
      );
      if (q.series !== null) {
        out.push({
          what: `${s.store}, ${shape}: series in the bucket`,
          goal: "≤ 2 × systems × processes = 12 000",
          measured: fmt(q.series),
          met: q.series <= 12_000,
        });
      }
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
    "\nof raw: rows/s over the raw line-protocol cell of the same shape and agent count, measured just before it. server cores / influxd cores: CPU time used over wall time.",
    "\n### What churn costs our ingest (lockstep)\n",
    churnTable(results),
  );
}
const firstQuery = results.flatMap((s) => s.queries)[0];
if (firstQuery) {
  const q = firstQuery;
  sections.push(
    `\n## Queries: ${fmt(q.rows_stored)} samples over 7 days (20 systems × 300 processes, plus one process with ${q.duration_runs} runs in ${fmt(q.duration_samples)} samples), per shape\n`,
    queryTable(results),
    `\nfilter: one-hour window on each of the 7 days, first page of ${q.filter_page_size}, the hour varying; up to ${ITERATIONS} iterations or ${BUDGET} s per measurement (counts in the JSON). series: Flux influxdb.cardinality of the bucket after loading. churn: ${fmt(CHURN * 100)} % of each system's processes have a new pid in every sample; staggered: systems sample 173 ms apart, lockstep: all at the same instant.`,
  );
  for (const s of results) {
    for (const q of s.queries) for (const f of q.failures) sections.push(`${s.store}: FAILED ${f}`);
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
