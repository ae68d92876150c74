/**
 * Watch evaluation benchmark (issue 13): `npx tsx bench/watches.ts [--only sqlite|influxdb]
 * [--periods N] [--systems N] [--watches N]`.
 *
 * 100 systems × 300 processes (bench/harness.ts' process list: 120 names, 2–3 instances each),
 * sampled every 5 s; 1 000 watches, each on every system (100 000 watch × system states): 900
 * exact names (a third of them never running: never_seen), 100 regular expressions; min_instances
 * 1–3. Each period a different 1 % of the systems lack one watched name (down, then up again), so
 * transitions and their exact `since` reads are part of the cost.
 *
 * The evaluator (server/watch/evaluate.ts) runs in this process on the store directly, as in the
 * server; the clock is simulated (one period = 5 s of data written, then one evaluation). Measured
 * per evaluation: this process's CPU time (the whole server-side cost: on SQLite that includes the
 * queries; on InfluxDB the Flux runs in influxd, whose CPU time is measured beside it) and wall
 * time. The start-up read of the lookback (2 minutes here) is reported apart.
 */

import { loadavg } from "node:os";
import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { influxEnv } from "../harness/influxd.ts";
import { loadConfig } from "../server/config.ts";
import { createLogger } from "../server/log.ts";
import { createStore } from "../server/store/index.ts";
import type { ProcessStore, SampleBatch } from "../server/store/types.ts";
import { WatchEvaluator } from "../server/watch/evaluate.ts";
import { parseWatches } from "../server/watch/file.ts";
import {
  cpuSeconds,
  fmt,
  influxTarget,
  markdownTable,
  NAMES,
  percentile,
  processList,
  sqliteStorage,
} from "./harness.ts";

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    periods: { type: "string", default: "40" },
    systems: { type: "string", default: "100" },
    watches: { type: "string", default: "1000" },
  },
});
const PERIODS = Number(args.periods);
const SYSTEMS = Number(args.systems);
const WATCHES = Number(args.watches);
const PROCESSES = 300;
const INTERVAL = 5000;
const LOOKBACK_MS = 120_000;

function watchesYaml(): string {
  const lines = ["watches:"];
  for (let i = 0; i < WATCHES; i++) {
    const min = 1 + (i % 3);
    if (i % 10 === 9) {
      lines.push(`  - name: re-${i}`, `    process_name: "/${NAMES[i % 40]}(-[0-9]+)?/"`, "    systems: all");
    } else if (i % 3 === 2) {
      lines.push(`  - name: absent-${i}`, `    process_name: never-runs-${i}`, "    systems: all");
    } else {
      lines.push(`  - name: w-${i}`, `    process_name: ${NAMES[i % NAMES.length]}`, "    systems: all");
    }
    lines.push(`    min_instances: ${min}`);
  }
  return `${lines.join("\n")}\n`;
}

/** One sample of every system at `t`; in period `k`, systems k % SYSTEMS … lack NAMES[k % 120]. */
function samples(t: number, k: number, base: ReturnType<typeof processList>[]): SampleBatch[] {
  const missing = NAMES[k % NAMES.length];
  const lacking = new Set(
    Array.from({ length: Math.max(1, SYSTEMS / 100) }, (_, j) => (k + j * 7) % SYSTEMS),
  );
  return base.map((procs, s) => ({
    system_name: `system-${s}`,
    timestamp: t,
    interval_ms: INTERVAL,
    processes: lacking.has(s) ? procs.filter((p) => p.name !== missing) : procs,
  }));
}

async function writeAll(store: ProcessStore, batches: SampleBatch[]) {
  for (let i = 0; i < batches.length; i += 20)
    await Promise.all(batches.slice(i, i + 20).map((b) => store.write(b)));
}

interface Result {
  store: string;
  startupCpu: number;
  startupWall: number;
  cpu: number[];
  /** Of `cpu`, the part spent in the store's latest() read (the rest is the evaluator's own). */
  read: number[];
  wall: number[];
  db: number[];
  transitions: number;
}

