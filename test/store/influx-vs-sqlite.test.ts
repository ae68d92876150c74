/**
 * The InfluxDB store answers every read exactly as the SQLite store does, over one awkward data
 * set written once to both: a real bucket on the run's influxd and a real SQLite file. Names that
 * share prefixes or need escaping, an agent-sized batch (320 processes), reused pids, gaps, batches
 * with and without an interval, every optional field; each narrowing of the filter over one range,
 * two disjoint ranges and an empty one, paged at its edges; runs, systems, sightings and the
 * processes at an instant, the newest facts (watches).
 *
 * It is also the InfluxDB store's fast suite for mutation testing (`MUTATE_SUITE=influx`,
 * docs/testing.md): one write, then seconds of queries. The contract (test/contract/) says what
 * both stores must answer; this says they agree on far more inputs than the contract spells out.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import type { BatchProcess, FilterQuery, SampleBatch, TimeRange } from "../../server/store/types.ts";
import { freshBucket, influx as influxConnection } from "../support/influx.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const T = Date.parse("2026-04-07T03:00:00Z");

/** A fixed pseudo-random sequence (LCG), so the data set is the same on every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

const SYSTEMS = ["web-1", "web-10", 'db é "x\\y" 50%', "a,b=c d"];
/** A system whose stored (percent-encoded) name sorts elsewhere than its name (see dataSet). */
const ODD = "web-\\";
const NAMES = ["app", "app-1", "app.*", "app 1", "ünï", "worker"];

/** The data set: per system, batches every 5 s with a silence in the middle, and one big batch. */
function dataSet(): SampleBatch[] {
  const rnd = random(42);
  const out: SampleBatch[] = [];
  SYSTEMS.forEach((system, si) => {
    const instants = [
      ...Array.from({ length: 8 }, (_, k) => T + si * 700 + k * 5 * SEC),
      ...Array.from({ length: 4 }, (_, k) => T + si * 700 + 3 * MIN + k * 5 * SEC),
    ];
    instants.forEach((t, k) => {
      const processes: BatchProcess[] = [];
      NAMES.forEach((name, ni) => {
        // not every name in every batch; a pid that changes (restarts) now and then
        if ((ni + k + si) % 4 === 3) return;
        const restarts = Math.floor(k / 5);
        const pid = 100 * (ni + 1) + restarts + (name === "worker" ? k % 2 : 0);
        processes.push({
          pid,
          name,
          cpu_percent: Math.round(rnd() * 4000) / 100,
          memory_percent: Math.round(rnd() * 10_000) / 1000,
          ...(ni % 2 === 0 ? { memory_rss: Math.floor(rnd() * 2 ** 40) } : {}),
          ...(ni !== 1 ? { started_at: T - 10 * MIN + restarts * MIN + ni } : {}),
          ...(ni % 3 === 0 ? { parent_pid: 1 } : {}),
          ...(ni !== 2 ? { user: ni === 4 ? "wéb user" : "root" } : {}),
          ...(ni % 2 === 1 ? { command: `/usr/bin/${name} --flag="a b" \\n\t${"x".repeat(ni * 40)}` } : {}),
          ...(ni !== 5 ? { state: ni === 0 ? "running" : "sleeping" } : {}),
          ...(ni < 3
            ? {
                num_threads: ni + 1,
                cpu_user_seconds: Math.round(rnd() * 1e6) / 100,
                cpu_system_seconds: Math.round(rnd() * 1e5) / 100,
                minor_faults: Math.floor(rnd() * 1e9),
                major_faults: ni,
                memory_vms: Math.floor(rnd() * 2 ** 44),
              }
            : {}),
        });
      });
      out.push({
        system_name: system,
        timestamp: t,
        processes,
        ...(si % 2 === 0 ? { interval_ms: 5000 } : {}),
      });
    });
  });
  // an agent-sized batch: 320 processes, some sharing names, on one system, 2 min in
  out.push({
    system_name: "web-1",
    timestamp: T + 2 * MIN,
    interval_ms: 5000,
    processes: Array.from({ length: 320 }, (_, i) => ({
      pid: 1000 + i,
      name: i % 7 === 0 ? "app" : `p${String(i).padStart(3, "0")}`,
      cpu_percent: (i * 37) % 101,
      memory_percent: ((i * 13) % 1000) / 10,
      started_at: T - i * SEC,
      ...(i % 5 === 0 ? { command: `job ${i}` } : {}),
    })),
  });
  // "web-\\": stored percent-encoded ("web-%5C"), which InfluxDB sorts before "web-1" though its
  // name comes after; one pid three times in one batch (rows 1, 2 and 4 in row order); an interval
  // that changes, stops and comes back
  const odd = (t: number, processes: [number, string][], interval_ms?: number): SampleBatch => ({
    system_name: ODD,
    timestamp: t,
    // a command line with newlines in it (InfluxDB's CSV answers them as CRLF)
    processes: processes.map(([pid, name], i) => ({
      pid,
      name,
      cpu_percent: i,
      memory_percent: pid / 1000,
      ...(pid === 4242 ? { command: `sh -c 'echo ${i}\nexit'\n` } : {}),
    })),
    ...(interval_ms === undefined ? {} : { interval_ms }),
  });
  out.push(
    odd(
      T,
      [
        [4000, "w-a"],
        [4242, "w-b"],
        [4242, "w-c"],
        [4001, "w-d"],
        [4242, "w-e"],
      ],
      5000,
    ),
    odd(T + 5 * SEC, [[4000, "w-a"]], 2000),
    odd(T + 7 * SEC, [[4000, "w-a"]]),
    odd(T + 9 * SEC, [[4000, "w-a"]], 2000),
  );
  return out;
}
const ALL: TimeRange = { start: T - MIN, stop: T + 10 * MIN };
const RANGE_SETS: [string, TimeRange[]][] = [
  ["one range", [ALL]],
  [
    "two disjoint ranges",
    [
      { start: T + 10 * SEC, stop: T + 30 * SEC + 700 },
      { start: T + 2 * MIN, stop: T + 3 * MIN + 10 * SEC },
    ],
  ],
  ["an empty range", [{ start: T + 60 * SEC, stop: T + 90 * SEC }]],
];
const NARROWINGS: Pick<FilterQuery, "system_name" | "process_name" | "pid">[] = [
  {},
  { system_name: "web-1" },
  { process_name: "app" },
  { pid: 101 },
  { pid: 4242 },
  { system_name: 'db é "x\\y" 50%', pid: 600 },
  { process_name: "worker", pid: 601 },
  { system_name: "a,b=c d", process_name: "app.*" },
  { system_name: "web-10", process_name: "app", pid: 100 },
  { system_name: "web-1", process_name: "app" },
  { system_name: "nobody" },
];

