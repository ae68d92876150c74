/**
 * Query benchmarks through the server's REST door, over a data set loaded through that door too:
 *
 * - Data: 20 systems (one simulated agent each, all 20 at once) × 300 processes at evenly spaced
 *   instants over the last 7 days, `rows` samples in all (1 008 000 by default: one sample an hour
 *   per system). Loading it is the "sustained ingest" phase: rows/s and the server's peak RSS.
 *   Plus one "flappy" process on a system of its own, sampled every 5 s, up 10 minutes then down
 *   10, all week (60 480 samples, 504 runs), written straight into storage (not timed; InfluxDB:
 *   through the server's own line-protocol encoder).
 *   Shapes: `churn` (share of each system's processes with a new pid in every sample) and
 *   `stagger` (systems' clocks 173 ms apart, else all sample at the same instant).
 * - Series: the bucket's series count after loading (Flux `influxdb.cardinality`).
 * - Narrowed: the first page narrowed by system, by name and by pid, p50.
 * - Filter: `GET /api/filter-processes/` with a one-hour time-of-day window on every day of the
 *   7 days (`from`, `to`, `tz=UTC`), the hour varying per iteration: first page (1000 rows) p50/p99;
 *   then one window paged through to the end, following `next`.
 * - Duration: `GET /api/process-duration/` for the flappy process: p50/p99.
 */

import { join } from "node:path";
import Database from "better-sqlite3";
import { type BenchServer, NAMES, percentile, seriesCount, writeBatches } from "./harness.ts";
import { type IngestResult, ingest } from "./http-ingest.ts";

const DAY = 86_400_000;
export const DAYS = 7;
const SYSTEMS = 20;
const PROCESSES = 300;
export const FLAPPY = { system: "flappy-host", name: "flappy", pid: 4242 };

export interface QueryOptions {
  server: BenchServer;
  /** The server's storage environment (INFLUX_* or DATA_DIR), for loading the flappy process. */
  env: Record<string, string | undefined>;
  rows: number;
  iterations: number;
  pageSize: number;
  /** Page size when paging through a whole window. */
  walkPageSize: number;
  /** Seconds each query measurement may take in all; iterations stop there (they are counted). */
  budgetSeconds: number;
  watch?: Record<string, number | undefined>;
  churn?: number;
  stagger?: boolean;
}

export interface QueryResult {
  churn: number;
  stagger: boolean;
  /** InfluxDB: series in the bucket after loading; null for SQLite. */
  series: number | null;
  /** First page p50 narrowed by system_name, process_name, pid. */
  narrowed_p50_ms: { system: number; name: number; pid: number };
  rows_stored: number;
  load: IngestResult;
  filter_matches: number;
  filter_first_page_p50_ms: number;
  filter_first_page_p99_ms: number;
  filter_iterations: number;
  filter_page_size: number;
  walk_page_size: number;
  walk_pages: number;
  walk_pages_total: number;
  walk_rows: number;
  walk_seconds: number;
  /** False when the budget ran out before the last page. */
  walk_complete: boolean;
  duration_samples: number;
  duration_runs: number;
  duration_p50_ms: number;
  duration_p99_ms: number;
  duration_iterations: number;
  /** Answers other than 200 (e.g. 503 when storage took longer than STORAGE_TIMEOUT_MS). */
  failures: string[];
  peak_rss_mb_queries: number;
}

/** Every 5 s, up 10 minutes, down 10 minutes, from `start` to `stop`. */
function flappyTimes(start: number, stop: number): number[] {
  const out: number[] = [];
  for (let t = start; t < stop; t += 5000) if (Math.floor((t - start) / 600_000) % 2 === 0) out.push(t);
  return out;
}

async function sideLoad(env: Record<string, string | undefined>, times: number[]): Promise<void> {
  if (env.INFLUX_URL && env.INFLUX_TOKEN) {
    await writeBatches(
      env,
      times.map((t) => ({
        system_name: FLAPPY.system,
        timestamp: t,
        processes: [{ pid: FLAPPY.pid, name: FLAPPY.name, cpu_percent: 1, memory_percent: 1 }],
      })),
    );
    return;
  }
  // The server has the file open too; WAL lets a second connection write (it waits its turn).
  const db = new Database(join(env.DATA_DIR as string, "procscope.sqlite"));
  db.pragma("busy_timeout = 10000");
  const insert = db.prepare(
    "INSERT OR REPLACE INTO samples (system, name, ts, pid, cpu_percent, memory_percent) VALUES (?, ?, ?, ?, 1, 1)",
  );
  db.transaction(() => {
    for (const t of times) insert.run(FLAPPY.system, FLAPPY.name, t, FLAPPY.pid);
  })();
  db.close();
}

class QueryFailed extends Error {}

async function getJson(url: string): Promise<{ ms: number; body: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(600_000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) {
    throw new QueryFailed(
      `${new URL(url).pathname} → ${res.status} after ${(ms / 1000).toFixed(1)} s: ${text.slice(0, 200)}`,
    );
  }
  return { ms, body: JSON.parse(text) as Record<string, unknown> };
}

/** Runs `once` up to `iterations` times or until `budget` seconds are spent (at least once). */
async function repeat(
  iterations: number,
  budget: number,
  failures: string[],
  once: (i: number) => Promise<number>,
): Promise<number[]> {
  const ms: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    try {
      ms.push(await once(i));
    } catch (err) {
      if (!(err instanceof QueryFailed)) throw err;
      failures.push(err.message);
    }
    if (performance.now() - t0 > budget * 1000) break;
  }
  return ms;
}

