/**
 * Process history benchmark (issue 12): `npx tsx bench/history.ts [--only sqlite|influxdb]`.
 *
 * Data: the benchmark week of bench/queries.ts — 20 systems × 300 processes, one sample an hour
 * per system for 7 days (1 008 000 samples, through the REST door) — plus the "flappy" process on
 * system-0 sampled every 5 s by an agent that says so (`interval_ms` 5000), up 10 minutes and down
 * 10 all week (60 480 samples, 504 runs), written straight into storage.
 *
 * Plus "yearly" on system-1: 500 runs of 10 minutes (5 s agent) spread over the last 365 days.
 *
 * Each query is timed twice through the REST door, p50/p99 after one warm-up call: first from raw
 * samples (the server started with HISTORY_COMPACT_MINUTES=0: nothing compacted), then from
 * history, after the finished days were compacted (timed: history's cost, against the week's
 * ingest time) and the server restarted. The size of the week's history is measured on both stores
 * (SQLite: its table's pages; InfluxDB: the history bucket's shards once snapshotted into TSM).
 *
 * - processes-at: `GET /api/processes-at/` (top 20 by cpu) at a random instant of the week, 1 s
 *   after a sample of a random system (the sample in force has 300 processes);
 * - runs: `GET /api/process-runs/` of flappy on system-0 over the week (504 runs);
 * - runs, all systems: the same without system_name ("which machines ran it");
 * - duration: `GET /api/process-duration/` of flappy over the week (504 runs).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { createLogger } from "../server/log.ts";
import { encodeBatch, WRITE_PRECISION } from "../server/store/influx/line-protocol.ts";
import { InfluxStore } from "../server/store/influx/store.ts";
import { SqliteStore } from "../server/store/sqlite/store.ts";
import {
  type BenchServer,
  influxStorage,
  launchServer,
  markdownTable,
  percentile,
  type Storage,
  sqliteStorage,
} from "./harness.ts";
import { ingest } from "./http-ingest.ts";

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    iterations: { type: "string", default: "30" },
  },
});
const ITERATIONS = Number(args.iterations);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const FLAPPY = { system: "system-0", name: "flappy", pid: 4242 };
const YEARLY = { system: "system-1", name: "yearly" };

function flappyTimes(start: number, stop: number): number[] {
  const out: number[] = [];
  for (let t = start; t < stop; t += 5000) if (Math.floor((t - start) / 600_000) % 2 === 0) out.push(t);
  return out;
}

interface Seen {
  t: number;
  pid: number;
  started_at: number;
}

/** Samples of one process written straight into storage (each its own batch, interval 5 s). */
async function sideLoad(
  env: Record<string, string | undefined>,
  who: { system: string; name: string },
  seen: Seen[],
): Promise<void> {
  const batches = seen.map((s) => ({
    system_name: who.system,
    timestamp: s.t,
    interval_ms: 5000,
    processes: [{ pid: s.pid, name: who.name, cpu_percent: 1, memory_percent: 1, started_at: s.started_at }],
  }));
  if (env.INFLUX_URL && env.INFLUX_TOKEN) {
    const target = `${env.INFLUX_URL}/api/v2/write?${new URLSearchParams({
      org: env.INFLUX_ORG ?? "procscope",
      bucket: env.INFLUX_BUCKET ?? "procscope",
      precision: WRITE_PRECISION, // as the server writes the encoder's lines
    })}`;
    for (let i = 0; i < batches.length; i += 5000) {
      const body = batches
        .slice(i, i + 5000)
        .map(encodeBatch)
        .join("");
      const res = await fetch(target, {
        method: "POST",
        headers: { authorization: `Token ${env.INFLUX_TOKEN}` },
        body,
      });
      if (res.status !== 204)
        throw new Error(`side load: InfluxDB answered ${res.status} ${await res.text()}`);
    }
    return;
  }
  const db = new Database(join(env.DATA_DIR as string, "procscope.sqlite"));
  db.pragma("busy_timeout = 10000");
  const sample = db.prepare(
    "INSERT OR REPLACE INTO samples (system, name, ts, pid, cpu_percent, memory_percent, started_at) VALUES (?, ?, ?, ?, 1, 1, ?)",
  );
  const batch = db.prepare(
    "INSERT OR REPLACE INTO batches (system, ts, processes, interval_ms) VALUES (?, ?, 1, 5000)",
  );
  db.transaction(() => {
    for (const s of seen) {
      sample.run(who.system, who.name, s.t, s.pid, s.started_at);
      batch.run(who.system, s.t);
    }
  })();
  db.close();
}

