/**
 * InfluxDB history's compaction reads a system-day from the `row` series (server/store/influx/
 * history.ts): untimed rows placed by the batch points, or, where they do not add up, timed rows
 * matched by time. Both must give exactly the stretches that compacting the `sample` series'
 * sightings gives (what the raw path answers), with awkward names (quotes, commas, backslashes, a
 * name the start of the next, a name the next one's CSV cell, non-ASCII and astral characters in code-point order), same-named
 * processes, pid reuse, interval changes, processes without started_at, and several systems read
 * in one query, two queries at a time. And where
 * two different batches claimed one instant, the day holds the sample in force there (the later
 * batch, as processes-at answers), not rows left over from the earlier one.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { compact, type Stretch } from "../../server/store/stretches.ts";
import type { BatchProcess, SampleBatch } from "../../server/store/types.ts";
import { freshBucket } from "../support/influx.ts";

const DAY = 86_400_000;
const D = Date.UTC(2026, 1, 10);
const GAP = 15_000;
const NAMES = [
  // a name that is the next one's CSV cell ("a,b" quoted), right before it in code-point order
  '"a,b"',
  "a,b",
  'q"uote',
  "back\\slash\\",
  "per%25cent",
  "pre",
  "prefix",
  "sp ace=eq",
  "größe",
  "😀x",
  "\uE000y",
  "zz",
];

const proc = (pid: number, name: string, started_at?: number): BatchProcess => ({
  pid,
  name,
  cpu_percent: 1,
  memory_percent: 1,
  ...(started_at === undefined ? {} : { started_at }),
});

/** A system's batches of one day: a 5 s agent, then a silence, then 60 s, then an old client. */
function day(system: string, day0: number, withoutStart: boolean, oldClient = false): SampleBatch[] {
  const out: SampleBatch[] = [];
  const times = [
    ...Array.from({ length: 12 }, (_, k) => ({ t: day0 + 3_600_000 + k * 5000, iv: 5000 })),
    ...Array.from({ length: 6 }, (_, k) => ({ t: day0 + 7_200_000 + k * 60_000, iv: 60_000 })),
    ...Array.from({ length: 4 }, (_, k) => ({ t: day0 + 9_000_000 + k * 15_000, iv: undefined })),
  ];
  times.forEach(({ t, iv }, k) => {
    const processes = NAMES.filter((_, n) => (n + k) % 5 !== 0).map((name, n) =>
      proc(100 + n, name, day0 + n),
    );
    // three same-named workers; the second one recycled (a new pid) every 4th sample
    processes.push(
      proc(300, "worker", day0),
      proc(k % 4 === 3 ? 400 + k : 301, "worker", k % 4 === 3 ? t - 1 : day0 + 1),
      proc(302, "worker", day0 + 2),
    );
    // pid 100 reused by another name in the second half
    if (k > 12) processes.push(proc(100 + NAMES.length, "reuser", t - 10));
    if (withoutStart && k % 7 === 2) processes.push(proc(55, "nostart"));
    if (oldClient) for (const p of processes) delete p.started_at;
    out.push({
      system_name: system,
      timestamp: t,
      ...(iv === undefined ? {} : { interval_ms: iv }),
      processes,
    });
  });
  return out;
}