async function bench(kind: "sqlite" | "influxdb", env: Record<string, string | undefined>, dbPid?: number) {
  const log = createLogger("silent");
  const config = loadConfig({ ...env, LOG_LEVEL: "silent", STORAGE_TIMEOUT_MS: "120000" });
  const store = await createStore(config, log);
  await store.init();
  // this process's CPU inside latest(): nothing else runs here during an evaluation
  let readCpu = 0;
  const latest = store.latest.bind(store);
  store.latest = async (range) => {
    const c = cpuUsage();
    try {
      return await latest(range);
    } finally {
      const used = cpuUsage(c);
      readCpu += (used.user + used.system) / 1000;
    }
  };
  const base = Array.from({ length: SYSTEMS }, (_, s) => processList(PROCESSES, s, 0));
  const start = Math.floor((Date.now() - 3_600_000) / INTERVAL) * INTERVAL;
  let now = start;
  // the lookback's history
  for (let t = start - LOOKBACK_MS; t <= start; t += INTERVAL) await writeAll(store, samples(t, -1, base));
  const ev = new WatchEvaluator({
    store,
    log,
    now: () => now,
    defaultGapMs: 15_000,
    lookbackMs: LOOKBACK_MS,
    overlapMs: 10_000,
  });
  const watches = parseWatches(watchesYaml(), "bench.yaml");
  ev.setWatches(watches);
  let c0 = cpuUsage();
  let w0 = performance.now();
  await ev.evaluate();
  const startupCpu = (cpuUsage(c0).user + cpuUsage(c0).system) / 1000;
  const startupWall = performance.now() - w0;
  const result: Result = {
    store: kind,
    startupCpu,
    startupWall,
    cpu: [],
    read: [],
    wall: [],
    db: [],
    transitions: 0,
  };
  for (let k = 0; k < PERIODS; k++) {
    now += INTERVAL;
    await writeAll(store, samples(now, k, base));
    const d0 = dbPid ? cpuSeconds(dbPid) : 0;
    readCpu = 0;
    c0 = cpuUsage();
    w0 = performance.now();
    const transitions = await ev.evaluate();
    const used = cpuUsage(c0);
    result.wall.push(performance.now() - w0);
    result.cpu.push((used.user + used.system) / 1000);
    result.read.push(readCpu);
    if (dbPid) result.db.push((cpuSeconds(dbPid) - d0) * 1000);
    result.transitions += transitions.length;
  }
  const states = ev.status();
  process.stderr.write(
    `[bench] ${kind}: ${states.length} states (${["up", "down", "never_seen", "system_silent"].map((s) => `${s} ${states.filter((x) => x.state === s).length}`).join(", ")}), ${result.transitions} transitions\n`,
  );
  await store.close();
  return result;
}

const results: Result[] = [];
if (!args.only || args.only === "sqlite") {
  const storage = sqliteStorage();
  results.push(await bench("sqlite", storage.fresh("watches")));
  await storage.dispose();
}
if (!args.only || args.only === "influxdb") {
  const target = await influxTarget();
  const env = {
    ...influxEnv({ ...target.conn, bucket: `bench-watches-${Date.now().toString(36)}` }),
    DATA_DIR: undefined,
  };
  const { host } = new URL(target.conn.url);
  const { findPid } = await import("./harness.ts");
  const pid = findPid(`--http-bind-address 127.0.0.1:${host.split(":")[1]}`);
  results.push(await bench("influxdb", env, pid));
  await target.dispose();
}

const ms = (v: number) => `${fmt(v, 1)} ms`;
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
process.stdout.write(
  `\n## Watch evaluation: ${WATCHES} watches × ${SYSTEMS} systems (${WATCHES * SYSTEMS} states), ${PROCESSES} processes per sample, ${PERIODS} periods of 5 s\n\n${markdownTable(
    [
      "store",
      "server CPU / period: mean",
      "p50",
      "p99",
      "of which latest() read: p50",
      "wall p50",
      "influxd CPU / period (mean)",
      "start-up read (2 min lookback): CPU",
      "wall",
      "transitions",
    ],
    results.map((r) => [
      r.store,
      ms(mean(r.cpu)),
      ms(percentile(r.cpu, 50)),
      ms(percentile(r.cpu, 99)),
      ms(percentile(r.read, 50)),
      ms(percentile(r.wall, 50)),
      r.db.length ? ms(mean(r.db)) : "— (in-process)",
      ms(r.startupCpu),
      ms(r.startupWall),
      String(r.transitions),
    ]),
  )}\n\nload average (1, 5, 15 min) at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")}\n`,
);