/** Compacts the finished days before `before` (and after `after`) the way a server does; seconds. */
async function compactFor(
  env: Record<string, string | undefined>,
  after: number,
  before: number,
): Promise<number> {
  const log = createLogger("silent");
  const t0 = performance.now();
  if (env.INFLUX_URL && env.INFLUX_TOKEN) {
    const store = new InfluxStore({
      url: env.INFLUX_URL,
      token: env.INFLUX_TOKEN,
      org: env.INFLUX_ORG ?? "procscope",
      bucket: env.INFLUX_BUCKET ?? "procscope",
      retentionDays: 400,
      timeoutMs: 600_000,
      historyIntervalMs: 0,
      log,
    });
    await store.compactHistory({ start: after, stop: before });
    await store.close();
  } else {
    const store = new SqliteStore({ dataDir: env.DATA_DIR as string, retentionDays: 400, log });
    await store.compactHistory(before);
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}

interface Size {
  /** Bytes on disk of the week's history, and of its raw samples (SQLite only). */
  bytes: number;
  rawBytes?: number;
  /** Records (SQLite rows / InfluxDB points) and what they hold. */
  records: number;
  how: string;
}

/** SQLite: bytes of history's table (dbstat: its pages), and of the raw samples' tables and index. */
function sqliteHistorySize(env: Record<string, string | undefined>): Size {
  const db = new Database(join(env.DATA_DIR as string, "procscope.sqlite"), { readonly: true });
  try {
    const size = (names: string[]) =>
      (
        db
          .prepare(`SELECT sum(pgsize) AS n FROM dbstat WHERE name IN (${names.map(() => "?").join(", ")})`)
          .get(...names) as { n: number }
      ).n;
    return {
      bytes: size(["stretches"]),
      rawBytes: size(["samples", "samples_by_time", "batches", "commands"]),
      records: (db.prepare("SELECT count(*) AS n FROM stretches").get() as { n: number }).n,
      how: "dbstat, table pages",
    };
  } finally {
    db.close();
  }
}

/**
 * InfluxDB: the history bucket's shards on disk (influxd's own storage_shard_disk_size metric), once
 * its write cache has been snapshotted into TSM files (influxd runs with a 5 s cold-write snapshot
 * here, see below), so the figure is compressed TSM, not the WAL.
 */
async function influxHistorySize(env: Record<string, string | undefined>): Promise<Size> {
  const base = env.INFLUX_URL as string;
  const headers = { authorization: `Token ${env.INFLUX_TOKEN}` };
  const name = `${env.INFLUX_BUCKET}-history`;
  const found = (await (
    await fetch(
      `${base}/api/v2/buckets?${new URLSearchParams({ name, org: env.INFLUX_ORG ?? "procscope" })}`,
      {
        headers,
      },
    )
  ).json()) as { buckets: { id: string }[] };
  const id = found.buckets[0]?.id;
  if (!id) throw new Error(`no bucket ${name}`);
  const metric = (text: string, metricName: string) =>
    text
      .split("\n")
      .filter((l) => l.startsWith(`${metricName}{`) && l.includes(`bucket="${id}"`))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const text = await (await fetch(`${base}/metrics`)).text();
    const cached = metric(text, "storage_cache_inuse_bytes");
    if (cached === 0 || Date.now() > deadline) {
      const count = await fetch(
        `${base}/api/v2/query?${new URLSearchParams({ org: env.INFLUX_ORG ?? "procscope" })}`,
        {
          method: "POST",
          headers: { ...headers, "content-type": "application/vnd.flux", accept: "application/csv" },
          body: `from(bucket: ${JSON.stringify(name)}) |> range(start: 0) |> filter(fn: (r) => r._measurement == "stretch") |> group() |> count()`,
        },
      );
      const csv = (await count.text()).trim().split("\n");
      const records = Number(csv[csv.length - 1]?.split(",").pop());
      return {
        bytes: metric(text, "storage_shard_disk_size"),
        records,
        how:
          cached === 0
            ? "shards on disk (TSM), storage_shard_disk_size"
            : "shards on disk, cache NOT yet snapshotted",
      };
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function timed(url: string, check: (body: Record<string, unknown>) => void): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i <= ITERATIONS; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200)
      throw new Error(`${new URL(url).pathname} → ${res.status}: ${text.slice(0, 300)}`);
    check(JSON.parse(text) as Record<string, unknown>);
    if (i > 0) out.push(ms);
  }
  return out;
}

interface Row {
  store: string;
  /** "raw samples" or "history". */
  from: string;
  query: string;
  answer: string;
  p50: number;
  p99: number;
  n: number;
}

