/**
 * `npx tsx bench/stores.ts [--rows N] [--iterations N]`: both ProcessStores on the same synthetic
 * data. Prints a table and writes bench/results/stores-<time>.json.
 *
 * - Data: 20 systems × 300 processes (agent-like fields: rss, start time, user, command, state,
 *   parent pid; 120 names, so several pids share one) at evenly spaced instants over the last 7
 *   days, `--rows` samples in all (default 1 008 000 = one sample an hour). Plus one "flappy"
 *   process on a system of its own sampled every 5 s, up for 10 minutes then down for 10, all week (60 480 samples,
 *   504 runs), loaded outside the timed ingest.
 * - Ingest: store.write() in batches of 300 (one system's sample), one after the other.
 * - Filter: a one-hour time-of-day window on each of the 7 days (7 ranges from windowsBetween),
 *   first page of 1000, the hour varying per iteration.
 * - Duration: the flappy process over the last 30 days.
 *
 * InfluxDB: INFLUX_URL + INFLUX_TOKEN (+ INFLUX_ORG) from the environment, else an influxd started
 * here with harness/influxd.ts (the binary the tests use). SQLite: a file in a temp directory.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { createLogger } from "../server/log.ts";
import { InfluxStore } from "../server/store/influx/store.ts";
import { SqliteStore } from "../server/store/sqlite/store.ts";
import type { ProcessStore, SampleBatch } from "../server/store/types.ts";
import { parseTimeOfDay, windowsBetween } from "../server/timewindow.ts";
import { influxTarget, writeBatches } from "./harness.ts";
import { PROCESSES, processesOf, SYSTEMS } from "./week.ts";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "1008000" },
    iterations: { type: "string", default: "30" },
    only: { type: "string" },
  },
});
const DAYS = 7;
const DAY = 86_400_000;
const GAP_MS = 15_000;
const ROWS = Number(args.rows);
const ITERATIONS = Number(args.iterations);
const INSTANTS = Math.max(1, Math.ceil(ROWS / (SYSTEMS * PROCESSES)));

const log = createLogger("warn");
const now = Math.floor(Date.now() / 60_000) * 60_000;
const start = now - DAYS * DAY;
const step = Math.floor((DAYS * DAY) / INSTANTS);

// ------------------------------------------------------------------------------------------ data

function* batches(): Generator<SampleBatch> {
  for (let n = 0; n < INSTANTS; n++) {
    const t = start + n * step;
    for (let s = 0; s < SYSTEMS; s++) {
      // each agent samples on its own clock: systems are a few hundred ms apart
      const ts = t + s * 173;
      yield {
        system_name: `system-${String(s).padStart(2, "0")}`,
        timestamp: ts,
        processes: processesOf(s, ts, start),
      };
    }
  }
}

/** The flappy process: every 5 s, up 10 minutes, down 10 minutes, for the whole week. */
const FLAPPY = { system: "flappy-host", name: "flappy", pid: 4242 };
function* flappyTimes(): Generator<number> {
  for (let t = start; t < now; t += 5000) if (Math.floor((t - start) / 600_000) % 2 === 0) yield t;
}

// ------------------------------------------------------------------------------------------ stores

interface Bench {
  label: string;
  store: ProcessStore;
  /** Loads the flappy process outside the timed ingest, the fast way for this back end. */
  sideLoad(times: number[]): Promise<void>;
  size(): number | null;
  dispose(): Promise<void>;
}

