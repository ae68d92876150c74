/**
 * Which answers server/history/query.ts takes from stored stretches and which from raw samples, at
 * the edges its first mutation run found untested (docs/testing.md), on a real SQLite file: a range
 * whose edges cut stretches of several systems (starts and ends that differ, a third system inside
 * the edge re-read, a stretch starting exactly at the start, one ending exactly at the stop, one
 * after the stop in the same day), raw days on both sides of a compacted one, and a range inside a
 * day once its raw samples are gone (a stretch counts whole when it starts inside the range).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { durationFacts, processRuns } from "../../../server/history/query.ts";
import { createLogger } from "../../../server/log.ts";
import { SqliteStore } from "../../../server/store/sqlite/store.ts";
import type {
  DurationQuery,
  ProcessStore,
  SampleBatch,
  SightingsQuery,
  TimeRange,
} from "../../../server/store/types.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const D = Date.parse("2026-04-01T00:00:00Z");
const rules = { default_gap_ms: 15 * SEC, crash_loop_restarts: 3, crash_loop_window_ms: 10 * MIN };

let dataDir: string | undefined;
let store: SqliteStore | undefined;
let clock = 0;
afterEach(async () => {
  await store?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  store = undefined;
  dataDir = undefined;
});
const open = async (retentionDays = 36_500) => {
  dataDir = await mkdtemp(join(tmpdir(), "procscope-history-query-"));
  store = new SqliteStore({
    dataDir,
    retentionDays,
    historyGraceMs: 0,
    log: createLogger("silent"),
    now: () => clock,
  });
  return store;
};

/** "svc" (pid, started_at) on a system every 5 s from `from` to `to` (both included), with a neighbour. */
const life = (system_name: string, from: number, to: number, pid: number): SampleBatch[] => {
  const out: SampleBatch[] = [];
  for (let t = from; t <= to; t += 5 * SEC) {
    out.push({
      system_name,
      timestamp: t,
      interval_ms: 5000,
      processes: [
        { pid, name: "svc", cpu_percent: 1, memory_percent: 1, started_at: from - SEC },
        { pid: pid + 1, name: "other", cpu_percent: 1, memory_percent: 1 },
      ],
    });
  }
  return out;
};
/**
 * The store, with what it is asked recorded: each raw read (sightings: "system start..stop", ms
 * from D, "*" for every system) and each duration query (the store's own answer from raw samples).
 */