describe("InfluxDB history compaction on the real InfluxDB", () => {
  let store: InfluxStore;
  let conn: Awaited<ReturnType<typeof freshBucket>>;
  const systems = ["plain", "we,ird\\sys", "nostart", "old"];
  const all = [
    ...day("plain", D, false),
    ...day("we,ird\\sys", D, false),
    ...day("nostart", D, true),
    ...day("old", D, false, true),
    ...day("plain", D + DAY, false),
  ];

  beforeAll(async () => {
    conn = await freshBucket("hist-compact");
    store = new InfluxStore({
      ...conn,
      retentionDays: 4000,
      timeoutMs: 30_000,
      historyIntervalMs: 0,
      log: createLogger("silent"),
    });
    await store.init();
    for (const b of all) await store.write(b);
    // the known edge: a second, smaller batch for an instant that had a larger one
    await store.write({
      system_name: "edge",
      timestamp: D + 1000,
      processes: [proc(1, "x", D), proc(2, "y", D), proc(3, "z", D)],
    });
    await store.write({ system_name: "edge", timestamp: D + 1000, processes: [proc(4, "w", D)] });
    await store.write({ system_name: "edge", timestamp: D + 2000, processes: [proc(4, "w", D)] });
  }, 120_000);

  // compacted in each test's hook, not in beforeAll: mutation testing switches a mutant on per
  // test (docs/testing.md), and compaction is what these tests judge; after the first, the days
  // are done and a pass only reads the marks
  beforeEach(async () => {
    await store.compactHistory({ start: D, stop: D + 2 * DAY });
  });

  afterAll(async () => {
    await store?.close();
  });

  const names = [...NAMES, "worker", "reuser", "nostart"];

  it("keeps, per system, name and day, exactly the stretches of the raw sightings", async () => {
    let compared = 0;
    for (const system of systems) {
      for (const d of system === "plain" ? [D, D + DAY] : [D]) {
        const range = { start: d, stop: d + DAY };
        for (const name of names) {
          const stored = await store.history({ process_name: name, system_name: system, range });
          expect(stored.days).toContain(d);
          const raw = await store.sightings({ process_name: name, system_name: system, range });
          const want: Stretch[] = raw.length > 0 ? compact(system, raw, GAP) : [];
          expect(stored.stretches.filter((s) => s.start >= d && s.start < d + DAY)).toEqual(want);
          compared += want.length;
        }
      }
    }
    // the data is what it claims: every name seen, in several stretches (the silences cut them)
    expect(compared).toBeGreaterThan(100);
    const worker = await store.history({
      process_name: "worker",
      system_name: "plain",
      range: { start: D, stop: D + DAY },
    });
    expect(worker.stretches.map((s) => [s.start - D, s.end - D, s.samples])).toEqual([
      [3_600_000, 3_655_000, 12],
      // 60 s apart is more than RUN_GAP_SECONDS: a stretch each (cut at min(15 s, 3 intervals))
      ...[0, 1, 2, 3, 4, 5].map((k) => [7_200_000 + k * 60_000, 7_200_000 + k * 60_000, 1]),
      [9_000_000, 9_045_000, 4],
    ]);
    expect(worker.stretches[0]?.pids.map(([pid]) => pid)).toEqual([300, 301, 302, 403, 407, 411]);
    const quirky = await store.history({
      process_name: "\uE000y",
      system_name: "we,ird\\sys",
      range: { start: D, stop: D + DAY },
    });
    expect(quirky.stretches[0]?.system_name).toBe("we,ird\\sys");
    const nostart = await store.history({
      process_name: "nostart",
      system_name: "nostart",
      range: { start: D, stop: D + DAY },
    });
    expect(nostart.stretches.flatMap((s) => s.pids.map(([pid, started]) => [pid, started]))).toEqual([
      [55, null],
      [55, null],
      [55, null],
    ]);
  });

  it("keeps null started_at for an old client that sends none", async () => {
    const old = await store.history({
      process_name: "worker",
      system_name: "old",
      range: { start: D, stop: D + DAY },
    });
    expect(old.stretches.length).toBe(8);
    expect(new Set(old.stretches.flatMap((s) => s.pids.map(([, started]) => started)))).toEqual(
      new Set([null]),
    );
  });

  it("keeps the sample in force at an instant two batches claimed, not the first one's leftovers", async () => {
    const range = { start: D, stop: D + DAY };
    const at = await store.sampleAt("edge", D + 1000);
    expect(at?.processes.map((p) => p.name)).toEqual(["w"]);
    const w = await store.history({ process_name: "w", system_name: "edge", range });
    expect(w.stretches.map((s) => [s.start - D, s.end - D, s.samples, s.pids])).toEqual([
      [1000, 2000, 2, [[4, D, D + 1000, D + 2000, 2]]],
    ]);
    for (const gone of ["x", "y", "z"]) {
      expect((await store.history({ process_name: gone, system_name: "edge", range })).stretches).toEqual([]);
    }
  });

  it("reads records the release before wrote (absolute started_at, no reference back) as they are", async () => {
    const range = { start: D, stop: D + DAY };
    const now = await store.history({ process_name: "worker", system_name: "plain", range });
    // the worker's day has one-instant stretches and whole ones
    expect(now.stretches.filter((s) => s.samples === 1).length).toBeGreaterThan(3);
    expect(now.stretches.filter((s) => s.samples > 1).length).toBeGreaterThan(0);
    // the record as that release wrote it: one-instant stretches as [Δstart, iv, [pid, started_at, …]]
    const base = (now.stretches[0] as Stretch).start;
    const old = now.stretches.map((s) =>
      s.samples === 1
        ? [s.start - base, s.iv_first ?? 0, s.pids.flatMap((span) => span.slice(0, 2))]
        : [
            s.start - base,
            s.end - base,
            s.samples,
            s.iv_first ?? 0,
            s.iv_last ?? 0,
            s.pids.flatMap(([pid, started, first, last, n]) => [pid, started, first - base, last - base, n]),
          ],
    );
    const res = await fetch(
      `${conn.url}/api/v2/write?${new URLSearchParams({ org: conn.org, bucket: store.historyBucket, precision: "ms" })}`,
      {
        method: "POST",
        headers: { authorization: `Token ${conn.token}` },
        body: `stretch,name=worker,system=legacy v="${JSON.stringify(old)}" ${base}\n`,
      },
    );
    expect(res.status).toBe(204);
    const legacy = await store.history({ process_name: "worker", system_name: "legacy", range });
    expect(legacy.stretches).toEqual(now.stretches.map((s) => ({ ...s, system_name: "legacy" })));
  });
});
