/**
 * Process history benchmark (issue 12): `npx tsx bench/history.ts [--only sqlite|influxdb]`.
 *
 * Data: the benchmark week of bench/queries.ts — 20 systems × 300 processes, one sample an hour
 * per system for 7 days (1 008 000 samples, through the REST door) — plus the "flappy" process on
 * system-0 sampled every 5 s by an agent that says so (`interval_ms` 5000), up 10 minutes and down
 * 10 all week (60 480 samples, 504 runs), written straight into storage.
 *
 * Timed through the REST door, p50/p99 after one warm-up call:
 * - processes-at: `GET /api/processes-at/` (top 20 by cpu) at a random instant of the week, 1 s
 *   after a sample of a random system (the sample in force has 300 processes);
 * - runs: `GET /api/process-runs/` of flappy on system-0 over the week (504 runs);
 * - runs, all systems: the same without system_name ("which machines ran it");
 * - duration: `GET /api/process-duration/` of flappy over the week (504 runs).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { encodeBatch, WRITE_PRECISION } from "../server/store/influx/line-protocol.ts";
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

function flappyTimes(start: number, stop: number): number[] {
  const out: number[] = [];
  for (let t = start; t < stop; t += 5000) if (Math.floor((t - start) / 600_000) % 2 === 0) out.push(t);
  return out;
}

async function sideLoad(env: Record<string, string | undefined>, times: number[]): Promise<void> {
  const batches = times.map((t) => ({
    system_name: FLAPPY.system,
    timestamp: t,
    interval_ms: 5000,
    processes: [
      {
        pid: FLAPPY.pid,
        name: FLAPPY.name,
        cpu_percent: 1,
        memory_percent: 1,
        started_at: times[0] as number,
      },
    ],
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
    for (const b of batches) {
      sample.run(FLAPPY.system, FLAPPY.name, b.timestamp, FLAPPY.pid, times[0]);
      batch.run(FLAPPY.system, b.timestamp);
    }
  })();
  db.close();
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
  query: string;
  answer: string;
  p50: number;
  p99: number;
  n: number;
}

async function benchStore(storage: Storage): Promise<Row[]> {
  const env = storage.fresh("history");
  const server: BenchServer = await launchServer(env);
  const rows: Row[] = [];
  try {
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    const start = now - 7 * DAY;
    const load = await ingest({
      server,
      transport: "rest",
      agents: 20,
      batch: 300,
      batchesPerAgent: 168,
      base: start,
      stepMs: HOUR,
      prefix: "system-",
    });
    if (load.errors > 0) throw new Error(`loading: ${load.errors} batches not stored`);
    // 2.5 s off the hourly samples: flappy's batches are its own
    const flappy = flappyTimes(start + 2500, now);
    await sideLoad(env, flappy);
    const add = (query: string, answer: string, ms: number[]) =>
      rows.push({
        store: storage.label,
        query,
        answer,
        p50: percentile(ms, 50),
        p99: percentile(ms, 99),
        n: ms.length,
      });

    // processes-at: a different system and hour each call
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
    add("processes-at (top 20 of 300)", "300 processes", atMs);

    const week = { from: new Date(start).toISOString(), to: new Date(now).toISOString() };
    let runs = 0;
    add(
      "process-runs, one system, a week",
      "504 runs",
      await timed(
        `${server.url}/api/process-runs/?${new URLSearchParams({ process_name: FLAPPY.name, system_name: FLAPPY.system, ...week })}`,
        (b) => {
          runs = ((b.systems as { runs: unknown[] }[])[0]?.runs ?? []).length;
          if (runs !== 504) throw new Error(`runs: ${runs}`);
        },
      ),
    );
    add(
      "process-runs, every system, a week",
      "1 system, 504 runs",
      await timed(
        `${server.url}/api/process-runs/?${new URLSearchParams({ process_name: FLAPPY.name, ...week })}`,
        (b) => {
          if (b.count !== 1) throw new Error(`systems: ${b.count}`);
        },
      ),
    );
    add(
      "process-duration, a week",
      "504 runs",
      await timed(
        `${server.url}/api/process-duration/?${new URLSearchParams({ process_name: FLAPPY.name, system_name: FLAPPY.system, ...week })}`,
        (b) => {
          if ((b.runs as unknown[]).length !== 504)
            throw new Error(`duration runs: ${(b.runs as unknown[]).length}`);
        },
      ),
    );
  } finally {
    await server.stop();
  }
  return rows;
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
const all: Row[] = [];
for (const kind of kinds) {
  const storage = kind === "influxdb" ? await influxStorage() : sqliteStorage();
  try {
    all.push(...(await benchStore(storage)));
  } finally {
    await storage.dispose();
  }
}
const ms = (v: number) => `${v.toFixed(1)} ms`;
process.stdout.write(
  `\n## Process history queries (the benchmark week + flappy: 504 runs), ${ITERATIONS} calls each after a warm-up\n\n${markdownTable(
    ["store", "query", "answer", "p50", "p99", "calls"],
    all.map((r) => [r.store, r.query, r.answer, ms(r.p50), ms(r.p99), String(r.n)]),
  )}\n`,
);