const recording = (real: SqliteStore) => {
  const reads: string[] = [];
  const durations: string[] = [];
  const store = new Proxy(real, {
    get(target, key) {
      if (key === "sightings")
        return (q: SightingsQuery) => {
          reads.push(`${q.system_name ?? "*"} ${q.range.start - D}..${q.range.stop - D}`);
          return target.sightings(q);
        };
      if (key === "duration")
        return (q: DurationQuery) => {
          durations.push(q.system_name);
          return target.duration(q);
        };
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  }) as ProcessStore;
  /** The raw reads processRuns() makes (in any order: they run at once). */
  const runReads = async (range: TimeRange) => {
    reads.length = 0;
    await processRuns(store, { process_name: "svc", range }, rules);
    return [...reads].sort();
  };
  return { store, reads, durations, runReads };
};
const writeAll = async (s: SqliteStore, batches: SampleBatch[]) => {
  for (const b of batches) await s.write(b);
};
/** Runs and duration of svc, per system, in the range: what a range answer is made of. */
const answer = async (s: ProcessStore, range: TimeRange, systems: string[]) => ({
  runs: (await processRuns(s, { process_name: "svc", range }, rules)).map((x) => ({
    system: x.system_name,
    runs: x.runs.map((r) => [r.start - D, r.end - D, r.samples, r.instances.map((i) => i.pid)]),
    instances: x.instances.map((i) => [i.pid, i.first_seen - D, i.last_seen - D, i.samples]),
  })),
  duration: await Promise.all(
    systems.map(async (system_name) => {
      const f = await durationFacts(s, { process_name: "svc", system_name, range, gap_ms: 15 * SEC });
      return f && { ...f, runs: f.runs.map((r) => [r.start - D, r.end - D, r.pids]) };
    }),
  ),
});

describe("history queries: stored stretches and raw samples", () => {
  it("a range that cuts stretches of several systems at both edges answers as from raw samples", async () => {
    const s = await open();
    clock = D + 12 * HOUR;
    const range = { start: D + HOUR, stop: D + 2 * HOUR };
    await writeAll(s, [
      // a: across the start, then 30 s later again (still inside b's re-read), inside, a stretch
      // 25 s before one across the stop (inside its re-read from b's earlier start), after the stop
      ...life("a", D + HOUR - MIN, D + HOUR + MIN, 10),
      ...life("a", D + HOUR + 90 * SEC, D + HOUR + 100 * SEC, 10),
      ...life("a", D + HOUR + 10 * MIN, D + HOUR + 11 * MIN, 10),
      ...life("a", D + 2 * HOUR - MIN, D + 2 * HOUR - 55 * SEC, 10),
      ...life("a", D + 2 * HOUR - 30 * SEC, D + 2 * HOUR + 30 * SEC, 10),
      ...life("a", D + 3 * HOUR, D + 3 * HOUR + 20 * SEC, 10),
      // b: across the start (starting later, ending later than a's), across the stop (earlier)
      ...life("b", D + HOUR - 20 * SEC, D + HOUR + 2 * MIN, 20),
      ...life("b", D + 2 * HOUR - 90 * SEC, D + 2 * HOUR + 5 * SEC, 20),
      // c: exactly at the start, inside the start edge's re-read, across the stop
      ...life("c", D + HOUR, D + HOUR + 10 * SEC, 30),
      ...life("c", D + HOUR + 30 * SEC, D + HOUR + 40 * SEC, 30),
      ...life("c", D + 2 * HOUR - 10 * SEC, D + 2 * HOUR + 10 * SEC, 30),
      // d: its last sighting exactly at the stop; e: from exactly the start to past the stop
      ...life("d", D + 2 * HOUR - 20 * SEC, D + 2 * HOUR, 40),
      ...life("e", D + HOUR, D + 2 * HOUR + 5 * SEC, 50),
    ]);
    const systems = ["a", "b", "c", "d", "e"];
    const rec = recording(s);
    const fromRaw = await answer(rec.store, range, systems);
    expect(rec.durations).toEqual(systems); // nothing compacted: the store's own duration query
    expect(await rec.runReads(range)).toEqual([`* ${HOUR}..${2 * HOUR}`]);
    // the range cuts what it says it cuts
    expect(fromRaw.runs.find((x) => x.system === "a")?.runs).toEqual([
      [HOUR, HOUR + MIN, 13, [10]],
      [HOUR + 90 * SEC, HOUR + 100 * SEC, 3, [10]],
      [HOUR + 10 * MIN, HOUR + 11 * MIN, 13, [10]],
      [2 * HOUR - MIN, 2 * HOUR - 55 * SEC, 2, [10]],
      [2 * HOUR - 30 * SEC, 2 * HOUR - 5 * SEC, 6, [10]],
    ]);
    expect(fromRaw.runs.find((x) => x.system === "d")?.runs).toEqual([
      [2 * HOUR - 20 * SEC, 2 * HOUR - 5 * SEC, 4, [40]],
    ]);
    expect(fromRaw.runs.map((x) => x.system)).toEqual(systems);

    clock = D + DAY + HOUR;
    await s.compactHistory();
    expect((await s.history({ process_name: "svc", range })).days).toEqual([D]);
    rec.durations.length = 0;
    expect(await answer(rec.store, range, systems)).toEqual(fromRaw);
    expect(rec.durations).toEqual([]);
    // only the stretches across an edge are re-read, within the range: across the start a's and
    // b's (to b's end), across the stop b's from its start (e from the range's start)
    expect(await rec.runReads(range)).toEqual([`* ${HOUR}..${HOUR + 2 * MIN + 1}`, `* ${HOUR}..${2 * HOUR}`]);
    // one system's edges name it
    rec.reads.length = 0;
    await durationFacts(rec.store, { process_name: "svc", system_name: "b", range, gap_ms: 15 * SEC });
    expect(rec.reads.sort()).toEqual([
      `b ${HOUR}..${HOUR + 2 * MIN + 1}`,
      `b ${2 * HOUR - 90 * SEC}..${2 * HOUR}`,
    ]);
  });

  it("raw days on both sides of a compacted one are read apart; a day a late batch reopened is read raw", async () => {
    const s = await open();
    clock = D + 2 * DAY + HOUR;
    await writeAll(s, [
      ...life("z", D + 5 * HOUR, D + 5 * HOUR + 10 * SEC, 1),
      ...life("z", D + DAY + 5 * HOUR, D + DAY + 5 * HOUR + 10 * SEC, 1),
    ]);
    const rec = recording(s);
    // three raw days next to each other: one read
    expect(await rec.runReads({ start: D, stop: D + 3 * DAY })).toEqual([`* 0..${3 * DAY}`]);
    await s.compactHistory();
    // a late batch reopens the first day; the third is not finished; a system only in raw days
    await writeAll(s, [
      ...life("z", D + 6 * HOUR, D + 6 * HOUR, 1),
      ...life("z", D + 2 * DAY + 5 * HOUR, D + 2 * DAY + 5 * HOUR + 5 * SEC, 1),
      ...life("y", D + 2 * DAY + 6 * HOUR, D + 2 * DAY + 6 * HOUR, 2),
    ]);
    const range = { start: D, stop: D + 3 * DAY };
    expect((await s.history({ process_name: "svc", range })).days).toEqual([D + DAY]);
    expect(await rec.runReads(range)).toEqual([`* 0..${DAY}`, `* ${2 * DAY}..${3 * DAY}`]);
    expect(await rec.runReads({ start: D, stop: D + 2 * DAY })).toEqual([`* 0..${DAY}`]);
    const got = await answer(rec.store, range, ["z"]);
    expect(got.runs).toEqual([
      {
        system: "y",
        runs: [[2 * DAY + 6 * HOUR, 2 * DAY + 6 * HOUR, 1, [2]]],
        instances: [[2, 2 * DAY + 6 * HOUR, 2 * DAY + 6 * HOUR, 1]],
      },
      {
        system: "z",
        runs: [
          [5 * HOUR, 5 * HOUR + 10 * SEC, 3, [1]],
          [6 * HOUR, 6 * HOUR, 1, [1]],
          [DAY + 5 * HOUR, DAY + 5 * HOUR + 10 * SEC, 3, [1]],
          [2 * DAY + 5 * HOUR, 2 * DAY + 5 * HOUR + 5 * SEC, 2, [1]],
        ],
        // each life started anew (its own started_at): four instances
        instances: [
          [1, 5 * HOUR, 5 * HOUR + 10 * SEC, 3],
          [1, 6 * HOUR, 6 * HOUR, 1],
          [1, DAY + 5 * HOUR, DAY + 5 * HOUR + 10 * SEC, 3],
          [1, 2 * DAY + 5 * HOUR, 2 * DAY + 5 * HOUR + 5 * SEC, 2],
        ],
      },
    ]);
    expect(got.duration[0]?.runs).toEqual([
      [5 * HOUR, 5 * HOUR + 10 * SEC, [1]],
      [6 * HOUR, 6 * HOUR, [1]],
      [DAY + 5 * HOUR, DAY + 5 * HOUR + 10 * SEC, [1]],
      [2 * DAY + 5 * HOUR, 2 * DAY + 5 * HOUR + 5 * SEC, [1]],
    ]);
  });

  it("raw samples gone: inside a day, a stretch counts whole when it starts in the range, else not at all", async () => {
    const s = await open(1);
    clock = D + 12 * HOUR;
    const range = { start: D + HOUR, stop: D + 2 * HOUR };
    await writeAll(s, [
      // x: across the start (not counted), inside, across the stop (whole), after the stop
      ...life("x", D + HOUR - 30 * SEC, D + HOUR + 30 * SEC, 10),
      ...life("x", D + HOUR + 10 * MIN, D + HOUR + 10 * MIN + 10 * SEC, 10),
      ...life("x", D + 2 * HOUR - 10 * SEC, D + 2 * HOUR + 10 * SEC, 10),
      ...life("x", D + 3 * HOUR, D + 3 * HOUR + 10 * SEC, 10),
      // y: from exactly the start to past the stop (whole); z: from exactly the stop (not counted)
      ...life("y", D + HOUR, D + 2 * HOUR + 10 * SEC, 20),
      ...life("z", D + 2 * HOUR, D + 2 * HOUR + 10 * SEC, 30),
    ]);
    clock = D + 2 * DAY + HOUR;
    await s.compactHistory();
    await s.deleteExpired(clock);
    const h = await s.history({ process_name: "svc", range });
    expect([h.days, h.raw_from]).toEqual([[D], D + DAY]);
    expect(await s.sightings({ process_name: "svc", range: { start: D, stop: D + DAY } })).toEqual([]);
    const got = await answer(s, range, ["x", "y", "z"]);
    expect(got.runs).toEqual([
      {
        system: "x",
        runs: [
          [HOUR + 10 * MIN, HOUR + 10 * MIN + 10 * SEC, 3, [10]],
          [2 * HOUR - 10 * SEC, 2 * HOUR + 10 * SEC, 5, [10]],
        ],
        instances: [
          [10, HOUR + 10 * MIN, HOUR + 10 * MIN + 10 * SEC, 3],
          [10, 2 * HOUR - 10 * SEC, 2 * HOUR + 10 * SEC, 5],
        ],
      },
      {
        system: "y",
        runs: [[HOUR, 2 * HOUR + 10 * SEC, 723, [20]]],
        instances: [[20, HOUR, 2 * HOUR + 10 * SEC, 723]],
      },
    ]);
    expect(got.duration.map((f) => (f === null ? null : f.runs))).toEqual([
      [
        [HOUR + 10 * MIN, HOUR + 10 * MIN + 10 * SEC, [10]],
        [2 * HOUR - 10 * SEC, 2 * HOUR + 10 * SEC, [10]],
      ],
      [[HOUR, 2 * HOUR + 10 * SEC, [20]]],
      null,
    ]);
  });

  it("a stretch starting exactly where raw samples start is re-read from them at an edge", async () => {
    const s = await open(1);
    clock = D + 12 * HOUR;
    await writeAll(s, life("w", D, D + MIN, 5));
    clock = D + DAY + HOUR; // raw samples kept from D on
    await s.compactHistory();
    const range = { start: D, stop: D + 30 * SEC };
    const h = await s.history({ process_name: "svc", range });
    expect([h.days, h.raw_from]).toEqual([[D], D]);
    const rec = recording(s);
    expect(await rec.runReads(range)).toEqual([`w 0..${30 * SEC}`]);
    const got = await answer(s, range, ["w"]);
    expect(got.runs).toEqual([
      { system: "w", runs: [[0, 25 * SEC, 6, [5]]], instances: [[5, 0, 25 * SEC, 6]] },
    ]);
    expect(got.duration[0]?.runs).toEqual([[0, 25 * SEC, [5]]]);
  });

  it("reads no raw samples for stretches that end before the range or start at its stop", async () => {
    const s = await open();
    clock = D + 12 * HOUR;
    const range = { start: D + HOUR, stop: D + 2 * HOUR };
    await writeAll(s, [
      ...life("v", D + 30 * MIN, D + 30 * MIN + 10 * SEC, 1),
      ...life("v", D + 90 * MIN, D + 90 * MIN + 10 * SEC, 1),
      ...life("v", D + 2 * HOUR, D + 2 * HOUR + 10 * SEC, 1),
    ]);
    const rec = recording(s);
    const fromRaw = await answer(rec.store, range, ["v"]);
    expect(fromRaw.runs).toEqual([
      {
        system: "v",
        runs: [[90 * MIN, 90 * MIN + 10 * SEC, 3, [1]]],
        instances: [[1, 90 * MIN, 90 * MIN + 10 * SEC, 3]],
      },
    ]);
    clock = D + DAY + HOUR;
    await s.compactHistory();
    expect(await answer(rec.store, range, ["v"])).toEqual(fromRaw);
    expect(await rec.runReads(range)).toEqual([]);
  });
});