let influx: InfluxStore;
let sqlite: SqliteStore;
let dataDir: string;

beforeAll(async () => {
  const conn = await freshBucket("vs");
  influx = new InfluxStore({ ...conn, retentionDays: 30, timeoutMs: 30_000, log: createLogger("silent") });
  await influx.init();
  dataDir = await mkdtemp(join(tmpdir(), "procscope-vs-"));
  sqlite = new SqliteStore({ dataDir, retentionDays: 36_500, log: createLogger("silent") });
  await sqlite.init();
  const batches = dataSet();
  for (let i = 0; i < batches.length; i += 8) {
    const part = batches.slice(i, i + 8);
    const [a, b] = await Promise.all([
      Promise.all(part.map((x) => influx.write(x))),
      Promise.all(part.map((x) => sqlite.write(x))),
    ]);
    expect(a).toEqual(b);
    expect(a).toEqual(part.map((x) => x.processes.length));
  }
  const total = batches.reduce((n, b) => n + b.processes.length, 0);
  expect(total).toBeGreaterThan(500);
  expect((await sqlite.filter({ ranges: [ALL], offset: 0, limit: 1 })).count).toBe(total);
});

afterAll(async () => {
  await influx?.close();
  await sqlite?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("InfluxStore answers as SqliteStore", () => {
  // The data set above is written in beforeAll; mutation testing only mutates code run inside a
  // test, so the write path (init, bucket creation, line protocol, the HTTP write) is also
  // exercised here, on a bucket of its own that init() has to create.
  it("init() creates its buckets with their retention; every batch written reads back as SQLite's", async () => {
    const conn = influxConnection();
    const bucket = `vs-new-${randomUUID().slice(0, 8)}`;
    const fresh = new InfluxStore({
      ...conn,
      bucket,
      retentionDays: 3650,
      timeoutMs: 30_000,
      log: createLogger("silent"),
    });
    await fresh.init();
    const headers = { authorization: `Token ${conn.token}` };
    const rules = async (name: string) => {
      const res = await fetch(`${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${name}`, {
        headers,
      });
      const body = (await res.json()) as {
        buckets?: { retentionRules: { type: string; everySeconds: number }[] }[];
      };
      return body.buckets?.map((b) => b.retentionRules.map((r) => [r.type, r.everySeconds]));
    };
    expect(await rules(bucket)).toEqual([[["expire", 3650 * 86_400]]]);
    expect(await rules(`${bucket}-history`)).toEqual([[["expire", 400 * 86_400]]]);
    await fresh.init(); // a second time finds them
    const batches = dataSet();
    const counts: number[] = [];
    for (const b of batches) counts.push(await fresh.write(b));
    expect(counts).toEqual(batches.map((b) => b.processes.length));
    const all = { ranges: [ALL], offset: 0, limit: 10_000 };
    expect(await fresh.filter(all)).toEqual(await sqlite.filter(all));
    await fresh.close();
  });

  it.each(NARROWINGS.map((n) => [JSON.stringify(n), n] as const))(
    "filter %s: every range set, every page edge",
    async (_, n) => {
      // no ranges at all (a window with no days in it)
      const none = { ...n, ranges: [], offset: 0, limit: 10 };
      expect(await influx.filter(none)).toEqual({ count: 0, rows: [] });
      for (const [what, ranges] of RANGE_SETS) {
        const everything = await sqlite.filter({ ...n, ranges, offset: 0, limit: 10_000 });
        const count = everything.count;
        // where the first range ends: pages across into the next range, and starting just there
        const first = (await sqlite.filter({ ...n, ranges: ranges.slice(0, 1), offset: 0, limit: 1 })).count;
        const pages = [
          [0, 10_000],
          [0, 7],
          [5, 13],
          [Math.max(0, count - 3), 10],
          [count, 5],
          [Math.max(0, first - 2), 5],
          [first, 3],
        ] as const;
        for (const [offset, limit] of pages) {
          const q = { ...n, ranges, offset, limit };
          expect(await influx.filter(q), `${what}, offset ${offset}, limit ${limit}`).toEqual(
            await sqlite.filter(q),
          );
        }
      }
    },
  );

  it("runs of every name on every system, at two run gaps, over the whole time and a cut of it", async () => {
    for (const system_name of SYSTEMS) {
      for (const process_name of [...NAMES, "p007", "none"]) {
        for (const gap_ms of [6 * SEC, 20 * SEC]) {
          for (const range of [ALL, { start: T + 12 * SEC, stop: T + 3 * MIN + 7 * SEC }]) {
            const q = { system_name, process_name, range, gap_ms };
            expect(await influx.duration(q), JSON.stringify(q)).toEqual(await sqlite.duration(q));
          }
        }
      }
    }
  });

  it("systems over the whole time, a cut, and an empty range", async () => {
    for (const range of [ALL, { start: T + 11 * SEC, stop: T + 2 * MIN + 1 }, { start: 0, stop: T - MIN }]) {
      expect(await influx.systems(range)).toEqual(await sqlite.systems(range));
    }
  });

  it("sightings of each name, on one system and on all, in the store's order", async () => {
    const key = (s: { system_name: string; timestamp: number; pid: number }) =>
      `${s.system_name}\u0000${String(s.timestamp).padStart(16, "0")}\u0000${s.pid}`;
    for (const process_name of [...NAMES, "p319", "w-a"]) {
      for (const system_name of [undefined, "web-1", "a,b=c d", ODD]) {
        for (const range of [ALL, { start: T + 3 * MIN, stop: T + 4 * MIN }]) {
          const q = { process_name, system_name, range };
          const [a, b] = await Promise.all([influx.sightings(q), sqlite.sightings(q)]);
          const sorted = (xs: typeof a) =>
            [...xs].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
          expect(sorted(a), JSON.stringify(q)).toEqual(sorted(b));
        }
      }
    }
  });

  it("the newest facts of every system and name (watches), over the whole time and a cut", async () => {
    const sortedBy = <T>(xs: T[], key: (x: T) => string) =>
      [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    for (const range of [ALL, { start: T + 11 * SEC, stop: T + 2 * MIN + 1 }, { start: 0, stop: T - MIN }]) {
      const [a, b] = await Promise.all([influx.latest(range), sqlite.latest(range)]);
      expect(sortedBy(a.systems, (x) => x.system_name)).toEqual(sortedBy(b.systems, (x) => x.system_name));
      const nk = (x: { system_name: string; name: string }) => `${x.system_name}\u0000${x.name}`;
      expect(sortedBy(a.names, nk)).toEqual(sortedBy(b.names, nk));
      if (range === ALL) expect(b.names.length).toBeGreaterThan(20);
    }
  });

  it("the processes at an instant: exactly at a sample, between, before the first; all, or the top few", async () => {
    for (const system_name of [...SYSTEMS, ODD, "nobody"]) {
      for (const at of [T - 1, T, T + 2 * MIN, T + 2 * MIN + 1, T + 7 * SEC, T + 9 * MIN]) {
        for (const pick of [
          undefined,
          { sort: "cpu", top: 3 },
          { sort: "memory", top: 1 },
          { sort: "name", top: 400 },
        ] as const) {
          expect(await influx.sampleAt(system_name, at, pick), `${system_name} at ${at - T}`).toEqual(
            await sqlite.sampleAt(system_name, at, pick),
          );
        }
      }
    }
  });
});