interface Cost {
  store: string;
  ingest_s: number;
  ingest_samples: number;
  compact_week_s: number;
  compact_year_s: number;
  size: Size;
  /** System-days of the fleet the week's history holds (hourly samples before today, / 24). */
  system_days: number;
}

async function queries(
  server: BenchServer,
  label: string,
  start: number,
  now: number,
  add: AddRow,
): Promise<void> {
  // processes-at: a different system and hour each call (raw samples either way)
  let k = 0;
  const atMs: number[] = [];
  for (let i = 0; i <= ITERATIONS; i++, k++) {
    const system = `system-${(k * 7) % 20}`;
    const at = new Date(start + ((k * 37) % 168) * HOUR + 1000).toISOString();
    const url = `${server.url}/api/processes-at/?${new URLSearchParams({ system_name: system, at })}`;
    const [ms] = await timedOnce(url, (b) => {
      if (b.process_count !== 300 || (b.processes as unknown[]).length !== 20)
        throw new Error("processes-at: wrong size");
    });
    if (i > 0) atMs.push(ms as number);
  }
  add(label, "processes-at (top 20 of 300)", "300 processes", atMs);

  const week = { from: new Date(start).toISOString(), to: new Date(now).toISOString() };
  const year = { from: new Date(now - 365 * DAY).toISOString(), to: new Date(now).toISOString() };
  const runsOf = (b: Record<string, unknown>) => ((b.systems as { runs: unknown[] }[])[0]?.runs ?? []).length;
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`${what}: ${got}, expected ${want}`);
  };
  add(
    label,
    "process-runs, one system, a week",
    "504 runs",
    await timed(
      `${server.url}/api/process-runs/?${new URLSearchParams({ process_name: FLAPPY.name, system_name: FLAPPY.system, ...week })}`,
      (b) => expect("runs", runsOf(b), 504),
    ),
  );
  add(
    label,
    "process-runs, every system, a week",
    "1 system, 504 runs",
    await timed(
      `${server.url}/api/process-runs/?${new URLSearchParams({ process_name: FLAPPY.name, ...week })}`,
      (b) => expect("systems", b.count as number, 1),
    ),
  );
  add(
    label,
    "process-duration, a week",
    "504 runs",
    await timed(
      `${server.url}/api/process-duration/?${new URLSearchParams({ process_name: FLAPPY.name, system_name: FLAPPY.system, ...week })}`,
      (b) => expect("duration runs", (b.runs as unknown[]).length, 504),
    ),
  );
  add(
    label,
    "process-duration, a year",
    "500 runs",
    await timed(
      `${server.url}/api/process-duration/?${new URLSearchParams({ process_name: YEARLY.name, system_name: YEARLY.system, ...year })}`,
      (b) => expect("duration runs", (b.runs as unknown[]).length, 500),
    ),
  );
  add(
    label,
    "process-runs, one system, a year",
    "500 runs",
    await timed(
      `${server.url}/api/process-runs/?${new URLSearchParams({ process_name: YEARLY.name, system_name: YEARLY.system, ...year })}`,
      (b) => expect("runs", runsOf(b), 500),
    ),
  );
}

type AddRow = (from: string, query: string, answer: string, ms: number[]) => void;