async function sqliteBench(): Promise<Bench> {
  const dataDir = mkdtempSync(join(tmpdir(), "procscope-bench-"));
  const store = new SqliteStore({ dataDir, retentionDays: 30, log });
  await store.init();
  return {
    label: "SQLite (embedded)",
    store,
    async sideLoad(times) {
      const db = new Database(store.path);
      const insert = db.prepare(
        "INSERT OR REPLACE INTO samples (system, name, ts, pid, cpu_percent, memory_percent) VALUES (?, ?, ?, ?, 1, 1)",
      );
      db.transaction(() => {
        for (const t of times) insert.run(FLAPPY.system, FLAPPY.name, t, FLAPPY.pid);
      })();
      db.close();
    },
    size: () =>
      ["", "-wal"].reduce((sum, suffix) => {
        try {
          return sum + statSync(store.path + suffix).size;
        } catch {
          return sum;
        }
      }, 0),
    async dispose() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function influxBench(): Promise<Bench> {
  const { conn, version, dispose } = await influxTarget();
  const bucket = `bench-${Date.now().toString(36)}`;
  const store = new InfluxStore({ ...conn, bucket, retentionDays: 30, timeoutMs: 120_000, log });
  await store.init();
  return {
    label: `InfluxDB ${version}`.trim(),
    store,
    async sideLoad(times) {
      // through the server's own encoder, so the points have the server's layout
      await writeBatches(
        { INFLUX_URL: conn.url, INFLUX_TOKEN: conn.token, INFLUX_ORG: conn.org, INFLUX_BUCKET: bucket },
        times.map((t) => ({
          system_name: FLAPPY.system,
          timestamp: t,
          processes: [{ pid: FLAPPY.pid, name: FLAPPY.name, cpu_percent: 1, memory_percent: 1 }],
        })),
      );
    },
    size: () => null,
    async dispose() {
      await store.close();
      await dispose();
    },
  };
}

// ------------------------------------------------------------------------------------------ measuring

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function latencies(run: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  await run(-1); // warm-up, not counted
  const ms: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    await run(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

const windowOn = (hour: number) =>
  windowsBetween(
    {
      start: parseTimeOfDay(`${String(hour).padStart(2, "0")}:00`),
      end: parseTimeOfDay(`${String((hour + 1) % 24).padStart(2, "0")}:00`),
      zone: "UTC",
    },
    start,
    now,
  );

async function measure(b: Bench) {
  process.stderr.write(`[bench] ${b.label}: ingesting ${INSTANTS * SYSTEMS} batches of ${PROCESSES}…\n`);
  let rows = 0;
  const t0 = performance.now();
  for (const batch of batches()) rows += await b.store.write(batch);
  const ingestS = (performance.now() - t0) / 1000;
  const flappy = [...flappyTimes()];
  await b.sideLoad(flappy);

  process.stderr.write(`[bench] ${b.label}: ${ITERATIONS} filters, ${ITERATIONS} durations…\n`);
  let filterCount = 0;
  const filter = await latencies(async (i) => {
    const r = await b.store.filter({ ranges: windowOn(i < 0 ? 12 : i % 24), offset: 0, limit: 1000 });
    if (i === 0) filterCount = r.count;
    if (r.rows.length !== Math.min(1000, r.count)) throw new Error(`${b.label}: short page`);
  });
  let runs = 0;
  const duration = await latencies(async () => {
    const facts = await b.store.duration({
      system_name: FLAPPY.system,
      process_name: FLAPPY.name,
      range: { start: now - 30 * DAY, stop: now + 1 },
      gap_ms: GAP_MS,
    });
    runs = facts?.runs.length ?? 0;
  });
  return {
    store: b.label,
    rows: rows + flappy.length,
    ingest_rows: rows,
    ingest_seconds: ingestS,
    ingest_rows_per_s: rows / ingestS,
    filter_matches: filterCount,
    filter_p50_ms: filter.p50,
    filter_p99_ms: filter.p99,
    duration_samples: flappy.length,
    duration_runs: runs,
    duration_p50_ms: duration.p50,
    duration_p99_ms: duration.p99,
    file_bytes: b.size(),
  };
}

// ------------------------------------------------------------------------------------------ main

const results = [];
for (const make of [sqliteBench, influxBench]) {
  const kind = make === sqliteBench ? "sqlite" : "influxdb";
  if (args.only && !kind.startsWith(args.only.toLowerCase())) continue;
  const b = await make();
  try {
    results.push(await measure(b));
  } finally {
    await b.dispose();
  }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const header = [
  "store",
  "samples",
  "ingest rows/s",
  "filter p50",
  "filter p99",
  "duration p50",
  "duration p99",
  "file",
];
const table = [
  header,
  ...results.map((r) => [
    r.store,
    fmt(r.rows),
    fmt(r.ingest_rows_per_s),
    `${fmt(r.filter_p50_ms, 1)} ms`,
    `${fmt(r.filter_p99_ms, 1)} ms`,
    `${fmt(r.duration_p50_ms, 1)} ms`,
    `${fmt(r.duration_p99_ms, 1)} ms`,
    r.file_bytes === null ? "—" : `${fmt(r.file_bytes / 2 ** 20)} MiB`,
  ]),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
const out = [
  `${SYSTEMS} systems × ${PROCESSES} processes × ${INSTANTS} instants over ${DAYS} days + flappy process (${results[0]?.duration_samples} samples); ${ITERATIONS} iterations; ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
  `filter: 1-hour window × ${DAYS} days, first page of 1000 (${results[0]?.filter_matches} matches); duration: ${results[0]?.duration_runs} runs`,
  line(header),
  `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
  ...table.slice(1).map(line),
].join("\n");
process.stdout.write(`${out}\n`);

const [a, b] = results;
if (a && b && (a.filter_matches !== b.filter_matches || a.duration_runs !== b.duration_runs)) {
  process.stderr.write("the two stores disagree on the answers: that is a bug\n");
  process.exitCode = 1;
}

const dir = resolve(import.meta.dirname, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `stores-${new Date().toISOString().replaceAll(":", "-")}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, rows: ROWS, iterations: ITERATIONS, results }, null, 2)}\n`,
);
process.stderr.write(`[bench] wrote ${file}\n`);