const hh = (h: number) => `${String(h % 24).padStart(2, "0")}:00`;

export async function queries(opts: QueryOptions): Promise<QueryResult> {
  const { server, iterations } = opts;
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const start = now - DAYS * DAY;
  const instants = Math.max(1, Math.ceil(opts.rows / (SYSTEMS * PROCESSES)));
  const step = Math.floor((DAYS * DAY) / instants);

  // The data set, through the REST door: 20 agents, one per system, all at once.
  const load = await ingest({
    server,
    transport: "rest",
    agents: SYSTEMS,
    batch: PROCESSES,
    batchesPerAgent: instants,
    base: start,
    stepMs: step,
    prefix: "system-",
    churn: opts.churn ?? 0,
    stagger: opts.stagger ?? false,
    ...(opts.watch ? { watch: opts.watch } : {}),
  });
  if (load.errors > 0) throw new Error(`loading the data set: ${load.errors} batches not stored`);
  const flappy = flappyTimes(start, now);
  await sideLoad(opts.env, flappy);

  server.resetPeak();
  const window = (hour: number, pageSize: number, narrow: Record<string, string> = {}) => {
    const q = new URLSearchParams({
      ...narrow,
      start_time: hh(hour),
      end_time: hh(hour + 1),
      from: new Date(start).toISOString(),
      to: new Date(now).toISOString(),
      tz: "UTC",
      page_size: String(pageSize),
    });
    return `${server.url}/api/filter-processes/?${q}`;
  };

  const failures: string[] = [];
  const budget = opts.budgetSeconds;
  // Filter, first page: a different hour each time (hour 12 to warm up, not counted).
  await getJson(window(12, opts.pageSize)).catch((err: unknown) => {
    if (!(err instanceof QueryFailed)) throw err;
    failures.push(err.message);
  });
  let matches = 0;
  const firstPage = await repeat(iterations, budget, failures, async (i) => {
    const { ms, body } = await getJson(window(i % 24, opts.pageSize));
    matches = body.count as number;
    const data = body.data as unknown[];
    if (data.length !== Math.min(opts.pageSize, matches)) {
      throw new Error(`filter: short first page (${data.length} of ${matches})`);
    }
    return ms;
  });

  // One window, every page, following the `next` links (within the budget).
  let url: string | null = window(0, opts.walkPageSize);
  let pages = 0;
  let walked = 0;
  let total = 0;
  const w0 = performance.now();
  while (url && performance.now() - w0 < budget * 1000) {
    try {
      const { body } = await getJson(url);
      pages++;
      walked += (body.data as unknown[]).length;
      total = body.count as number;
      // Links are relative unless the server has a PUBLIC_URL: resolve against the page's own URL.
      url = typeof body.next === "string" ? new URL(body.next, url).href : null;
    } catch (err) {
      if (!(err instanceof QueryFailed)) throw err;
      failures.push(err.message);
      break;
    }
  }
  const walkSeconds = (performance.now() - w0) / 1000;
  const walkComplete = url === null;
  if (walkComplete && walked !== total) throw new Error(`paging: ${walked} rows read, count says ${total}`);

  // The first page narrowed by system, by name, by pid: no slower than unnarrowed.
  const narrowedP50 = async (narrow: Record<string, string>) =>
    percentile(
      await repeat(Math.max(3, Math.ceil(iterations / 2)), budget, failures, async (i) => {
        const { ms } = await getJson(window(i % 24, opts.pageSize, narrow));
        return ms;
      }),
      50,
    );
  const narrowed = {
    system: await narrowedP50({ system_name: "system-7" }),
    name: await narrowedP50({ process_name: NAMES[5] as string }),
    // a pid of system-3's list (bench/harness.ts processList): on that system only
    pid: await narrowedP50({ pid: String(1000 + 40 * 7 + 3) }),
  };

  // Duration of the flappy process.
  const durationUrl = `${server.url}/api/process-duration/?${new URLSearchParams({
    system_name: FLAPPY.system,
    process_name: FLAPPY.name,
  })}`;
  let runs = 0;
  const durations = await repeat(iterations + 1, budget, failures, async (i) => {
    const { ms, body } = await getJson(durationUrl);
    runs = (body.runs as unknown[]).length;
    return i === 0 ? Number.NaN : ms; // the first is a warm-up
  }).then((all) => all.filter((ms) => !Number.isNaN(ms)));

  const series = opts.env.INFLUX_URL ? await seriesCount(opts.env) : null;
  return {
    churn: opts.churn ?? 0,
    stagger: opts.stagger ?? false,
    series,
    narrowed_p50_ms: narrowed,
    rows_stored: load.rows + flappy.length,
    load,
    filter_matches: matches,
    filter_first_page_p50_ms: percentile(firstPage, 50),
    filter_first_page_p99_ms: percentile(firstPage, 99),
    filter_iterations: firstPage.length,
    filter_page_size: opts.pageSize,
    walk_page_size: opts.walkPageSize,
    walk_pages: pages,
    walk_pages_total: Math.max(1, Math.ceil(total / opts.walkPageSize)),
    walk_rows: walked,
    walk_seconds: walkSeconds,
    walk_complete: walkComplete,
    duration_samples: flappy.length,
    duration_runs: runs,
    duration_p50_ms: percentile(durations, 50),
    duration_p99_ms: percentile(durations, 99),
    duration_iterations: durations.length,
    failures,
    peak_rss_mb_queries: server.peakRssMb(),
  };
}