async function benchStore(storage: Storage): Promise<{ rows: Row[]; cost: Cost }> {
  // nothing compacted by the server itself: the first timings are from raw samples
  const env = { ...storage.fresh("history"), RETENTION_DAYS: "400", HISTORY_COMPACT_MINUTES: "0" };
  let server: BenchServer = await launchServer(env);
  const rows: Row[] = [];
  const add: AddRow = (from, query, answer, ms) =>
    rows.push({
      store: storage.label,
      from,
      query,
      answer,
      p50: percentile(ms, 50),
      p99: percentile(ms, 99),
      n: ms.length,
    });
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const start = now - 7 * DAY;
  let cost: Cost;
  try {
    const load = await ingest({
      server,
      transport: "rest",
      agents: 20,
      batch: 300,
      batchesPerAgent: 168,
      base: start,
      stepMs: HOUR,
      prefix: "system-",
      churn: 0.1,
    });
    if (load.errors > 0) throw new Error(`loading: ${load.errors} batches not stored`);
    // 2.5 s off the hourly samples: flappy's batches are its own
    const flappy = flappyTimes(start + 2500, now);
    await sideLoad(
      env,
      FLAPPY,
      flappy.map((t) => ({ t, pid: FLAPPY.pid, started_at: flappy[0] as number })),
    );
    // yearly: 500 runs of 10 minutes, evenly over the last 365 days (pid and start new each run)
    const yearly: Seen[] = [];
    for (let r = 0; r < 500; r++) {
      const from = now - 365 * DAY + Math.floor((r * 365 * DAY) / 500) + 1500;
      for (let t = from; t <= from + 600_000; t += 5000)
        yearly.push({ t, pid: 5000 + r, started_at: from - 1000 });
    }
    await sideLoad(env, YEARLY, yearly);
    await queries(server, "raw samples", start, now, add);
    await server.stop();

    // the days before the week first (yearly's), then the week's finished days: history's cost;
    // the week's size on disk is the history's size after it less the size before
    const sizeNow = () => (storage.kind === "sqlite" ? sqliteHistorySize(env) : influxHistorySize(env));
    const compactYear = await compactFor(env, now - 366 * DAY, start - DAY);
    const before = await sizeNow();
    const compactWeek = await compactFor(env, start - DAY, now);
    const after = await sizeNow();
    const size: Size = {
      ...after,
      bytes: after.bytes - before.bytes,
      records: after.records - before.records,
      how: `${after.how}, after the week less before`,
    };
    // the fleet's hourly samples compacted: those before today's UTC midnight
    const hours = Math.ceil((Math.floor(now / DAY) * DAY - start) / HOUR);
    cost = {
      store: storage.label,
      ingest_s: load.seconds,
      ingest_samples: load.rows,
      compact_week_s: compactWeek,
      compact_year_s: compactYear,
      size,
      system_days: (20 * hours) / 24,
    };
    server = await launchServer(env);
    await queries(server, "history", start, now, add);
  } finally {
    await server.stop();
  }
  return { rows, cost };
}

async function timedOnce(url: string, check: (body: Record<string, unknown>) => void): Promise<number[]> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${new URL(url).pathname} → ${res.status}: ${text.slice(0, 300)}`);
  check(JSON.parse(text) as Record<string, unknown>);
  return [ms];
}

const kinds = ["sqlite", "influxdb"].filter((k) => !args.only || k.startsWith(args.only));
// influxd snapshots a bucket's write cache into TSM files after 5 s without writes (default 10 min),
// so the history bucket's size is measured as stored, not as WAL; ingest writes without pause, so
// it does not see this
process.env.INFLUXD_STORAGE_CACHE_SNAPSHOT_WRITE_COLD_DURATION ??= "5s";
const all: Row[] = [];
const costs: Cost[] = [];
for (const kind of kinds) {
  const storage = kind === "influxdb" ? await influxStorage() : sqliteStorage();
  try {
    const { rows, cost } = await benchStore(storage);
    all.push(...rows);
    costs.push(cost);
  } finally {
    await storage.dispose();
  }
}
const ms = (v: number) => `${v.toFixed(1)} ms`;
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
process.stdout.write(
  `\n## Process history queries (the benchmark week + flappy: 504 runs; yearly: 500 runs over 365 days), ${ITERATIONS} calls each after a warm-up\n\n${markdownTable(
    ["store", "from", "query", "answer", "p50", "p99", "calls"],
    all.map((r) => [r.store, r.from, r.query, r.answer, ms(r.p50), ms(r.p99), String(r.n)]),
  )}\n\n## History's cost: compacting the week (1 008 000 fleet samples with 10 % churn + flappy's 60 480) against ingesting it through REST\n\n${markdownTable(
    [
      "store",
      "ingest (s)",
      "compaction of the week (s)",
      "compaction / ingest",
      "compaction of yearly's 358 older days (s)",
    ],
    costs.map((c) => [
      c.store,
      c.ingest_s.toFixed(1),
      c.compact_week_s.toFixed(1),
      `${((100 * c.compact_week_s) / c.ingest_s).toFixed(1)} %`,
      c.compact_year_s.toFixed(1),
    ]),
  )}\n`,
);
process.stdout.write(
  `\n## History's size on disk: the week's history, measured, per system-day and for a year of the 20-system fleet (hourly samples, 10 % churn: each sample a stretch of its own)\n\n${markdownTable(
    [
      "store",
      "records",
      "history of the week",
      "how measured",
      "system-days",
      "per system-day",
      "per system-year",
      "20 systems, a year",
      "raw samples of the week",
    ],
    costs.map((c) => {
      const perDay = c.size.bytes / c.system_days;
      return [
        c.store,
        String(c.size.records),
        mb(c.size.bytes),
        c.size.how,
        c.system_days.toFixed(1),
        `${(perDay / 1e3).toFixed(1)} kB`,
        mb(perDay * 365),
        mb(perDay * 365 * 20),
        c.size.rawBytes === undefined ? "–" : mb(c.size.rawBytes),
      ];
    }),
  )}\n`,
);
