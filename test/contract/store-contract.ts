/**
 * The storage contract as behaviour: one suite, run unchanged against every ProcessStore
 * (test/contract/influx.test.ts, test/contract/sqlite.test.ts). Same inputs, same outputs; a
 * difference between two stores is a bug in one of them. If a behaviour is not here, it is not
 * part of the contract.
 *
 * Every test gets a new, empty store from the factory and uses fixed historical instants, so the
 * results do not depend on when or where the suite runs.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { durationFacts, processRuns, sampleInForce } from "../../server/history/query.ts";
import type { HistoryRun, SystemRuns } from "../../server/store/runs.ts";
import type {
  BatchProcess,
  FilterQuery,
  ProcessStore,
  SampleBatch,
  Sighting,
  StoredSample,
  TimeRange,
} from "../../server/store/types.ts";
import { parseTimeOfDay, windowsBetween } from "../../server/timewindow.ts";
import { watchContract } from "./watch-contract.ts";

export type StoreFactory = () => Promise<{
  store: ProcessStore;
  cleanup: () => Promise<void>;
  /** Compacts every finished UTC day before `before` into history, as the server does. */
  compact: (before: number) => Promise<void>;
  /** Makes every raw sample before `before` (a UTC midnight) gone, as retention does. */
  expire: (before: number) => Promise<void>;
}>;

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string): number => Date.parse(iso);

/** A process with only the required fields. */
const proc = (pid: number, name: string, extra: Partial<BatchProcess> = {}): BatchProcess => ({
  pid,
  name,
  cpu_percent: 1.5,
  memory_percent: 0.25,
  ...extra,
});

const batch = (system_name: string, timestamp: number, processes: BatchProcess[]): SampleBatch => ({
  system_name,
  timestamp,
  processes,
});

/** The stored form of a written process. */
const stored = (system_name: string, timestamp: number, p: BatchProcess): StoredSample => ({
  system_name,
  timestamp,
  ...p,
});

/** Writes batches a few at a time (InfluxDB is over HTTP; order does not matter to the contract). */
async function writeAll(store: ProcessStore, batches: SampleBatch[]): Promise<void> {
  for (let i = 0; i < batches.length; i += 16) {
    await Promise.all(batches.slice(i, i + 16).map((b) => store.write(b)));
  }
}

/** Every instant from `from` to `to` inclusive, `step` apart. */
function every(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
}

const inRanges = (t: number, ranges: TimeRange[]) => ranges.some((r) => t >= r.start && t < r.stop);

/** Code-point (UTF-8 byte) order: the order of names in filter results. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The documented row order: timestamp, system_name, name, then pid numerically. */
function rowOrder(a: StoredSample, b: StoredSample): number {
  return (
    a.timestamp - b.timestamp ||
    byCodePoint(a.system_name, b.system_name) ||
    byCodePoint(a.name, b.name) ||
    a.pid - b.pid
  );
}

/** Names that need escaping somewhere (line protocol, Flux, SQL, URLs); all must round-trip. */
export const AWKWARD_NAMES = [
  'a"b',
  "x\\",
  "\\",
  "a\\\\b",
  "C:\\Windows\\System32\\svchost.exe",
  '") |> drop(columns: ["_value"]) //',
  "name with spaces, commas=1",
  " leading and trailing ",
  "=",
  "it's",
  "'; DROP TABLE samples; --",
  "emoji 🚀🔥",
  "Grüße, 東京, Ελλάδα",
  "line\u2028separator\u00a0nbsp",
  "%2F%20+&?#",
];

export function storeContract(label: string, factory: StoreFactory): void {
  describe(`ProcessStore contract: ${label}`, () => {
    let store: ProcessStore;
    let cleanup: () => Promise<void>;
    let compactBefore: (before: number) => Promise<void>;
    let expireBefore: (before: number) => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup, compact: compactBefore, expire: expireBefore } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    watchContract(() => store);

    const filterAll = (ranges: TimeRange[], narrow: Partial<FilterQuery> = {}) =>
      store.filter({ ranges, offset: 0, limit: 10_000, ...narrow });

    // ---------------------------------------------------------------- write → filter round trip

    describe("write then filter", () => {
      const t = at("2026-03-02T10:00:00.123Z");
      const range = { start: at("2026-03-02T00:00:00Z"), stop: at("2026-03-03T00:00:00Z") };

      it("returns every field as written, the optional extras included, and write counts the samples", async () => {
        const full = proc(4242, "postgres", {
          cpu_percent: 12.345678901234,
          memory_percent: 99.5,
          memory_rss: 17_179_869_184,
          started_at: at("2026-03-01T23:59:58.987Z"),
          user: "postgres ünïcode",
          command: 'postgres -D "/var/lib/pg data" \\\nsecond line\ttab \\',
          state: "sleeping",
          parent_pid: 1,
          // the optional /proc/<pid>/stat facts: counters past 2^32, fractional seconds
          num_threads: 64,
          cpu_user_seconds: 123_456.78,
          cpu_system_seconds: 0.01,
          minor_faults: 9_876_543_210,
          major_faults: 3,
          memory_vms: 140_737_488_355_328,
        });
        const bare = proc(7, "init", { cpu_percent: 0, memory_percent: 0 });
        expect(await store.write(batch("db-1", t, [full, bare]))).toBe(2);

        const result = await filterAll([range]);
        expect(result.count).toBe(2);
        expect(result.rows).toEqual([stored("db-1", t, bare), stored("db-1", t, full)]); // "init" < "postgres"
      });

      it("reads absent extras back as undefined, not as null, zero or empty", async () => {
        await store.write(batch("s", t, [proc(1, "bare")]));
        const [row] = (await filterAll([range])).rows;
        for (const key of [
          "memory_rss",
          "started_at",
          "user",
          "command",
          "state",
          "parent_pid",
          "num_threads",
          "cpu_user_seconds",
          "cpu_system_seconds",
          "minor_faults",
          "major_faults",
          "memory_vms",
        ] as const) {
          expect(row?.[key], key).toBeUndefined();
        }
      });

      it("keeps zero-valued numeric extras", async () => {
        const p = proc(3, "zeros", {
          memory_rss: 0,
          started_at: 0,
          parent_pid: 0,
          num_threads: 0,
          cpu_user_seconds: 0,
          cpu_system_seconds: 0,
          minor_faults: 0,
          major_faults: 0,
          memory_vms: 0,
        });
        await store.write(batch("s", t, [p]));
        expect((await filterAll([range])).rows).toEqual([stored("s", t, p)]);
      });

      it("does not store empty strings: they read back as absent", async () => {
        await store.write(batch("s", t, [proc(1, "empty", { user: "", command: "", state: "" })]));
        const [row] = (await filterAll([range])).rows;
        expect(row?.user).toBeUndefined();
        expect(row?.command).toBeUndefined();
        expect(row?.state).toBeUndefined();
      });

      it("drops carriage returns from string fields and keeps every other character", async () => {
        const command = 'sh -c "a\r\nb\rc\nd"\t\u0001 \\';
        await store.write(batch("s", t, [proc(1, "crlf", { command }), proc(2, "cr", { command: "\r" })]));
        const rows = (await filterAll([range])).rows;
        expect(rows.map((r) => [r.name, r.command])).toEqual([
          ["cr", undefined],
          ["crlf", 'sh -c "a\nbc\nd"\t\u0001 \\'],
        ]);
      });

      it("keeps processes sharing a name at one instant apart by pid", async () => {
        const workers = [101, 102, 103].map((pid) => proc(pid, "nginx: worker", { cpu_percent: pid / 10 }));
        await store.write(batch("web", t, workers));
        const result = await filterAll([range]);
        expect(result.count).toBe(3);
        expect(result.rows).toEqual(workers.map((p) => stored("web", t, p)));
      });

      it("keeps the same pid apart across systems and across names", async () => {
        await store.write(batch("a", t, [proc(5, "one"), proc(5, "two")]));
        await store.write(batch("b", t, [proc(5, "one")]));
        const rows = (await filterAll([range])).rows.map((r) => [r.system_name, r.name, r.pid]);
        expect(rows).toEqual([
          ["a", "one", 5],
          ["a", "two", 5],
          ["b", "one", 5],
        ]);
      });

      it("is idempotent: rewriting a batch with the same timestamp changes nothing", async () => {
        const b = batch("s", t, [proc(1, "a", { memory_rss: 10 }), proc(2, "b")]);
        await store.write(b);
        const before = await filterAll([range]);
        await store.write(b);
        await store.write(b);
        const after = await filterAll([range]);
        expect(after.count).toBe(2);
        expect(after).toEqual(before);
      });

      it("lets a rewrite replace the values it carries and keep the extras it lacks (a point merge)", async () => {
        await store.write(batch("s", t, [proc(1, "a", { memory_rss: 10, user: "root", cpu_percent: 1 })]));
        await store.write(batch("s", t, [proc(1, "a", { cpu_percent: 2, state: "running" })]));
        expect((await filterAll([range])).rows).toEqual([
          stored("s", t, proc(1, "a", { cpu_percent: 2, memory_rss: 10, user: "root", state: "running" })),
        ]);
      });
    });

    // ---------------------------------------------------------------- time ranges

    describe("time ranges", () => {
      it("includes the start of a range and excludes its stop", async () => {
        const start = at("2026-03-03T12:00:00Z");
        const stop = at("2026-03-03T13:00:00Z");
        const times = [start - 1, start, start + 1, stop - 1, stop, stop + 1];
        await writeAll(
          store,
          times.map((ts) => batch("s", ts, [proc(1, "p")])),
        );
        const result = await filterAll([{ start, stop }]);
        expect(result.rows.map((r) => r.timestamp)).toEqual([start, start + 1, stop - 1]);
        expect(result.count).toBe(3);
      });

      it("unions several disjoint ranges: a window across midnight on several days", async () => {
        const from = at("2026-03-04T00:00:00Z");
        const to = at("2026-03-08T00:00:00Z");
        const ranges = windowsBetween(
          { start: parseTimeOfDay("22:00"), end: parseTimeOfDay("02:00"), zone: "UTC" },
          from,
          to,
        );
        expect(ranges).toHaveLength(5); // [00:00, 02:00) on the 4th, then 22:00 → 02:00 four times (the last clipped)
        const times = every(from - HOUR, to + HOUR, 30 * MIN);
        await writeAll(
          store,
          times.map((ts) => batch("s", ts, [proc(1, "p")])),
        );
        const expected = times.filter((ts) => inRanges(ts, ranges));
        // 00:00–01:30 on the 4th, 8 per full night (three), 22:00–23:30 on the 7th
        expect(expected).toHaveLength(4 + 3 * 8 + 4);
        const result = await filterAll(ranges);
        expect(result.rows.map((r) => r.timestamp)).toEqual(expected);
        expect(result.count).toBe(expected.length);
      });

      it("applies a one-hour window on each of seven days", async () => {
        const from = at("2026-03-09T00:00:00Z");
        const to = from + 7 * DAY;
        const ranges = windowsBetween(
          { start: parseTimeOfDay("09:00"), end: parseTimeOfDay("10:00"), zone: "UTC" },
          from,
          to,
        );
        expect(ranges).toHaveLength(7);
        const times = every(from, to, 20 * MIN);
        await writeAll(
          store,
          times.map((ts) => batch("s", ts, [proc(1, "p"), proc(2, "q")])),
        );
        const result = await filterAll(ranges);
        expect(result.count).toBe(7 * 3 * 2);
        expect(result.rows.map((r) => r.timestamp)).toEqual(
          times.filter((ts) => inRanges(ts, ranges)).flatMap((ts) => [ts, ts]),
        );
      });

      it("follows the ranges across a daylight-saving change (Europe/Berlin, spring forward)", async () => {
        const from = at("2026-03-28T00:00:00Z");
        const to = at("2026-03-31T00:00:00Z");
        const ranges = windowsBetween(
          { start: parseTimeOfDay("01:30"), end: parseTimeOfDay("03:30"), zone: "Europe/Berlin" },
          from,
          to,
        );
        // 01:30 CET → 03:30 CEST on 29 March is one hour long, not two.
        expect(ranges.map((r) => (r.stop - r.start) / HOUR)).toEqual([2, 1, 2, 0.5]);
        const times = every(from - DAY, to + DAY, 15 * MIN);
        await writeAll(
          store,
          times.map((ts) => batch("berlin", ts, [proc(1, "p")])),
        );
        const expected = times.filter((ts) => inRanges(ts, ranges));
        expect(expected).toHaveLength(8 + 4 + 8 + 2);
        const result = await filterAll(ranges);
        expect(result.rows.map((r) => r.timestamp)).toEqual(expected);
        expect(result.count).toBe(expected.length);
      });

      it("follows the ranges across a daylight-saving change (America/New_York, fall back)", async () => {
        const from = at("2026-10-31T04:00:00Z");
        const to = at("2026-11-03T05:00:00Z");
        const ranges = windowsBetween(
          { start: parseTimeOfDay("00:00"), end: parseTimeOfDay("03:00"), zone: "America/New_York" },
          from,
          to,
        );
        // 00:00 → 03:00 on 1 November is four hours long (01:00–02:00 happens twice).
        expect(ranges.map((r) => (r.stop - r.start) / HOUR)).toEqual([3, 4, 3]);
        const times = every(from - DAY, to + DAY, 30 * MIN);
        await writeAll(
          store,
          times.map((ts) => batch("nyc", ts, [proc(1, "p")])),
        );
        const expected = times.filter((ts) => inRanges(ts, ranges));
        expect(expected).toHaveLength(6 + 8 + 6);
        const result = await filterAll(ranges);
        expect(result.rows.map((r) => r.timestamp)).toEqual(expected);
      });

      it("returns nothing for no ranges or for ranges without samples", async () => {
        await store.write(batch("s", at("2026-03-05T12:00:00Z"), [proc(1, "p")]));
        expect(await filterAll([])).toEqual({ count: 0, rows: [] });
        expect(
          await filterAll([{ start: at("2026-03-06T00:00:00Z"), stop: at("2026-03-07T00:00:00Z") }]),
        ).toEqual({ count: 0, rows: [] });
      });

      it("returns nothing from an empty store", async () => {
        expect(
          await filterAll([{ start: at("2026-03-01T00:00:00Z"), stop: at("2026-04-01T00:00:00Z") }]),
        ).toEqual({ count: 0, rows: [] });
      });
    });

    // ---------------------------------------------------------------- narrowing, count, pagination

    describe("narrowing and pages", () => {
      const t0 = at("2026-03-10T08:00:00Z");
      const day = { start: at("2026-03-10T00:00:00Z"), stop: at("2026-03-11T00:00:00Z") };

      /** Two systems × three instants × five processes (three names, pids 9, 10, 100, 42) = 30 rows. */
      async function fleet(): Promise<StoredSample[]> {
        const all: StoredSample[] = [];
        const batches: SampleBatch[] = [];
        for (const system of ["beta", "alpha"]) {
          for (const ts of [t0, t0 + 5 * SEC, t0 + HOUR]) {
            const ps = [
              proc(10, "bash"),
              proc(9, "bash"),
              proc(100, "bash"),
              proc(42, "sshd", { user: "root" }),
              proc(10, "Xorg"),
            ];
            batches.push(batch(system, ts, ps));
            for (const p of ps) all.push(stored(system, ts, p));
          }
        }
        await writeAll(store, batches);
        return all.sort(rowOrder);
      }

      it("narrows by system_name, process_name and pid, alone and together", async () => {
        const all = await fleet();
        const cases: [Partial<FilterQuery>, (r: StoredSample) => boolean][] = [
          [{ system_name: "alpha" }, (r) => r.system_name === "alpha"],
          [{ process_name: "bash" }, (r) => r.name === "bash"],
          [{ pid: 10 }, (r) => r.pid === 10],
          [
            { system_name: "beta", process_name: "bash" },
            (r) => r.system_name === "beta" && r.name === "bash",
          ],
          [{ system_name: "beta", pid: 10 }, (r) => r.system_name === "beta" && r.pid === 10],
          [{ process_name: "bash", pid: 9 }, (r) => r.name === "bash" && r.pid === 9],
          [
            { system_name: "alpha", process_name: "Xorg", pid: 10 },
            (r) => r.system_name === "alpha" && r.name === "Xorg" && r.pid === 10,
          ],
          [{ system_name: "gamma" }, () => false],
          [{ process_name: "bas" }, () => false],
          [{ pid: 11 }, () => false],
        ];
        for (const [narrow, keep] of cases) {
          const expected = all.filter(keep);
          const result = await filterAll([day], narrow);
          expect(result.rows, JSON.stringify(narrow)).toEqual(expected);
          expect(result.count, JSON.stringify(narrow)).toBe(expected.length);
        }
      });

      it("orders rows by timestamp, system_name, name, then pid numerically (9 before 10 before 100)", async () => {
        const all = await fleet();
        const rows = (await filterAll([day])).rows;
        expect(rows).toEqual(all);
        expect(rows.slice(0, 5).map((r) => `${r.system_name}/${r.name}/${r.pid}`)).toEqual([
          "alpha/Xorg/10",
          "alpha/bash/9",
          "alpha/bash/10",
          "alpha/bash/100",
          "alpha/sshd/42",
        ]);
      });

      it("orders names by code point: uppercase, lowercase, accented, CJK, then emoji", async () => {
        const names = ["😀 grin", "a", "\uff01 fullwidth", "é", "B", "東京", "a b", "ab", "Z"];
        await store.write(
          batch(
            "s",
            t0,
            names.map((n, i) => proc(i + 1, n)),
          ),
        );
        const rows = (await filterAll([day])).rows;
        expect(rows.map((r) => r.name)).toEqual([...names].sort(byCodePoint));
        expect(rows.map((r) => r.name)).toEqual([
          "B",
          "Z",
          "a",
          "a b",
          "ab",
          "é",
          "東京",
          "\uff01 fullwidth",
          "😀 grin",
        ]);
      });

      it("orders names and systems containing `\\` and `%` by those characters themselves", async () => {
        const names = ["C:\\Windows", "C:A", "C:%", "C:~", "C:0", "C:\\\\x", "C:[", "C:%5C", "C:]"];
        await writeAll(store, [
          batch(
            "sys\\1",
            t0,
            names.map((n, i) => proc(i + 1, n)),
          ),
          batch("sysZ", t0, [proc(1, "p")]),
          batch("sys%", t0, [proc(1, "p")]),
        ]);
        const rows = (await filterAll([day])).rows;
        expect([...new Set(rows.map((r) => r.system_name))]).toEqual(["sys%", "sysZ", "sys\\1"]);
        expect(rows.filter((r) => r.system_name === "sys\\1").map((r) => r.name)).toEqual(
          [...names].sort(byCodePoint),
        );
        const paged: StoredSample[] = [];
        for (let offset = 0; offset < rows.length; offset += 2) {
          paged.push(...(await store.filter({ ranges: [day], offset, limit: 2 })).rows);
        }
        expect(paged).toEqual(rows);
      });

      it("counts every match, not just the page", async () => {
        const all = await fleet();
        const result = await store.filter({ ranges: [day], offset: 0, limit: 4 });
        expect(result.count).toBe(all.length);
        expect(result.rows).toEqual(all.slice(0, 4));
      });

      it("pages through everything in order: the last page is partial, past the end is empty", async () => {
        const all = await fleet();
        expect(all).toHaveLength(30);
        const pages: StoredSample[][] = [];
        for (let offset = 0; offset < 35; offset += 7) {
          const result = await store.filter({ ranges: [day], offset, limit: 7 });
          expect(result.count).toBe(30);
          pages.push(result.rows);
        }
        expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
        expect(pages.flat()).toEqual(all);
        expect(await store.filter({ ranges: [day], offset: 30, limit: 7 })).toEqual({ count: 30, rows: [] });
        expect(await store.filter({ ranges: [day], offset: 1000, limit: 7 })).toEqual({
          count: 30,
          rows: [],
        });
        expect(await store.filter({ ranges: [day], offset: 29, limit: 1 })).toEqual({
          count: 30,
          rows: all.slice(29),
        });
      });

      it("pages across range boundaries as if the ranges were one", async () => {
        const times = every(at("2026-03-12T00:00:00Z"), at("2026-03-15T23:00:00Z"), HOUR);
        await writeAll(
          store,
          times.map((ts) => batch("s", ts, [proc(2, "p"), proc(1, "p")])),
        );
        const ranges = windowsBetween(
          { start: parseTimeOfDay("10:00"), end: parseTimeOfDay("13:00"), zone: "UTC" },
          at("2026-03-12T00:00:00Z"),
          at("2026-03-16T00:00:00Z"),
        );
        const everything = (await filterAll(ranges)).rows;
        expect(everything).toHaveLength(4 * 3 * 2);
        for (const [offset, limit] of [
          [0, 5],
          [5, 5],
          [4, 3],
          [6, 6],
          [17, 10],
          [23, 1],
          [24, 5],
        ] as const) {
          const result = await store.filter({ ranges, offset, limit });
          expect(result.count).toBe(24);
          expect(result.rows, `offset ${offset} limit ${limit}`).toEqual(
            everything.slice(offset, offset + limit),
          );
        }
      });
    });

    // ---------------------------------------------------------------- duration

    describe("duration", () => {
      const day = at("2026-03-16T00:00:00Z");
      const march = { start: at("2026-03-01T00:00:00Z"), stop: at("2026-04-01T00:00:00Z") };
      const GAP = 15 * SEC;

      /** 09:00–10:00 and 15:00–15:30 every 5 s; pid 100 until 09:30, then pid 200, then pid 300. */
      async function twoRuns(extra: (ts: number, pid: number) => Partial<BatchProcess> = () => ({})) {
        const first = every(day + 9 * HOUR, day + 10 * HOUR, 5 * SEC);
        const second = every(day + 15 * HOUR, day + 15.5 * HOUR, 5 * SEC);
        const pidAt = (ts: number) => (ts < day + 9.5 * HOUR ? 100 : ts <= day + 10 * HOUR ? 200 : 300);
        await writeAll(store, [
          ...[...first, ...second].map((ts) =>
            batch("host", ts, [proc(pidAt(ts), "worker", extra(ts, pidAt(ts))), proc(1, "init")]),
          ),
          // same name on another system, and another name on this one: neither counts
          batch("other", day + 12 * HOUR, [proc(100, "worker")]),
          batch("host", day + 12 * HOUR, [proc(555, "worker2")]),
        ]);
      }

      it("splits a process seen 09:00–10:00 and 15:00–15:30 into two runs summing 1.5 hours", async () => {
        await twoRuns();
        const facts = await store.duration({
          system_name: "host",
          process_name: "worker",
          range: march,
          gap_ms: GAP,
        });
        expect(facts).toEqual({
          first_seen: day + 9 * HOUR,
          last_seen: day + 15.5 * HOUR,
          runs: [
            { start: day + 9 * HOUR, end: day + 10 * HOUR, pids: [100, 200] },
            { start: day + 15 * HOUR, end: day + 15.5 * HOUR, pids: [300] },
          ],
          latest_started_at: null,
        });
        const total = facts?.runs.reduce((s, r) => s + (r.end - r.start), 0);
        expect(total).toBe(1.5 * HOUR);
      });

      it("ends a run only where samples are more than the gap apart", async () => {
        const base = day + 20 * HOUR;
        // gaps of exactly 15 s (no split), then 15.001 s (split), then 5 s
        const times = [base, base + 15 * SEC, base + 30 * SEC, base + 45 * SEC + 1, base + 50 * SEC + 1];
        await writeAll(
          store,
          times.map((ts) => batch("host", ts, [proc(7, "edge")])),
        );
        const q = { system_name: "host", process_name: "edge", range: march };
        expect((await store.duration({ ...q, gap_ms: GAP }))?.runs).toEqual([
          { start: base, end: base + 30 * SEC, pids: [7] },
          { start: base + 45 * SEC + 1, end: base + 50 * SEC + 1, pids: [7] },
        ]);
        expect((await store.duration({ ...q, gap_ms: GAP + 1 }))?.runs).toEqual([
          { start: base, end: base + 50 * SEC + 1, pids: [7] },
        ]);
        expect((await store.duration({ ...q, gap_ms: 5 * SEC }))?.runs).toHaveLength(4);
      });

      it("gives a process seen once one run of zero length", async () => {
        const t = day + 3 * HOUR;
        await store.write(batch("host", t, [proc(1, "blip")]));
        expect(
          await store.duration({ system_name: "host", process_name: "blip", range: march, gap_ms: GAP }),
        ).toEqual({
          first_seen: t,
          last_seen: t,
          runs: [{ start: t, end: t, pids: [1] }],
          latest_started_at: null,
        });
      });

      it("lists in each run the pids whose first-to-last sighting overlaps it, ascending", async () => {
        const a = day + HOUR;
        await writeAll(store, [
          batch("host", a, [proc(30, "svc"), proc(4, "svc")]),
          batch("host", a + 5 * SEC, [proc(30, "svc")]),
          // run 2: only pid 7 is sampled, but pid 30's sightings (run 1 to run 3) span it
          batch("host", a + HOUR, [proc(7, "svc")]),
          batch("host", a + 2 * HOUR, [proc(30, "svc"), proc(8, "svc")]),
        ]);
        const facts = await store.duration({
          system_name: "host",
          process_name: "svc",
          range: march,
          gap_ms: GAP,
        });
        expect(facts?.runs).toEqual([
          { start: a, end: a + 5 * SEC, pids: [4, 30] },
          { start: a + HOUR, end: a + HOUR, pids: [7, 30] },
          { start: a + 2 * HOUR, end: a + 2 * HOUR, pids: [8, 30] },
        ]);
      });

      it("reports started_at of the latest sample (the earliest when several pids share it)", async () => {
        await twoRuns((_ts, pid) => ({ started_at: day + pid * SEC }));
        const facts = await store.duration({
          system_name: "host",
          process_name: "worker",
          range: march,
          gap_ms: GAP,
        });
        expect(facts?.latest_started_at).toBe(day + 300 * SEC);

        const t = day + 22 * HOUR;
        await store.write(
          batch("host", t, [
            proc(11, "multi", { started_at: day + 50 * SEC }),
            proc(12, "multi", { started_at: day + 40 * SEC }),
            proc(13, "multi"),
          ]),
        );
        const multi = await store.duration({
          system_name: "host",
          process_name: "multi",
          range: march,
          gap_ms: GAP,
        });
        expect(multi?.latest_started_at).toBe(day + 40 * SEC);
      });

      it("reports no started_at when the latest sample lacks it, even if earlier ones had it", async () => {
        const t = day + 21 * HOUR;
        await writeAll(store, [
          batch("host", t, [proc(5, "late", { started_at: day })]),
          batch("host", t + 5 * SEC, [proc(5, "late")]),
        ]);
        const facts = await store.duration({
          system_name: "host",
          process_name: "late",
          range: march,
          gap_ms: GAP,
        });
        expect(facts?.latest_started_at).toBeNull();
        expect(facts?.runs).toEqual([{ start: t, end: t + 5 * SEC, pids: [5] }]);
      });

      it("is restricted to the range: runs are cut at its edges, its stop is exclusive", async () => {
        await twoRuns();
        const q = { system_name: "host", process_name: "worker", gap_ms: GAP };
        expect(
          await store.duration({ ...q, range: { start: day + 9.75 * HOUR, stop: day + 15 * HOUR } }),
        ).toEqual({
          first_seen: day + 9.75 * HOUR,
          last_seen: day + 10 * HOUR,
          runs: [{ start: day + 9.75 * HOUR, end: day + 10 * HOUR, pids: [200] }],
          latest_started_at: null,
        });
        expect(
          (await store.duration({ ...q, range: { start: day + 12 * HOUR, stop: day + 15 * HOUR + 1 } }))
            ?.runs,
        ).toEqual([{ start: day + 15 * HOUR, end: day + 15 * HOUR, pids: [300] }]);
      });

      it("is null for a process never seen: unknown name, other system, outside the range", async () => {
        await twoRuns();
        const q = { process_name: "worker", range: march, gap_ms: GAP };
        expect(await store.duration({ ...q, system_name: "nowhere" })).toBeNull();
        expect(await store.duration({ ...q, system_name: "host", process_name: "work" })).toBeNull();
        expect(await store.duration({ ...q, system_name: "host", process_name: "Worker" })).toBeNull();
        expect(
          await store.duration({
            ...q,
            system_name: "host",
            range: { start: day + 10 * HOUR + 1, stop: day + 15 * HOUR },
          }),
        ).toBeNull();
        expect(
          await store.duration({ ...q, system_name: "host", range: { start: day, stop: day + 9 * HOUR } }),
        ).toBeNull();
      });

      it("is null on an empty store", async () => {
        expect(
          await store.duration({ system_name: "host", process_name: "worker", range: march, gap_ms: GAP }),
        ).toBeNull();
      });
    });

    // ---------------------------------------------------------------- systems

    describe("systems", () => {
      const t = at("2026-03-20T06:00:00Z");
      const march = { start: at("2026-03-01T00:00:00Z"), stop: at("2026-04-01T00:00:00Z") };

      it("lists each system with its first and last sighting and the size of its latest sample", async () => {
        await writeAll(store, [
          batch("web-2", t, [proc(1, "a"), proc(2, "b"), proc(3, "c")]),
          batch("web-2", t + HOUR, [proc(1, "a"), proc(2, "b"), proc(3, "c"), proc(4, "c")]),
          batch("web-2", t + 2 * HOUR, [proc(1, "a"), proc(4, "c")]),
          batch("db", t + 30 * MIN, [proc(1, "postgres")]),
        ]);
        expect(await store.systems(march)).toEqual([
          { system_name: "db", first_seen: t + 30 * MIN, last_seen: t + 30 * MIN, process_count: 1 },
          { system_name: "web-2", first_seen: t, last_seen: t + 2 * HOUR, process_count: 2 },
        ]);
      });

      it("orders systems by code point", async () => {
        const names = ["😀 grin", "a", "\uff01 fullwidth", "é", "B", "a\\b", "a%", "aZ"];
        await writeAll(
          store,
          names.map((n) => batch(n, t, [proc(1, "p")])),
        );
        expect((await store.systems(march)).map((s) => s.system_name)).toEqual([...names].sort(byCodePoint));
      });

      it("looks only inside the range", async () => {
        await writeAll(store, [
          batch("web", t, [proc(1, "a"), proc(2, "b"), proc(3, "c")]),
          batch("web", t + HOUR, [proc(1, "a"), proc(2, "b")]),
          batch("web", t + 2 * HOUR, [proc(1, "a")]),
          batch("old", t - 10 * DAY, [proc(1, "a")]),
        ]);
        expect(await store.systems({ start: t + 1, stop: t + 2 * HOUR })).toEqual([
          { system_name: "web", first_seen: t + HOUR, last_seen: t + HOUR, process_count: 2 },
        ]);
        expect(await store.systems({ start: t + 3 * HOUR, stop: t + 4 * HOUR })).toEqual([]);
      });

      it("is empty on an empty store", async () => {
        expect(await store.systems(march)).toEqual([]);
      });
    });

    // ---------------------------------------------------------------- fleet-scale layout risks

    describe("same names, reused pids, retries and agent-sized batches", () => {
      const t = at("2026-03-27T12:00:00Z");
      const day = { start: at("2026-03-27T00:00:00Z"), stop: at("2026-03-28T00:00:00Z") };
      const march = { start: at("2026-03-01T00:00:00Z"), stop: at("2026-04-01T00:00:00Z") };

      it("keeps same-named processes apart when a lower pid joins them and one leaves", async () => {
        // pid order within the name changes from instant to instant: 20 and 30 are the second and
        // third worker at t, the first and second at t + 5 s (pid 10 left), second and third again
        // at t + 10 s (pid 5 came)
        const w = (pid: number, cpu: number) =>
          proc(pid, "worker", { cpu_percent: cpu, memory_rss: pid * 1000 });
        const instants: [number, BatchProcess[]][] = [
          [t, [w(30, 3), w(10, 1), w(20, 2)]],
          [t + 5 * SEC, [w(20, 2.5), w(30, 3.5)]],
          [t + 10 * SEC, [w(30, 3.75), w(5, 0.5), w(20, 2.75)]],
        ];
        await writeAll(
          store,
          instants.map(([ts, ps]) => batch("s", ts, ps)),
        );
        const expected = instants.flatMap(([ts, ps]) => ps.map((p) => stored("s", ts, p))).sort(rowOrder);
        expect((await filterAll([day])).rows).toEqual(expected);
        expect((await filterAll([day], { pid: 20 })).rows).toEqual(expected.filter((r) => r.pid === 20));
        expect((await filterAll([day], { process_name: "worker", pid: 30 })).rows).toEqual(
          expected.filter((r) => r.pid === 30),
        );
        expect(
          await store.duration({ system_name: "s", process_name: "worker", range: march, gap_ms: 15 * SEC }),
        ).toEqual({
          first_seen: t,
          last_seen: t + 10 * SEC,
          runs: [{ start: t, end: t + 10 * SEC, pids: [5, 10, 20, 30] }],
          latest_started_at: null,
        });
        expect(await store.systems(march)).toEqual([
          { system_name: "s", first_seen: t, last_seen: t + 10 * SEC, process_count: 3 },
        ]);
      });

      it("keeps a reused pid apart: another name, then the first name again after a gap", async () => {
        await writeAll(store, [
          batch("s", t, [proc(77, "cron", { started_at: t - MIN }), proc(1, "init")]),
          batch("s", t + 5 * SEC, [proc(77, "cron", { started_at: t - MIN }), proc(1, "init")]),
          batch("s", t + HOUR, [proc(77, "make", { started_at: t + HOUR - SEC }), proc(1, "init")]),
          batch("s", t + 2 * HOUR, [proc(77, "cron", { started_at: t + 2 * HOUR - SEC }), proc(1, "init")]),
        ]);
        const byPid = await filterAll([day], { pid: 77 });
        expect(byPid.count).toBe(4);
        expect(byPid.rows.map((r) => [r.timestamp, r.name, r.started_at])).toEqual([
          [t, "cron", t - MIN],
          [t + 5 * SEC, "cron", t - MIN],
          [t + HOUR, "make", t + HOUR - SEC],
          [t + 2 * HOUR, "cron", t + 2 * HOUR - SEC],
        ]);
        expect(
          await store.duration({ system_name: "s", process_name: "cron", range: march, gap_ms: 15 * SEC }),
        ).toEqual({
          first_seen: t,
          last_seen: t + 2 * HOUR,
          runs: [
            { start: t, end: t + 5 * SEC, pids: [77] },
            { start: t + 2 * HOUR, end: t + 2 * HOUR, pids: [77] },
          ],
          latest_started_at: t + 2 * HOUR - SEC,
        });
      });

      /** One system's sample as an agent sends it: `n` processes, many sharing names, every field. */
      function agentBatch(ts: number, n: number, seed: number): BatchProcess[] {
        return Array.from({ length: n }, (_, i) => {
          const name = i % 4 === 0 ? AWKWARD_NAMES[i % AWKWARD_NAMES.length] : `svc-${i % 37}`;
          const p: BatchProcess = {
            pid: 40_000 - i * 97 + seed,
            name: name as string,
            cpu_percent: ((i * 7919 + seed) % 10_000) / 97,
            memory_percent: ((i * 31 + seed) % 1000) / 10,
            memory_rss: (i + 1) * 4096 * 1024 + seed,
            started_at: ts - (i + 1) * 60_000,
            parent_pid: i === 0 ? 0 : 1 + (i % 5),
            user: i % 3 ? "root" : `user ${name}`,
            command: `/usr/bin/${name} --flag="x y" \\ ${i}`,
            state: i % 2 ? "sleeping" : "running",
          };
          if (i % 10 === 9) {
            delete p.memory_rss;
            delete p.user;
            delete p.command;
          }
          return p;
        });
      }

      it("stores agent-sized batches (320 processes) field by field, counts and pages them", async () => {
        const written: StoredSample[] = [];
        const batches: SampleBatch[] = [];
        for (const [k, system] of ["node-b", "node-a", "node-c"].entries()) {
          for (const [j, ts] of [t, t + 5 * SEC].entries()) {
            // staggered: node-c samples 300 ms after the others
            const at = ts + (system === "node-c" ? 300 : 0);
            const ps = agentBatch(at, 320, k * 10 + j);
            batches.push(batch(system, at, ps));
            for (const p of ps) written.push(stored(system, at, p));
          }
        }
        await writeAll(store, batches);
        written.sort(rowOrder);

        const all = await filterAll([day]);
        expect(all.count).toBe(written.length);
        all.rows.forEach((row, i) => {
          expect(row, `row ${i}`).toEqual(written[i]);
        });

        const pages: StoredSample[] = [];
        for (let offset = 0; offset < written.length; offset += 250) {
          const page = await store.filter({ ranges: [day], offset, limit: 250 });
          expect(page.count).toBe(written.length);
          pages.push(...page.rows);
        }
        expect(pages).toEqual(written);

        const bySystem = await filterAll([day], { system_name: "node-a" });
        expect(bySystem.rows).toEqual(written.filter((r) => r.system_name === "node-a"));
        const pid = written[123]?.pid as number;
        expect((await filterAll([day], { pid })).rows).toEqual(written.filter((r) => r.pid === pid));
        expect(await store.systems(march)).toEqual([
          { system_name: "node-a", first_seen: t, last_seen: t + 5 * SEC, process_count: 320 },
          { system_name: "node-b", first_seen: t, last_seen: t + 5 * SEC, process_count: 320 },
          { system_name: "node-c", first_seen: t + 300, last_seen: t + 5 * SEC + 300, process_count: 320 },
        ]);
      });

      it("rewrites the same points when a batch is retried with its processes in another order", async () => {
        const ps = agentBatch(t, 320, 1);
        await store.write(batch("s", t, ps));
        const before = await filterAll([day]);
        await store.write(batch("s", t, [...ps].reverse()));
        await store.write(batch("s", t, [...ps.slice(160), ...ps.slice(0, 160)]));
        const after = await filterAll([day]);
        expect(after.count).toBe(320);
        expect(after).toEqual(before);
        expect(after.rows).toEqual(ps.map((p) => stored("s", t, p)).sort(rowOrder));
        expect((await store.systems(march))[0]?.process_count).toBe(320);
      });

      it("refuses a batch naming one (name, pid) twice, and stores none of it", async () => {
        const twice = batch("s", t, [
          proc(1, "init"),
          proc(9, "dup", { cpu_percent: 1 }),
          proc(9, "dup", { cpu_percent: 2 }),
        ]);
        await expect(store.write(twice)).rejects.toMatchObject({
          name: "StorageRefusedError",
          field: "processes",
        });
        expect((await filterAll([day])).count).toBe(0);
        // the same pid under two names is two processes, not a duplicate
        expect(await store.write(batch("s", t, [proc(9, "dup"), proc(9, "dup2")]))).toBe(2);
      });
    });

    // ---------------------------------------------------------------- awkward names

    describe("names that need escaping", () => {
      const t = at("2026-03-25T12:00:00Z");
      const day = { start: at("2026-03-25T00:00:00Z"), stop: at("2026-03-26T00:00:00Z") };
      const march = { start: at("2026-03-01T00:00:00Z"), stop: at("2026-04-01T00:00:00Z") };

      it("round-trip exactly through write → filter (by name and system) → duration → systems", async () => {
        const batches = AWKWARD_NAMES.flatMap((name, i) => [
          batch(`sys ${name}`, t, [proc(i + 1, name, { user: name, command: name })]),
          batch(`sys ${name}`, t + 5 * SEC, [proc(i + 1, name, { user: name, command: name })]),
        ]);
        await writeAll(store, batches);

        for (const [i, name] of AWKWARD_NAMES.entries()) {
          const system = `sys ${name}`;
          const byName = await filterAll([day], { process_name: name });
          expect(byName.rows, name).toEqual([
            stored(system, t, proc(i + 1, name, { user: name, command: name })),
            stored(system, t + 5 * SEC, proc(i + 1, name, { user: name, command: name })),
          ]);
          const bySystem = await filterAll([day], { system_name: system });
          expect(bySystem.count, name).toBe(2);
          expect(
            await store.duration({ system_name: system, process_name: name, range: march, gap_ms: 15 * SEC }),
            name,
          ).toEqual({
            first_seen: t,
            last_seen: t + 5 * SEC,
            runs: [{ start: t, end: t + 5 * SEC, pids: [i + 1] }],
            latest_started_at: null,
          });
        }

        const systems = await store.systems(march);
        expect(systems.map((s) => s.system_name).sort()).toEqual(AWKWARD_NAMES.map((n) => `sys ${n}`).sort());
        expect(systems.every((s) => s.process_count === 1 && s.last_seen === t + 5 * SEC)).toBe(true);
      });

      it("match names exactly: a prefix, a pattern or an unescaped form finds nothing", async () => {
        await store.write(batch("s", t, [proc(1, "x\\"), proc(2, "a.b"), proc(3, "a%")]));
        for (const probe of ["x", "x\\\\", "a_b", "a.", "a", "%", ".*", "a%b"]) {
          expect((await filterAll([day], { process_name: probe })).count, probe).toBe(0);
        }
        expect((await filterAll([day], { process_name: "a%" })).rows.map((r) => r.pid)).toEqual([3]);
      });
    });

    // ---------------------------------------------------------------- agent-sized batches (issue 18)

    describe("agent-sized batches", () => {
      const t = at("2026-03-27T09:00:00.250Z");
      const day = { start: at("2026-03-27T00:00:00Z"), stop: at("2026-03-28T00:00:00Z") };

      /**
       * A machine's worth of processes as an agent sends them: hundreds, most names shared by many
       * pids, every optional field present on some and absent on others, awkward text and big
       * numbers. Deterministic in (seed, i), so two systems and two instants differ everywhere.
       */
      function machine(size: number, seed: number): BatchProcess[] {
        const names = [
          "kworker/0:1H",
          "nginx: worker process",
          "postgres",
          "node",
          'we"ird\\ name,=x',
          "東京",
        ];
        return Array.from({ length: size }, (_, i) => {
          const pid = 1 + i * 7 + seed;
          const p: BatchProcess = {
            pid,
            name: i % 9 === 0 ? `unique-${seed}-${i}` : (names[i % names.length] as string),
            cpu_percent: ((i * 37 + seed) % 4000) / 9.7,
            memory_percent: ((i * 13 + seed) % 10_000) / 101,
          };
          if (i % 5 !== 0) p.memory_rss = (i + 1) * 4096 * (seed + 3) + 2 ** 40;
          if (i % 4 !== 1) p.started_at = at("2026-03-20T00:00:00Z") + i * 1001 + seed;
          if (i % 3 !== 2) p.user = i % 2 ? `user-${i % 11}` : 'Grüße \\ "svc"';
          if (i % 6 !== 3)
            p.command = `/usr/bin/p${i} --flag="a b" \\\n\t${"x".repeat(i % 7 === 0 ? 3000 : 5)}`;
          if (i % 7 !== 4) p.state = ["sleeping", "running", "idle", "zombie"][i % 4] as string;
          if (i % 8 !== 5) p.parent_pid = i % 10 === 0 ? 0 : 1 + ((i * 3) % 500);
          return p;
        });
      }

      it("store every process of 320-process batches, field by field, on two systems and two instants", async () => {
        const plan = [
          batch("fleet-a", t, machine(320, 0)),
          batch("fleet-b", t, machine(333, 1)),
          batch("fleet-a", t + 5 * SEC, machine(320, 2)),
          batch("fleet-b", t + 5 * SEC, machine(333, 3)),
        ];
        for (const b of plan)
          expect(await store.write(b), `${b.system_name}@${b.timestamp}`).toBe(b.processes.length);
        const expected = plan
          .flatMap((b) => b.processes.map((p) => stored(b.system_name, b.timestamp, p)))
          .sort(rowOrder);

        const all = await filterAll([day]);
        expect(all.count).toBe(expected.length);
        expect(all.rows.length).toBe(expected.length);
        // Row by row, so that a failure names the first process that differs.
        for (const [i, want] of expected.entries()) {
          expect(all.rows[i], `row ${i}: ${want.system_name} pid ${want.pid} @${want.timestamp}`).toEqual(
            want,
          );
        }

        // Narrowed by system, by a name many pids share, by one pid: the same rows.
        const b = await filterAll([day], { system_name: "fleet-b" });
        expect(b.rows).toEqual(expected.filter((r) => r.system_name === "fleet-b"));
        const shared = await filterAll([day], { process_name: 'we"ird\\ name,=x' });
        expect(shared.rows).toEqual(expected.filter((r) => r.name === 'we"ird\\ name,=x'));
        const last = plan[3]?.processes.at(-1) as BatchProcess;
        const one = await filterAll([day], { system_name: "fleet-b", pid: last.pid });
        expect(one.rows).toEqual(expected.filter((r) => r.system_name === "fleet-b" && r.pid === last.pid));

        // Pages of 300 put back together are the whole.
        const pages: StoredSample[] = [];
        for (let offset = 0; offset < expected.length; offset += 300) {
          pages.push(...(await store.filter({ ranges: [day], offset, limit: 300 })).rows);
        }
        expect(pages).toEqual(expected);

        expect(await store.systems(day)).toEqual([
          { system_name: "fleet-a", first_seen: t, last_seen: t + 5 * SEC, process_count: 320 },
          { system_name: "fleet-b", first_seen: t, last_seen: t + 5 * SEC, process_count: 333 },
        ]);
      });
    });

    // ---------------------------------------------------------------- process history (issue 12)

    describe("process history: instances, runs, processes at an instant", () => {
      const rules = { default_gap_ms: 15 * SEC, crash_loop_restarts: 3, crash_loop_window_ms: 10 * MIN };
      const T = at("2026-04-07T03:00:00Z");
      const week = { start: at("2026-04-06T00:00:00Z"), stop: at("2026-04-13T00:00:00Z") };
      const withInterval = (b: SampleBatch, interval_ms: number): SampleBatch => ({ ...b, interval_ms });
      const runsOf = (process_name: string, system_name?: string, range = week) =>
        processRuns(store, { process_name, system_name, range }, rules);
      const edges = (r: HistoryRun) => [
        r.start - T,
        r.end - T,
        r.start_earliest - T,
        r.end_latest - T,
        r.samples,
      ];

      it("gives the sightings of a name with each sample's pid, started_at and interval, narrowed by system", async () => {
        await writeAll(store, [
          withInterval(
            batch("a", T, [proc(1, "w", { started_at: T - HOUR }), proc(2, "w"), proc(3, "x")]),
            5000,
          ),
          batch("a", T + 5 * SEC, [proc(1, "w", { started_at: T - HOUR })]),
          withInterval(batch("b", T, [proc(1, "w", { started_at: T - MIN })]), 60_000),
        ]);
        const key = (s: Sighting) => `${s.system_name} ${s.timestamp} ${s.pid}`;
        const all = (await store.sightings({ process_name: "w", range: week })).sort((x, y) =>
          key(x) < key(y) ? -1 : 1,
        );
        expect(all).toEqual([
          { system_name: "a", timestamp: T, pid: 1, started_at: T - HOUR, interval_ms: 5000 },
          { system_name: "a", timestamp: T, pid: 2, started_at: undefined, interval_ms: 5000 },
          { system_name: "a", timestamp: T + 5 * SEC, pid: 1, started_at: T - HOUR, interval_ms: undefined },
          { system_name: "b", timestamp: T, pid: 1, started_at: T - MIN, interval_ms: 60_000 },
        ]);
        const onB = await store.sightings({ process_name: "w", system_name: "b", range: week });
        expect(onB.map(key)).toEqual([`b ${T} 1`]);
        expect(
          await store.sightings({ process_name: "w", range: { start: T + 1, stop: T + 5 * SEC } }),
        ).toEqual([]);
      });

      it("tells instances apart by (pid, started_at): a reused pid is a new instance, a restart too", async () => {
        const every5 = every(T, T + 55 * SEC, 5 * SEC);
        await writeAll(
          store,
          every5.map((t, i) =>
            withInterval(
              batch("box", t, [
                // pid 100 until T+25s, then pid 100 again for a new process (another started_at)
                proc(100, "svc", { started_at: i < 6 ? T - DAY : T + 27 * SEC }),
                // a worker there from the start, another started at T+40s
                proc(200, "svc", { started_at: T - DAY + 1 }),
                ...(t >= T + 40 * SEC ? [proc(201, "svc", { started_at: T + 39 * SEC })] : []),
                // pid 201 also held by another name before (another process: not an instance of svc)
                ...(t < T + 40 * SEC ? [proc(201, "cron", { started_at: T - HOUR })] : []),
              ]),
              5000,
            ),
          ),
        );
        const [box] = await runsOf("svc");
        expect(box?.instances).toEqual([
          { pid: 100, started_at: T - DAY, first_seen: T, last_seen: T + 25 * SEC, samples: 6 },
          { pid: 200, started_at: T - DAY + 1, first_seen: T, last_seen: T + 55 * SEC, samples: 12 },
          {
            pid: 100,
            started_at: T + 27 * SEC,
            first_seen: T + 30 * SEC,
            last_seen: T + 55 * SEC,
            samples: 6,
          },
          {
            pid: 201,
            started_at: T + 39 * SEC,
            first_seen: T + 40 * SEC,
            last_seen: T + 55 * SEC,
            samples: 4,
          },
        ]);
        expect(box?.runs.map(edges)).toEqual([[0, 55 * SEC, -5 * SEC, 60 * SEC, 12]]);
        expect(box?.runs[0]?.instances).toEqual([
          { pid: 100, started_at: T - DAY },
          { pid: 200, started_at: T - DAY + 1 },
          { pid: 100, started_at: T + 27 * SEC },
          { pid: 201, started_at: T + 39 * SEC },
        ]);
        expect(box?.restarts).toBe(2);
        expect(box?.crash_loop).toBe(false);
        const [cron] = await runsOf("cron");
        expect(cron?.instances).toEqual([
          { pid: 201, started_at: T - HOUR, first_seen: T, last_seen: T + 35 * SEC, samples: 8 },
        ]);
      });

      it("flags a crash loop (3 restarts within 10 minutes) per system, and lists every system that ran the name", async () => {
        const life = (system: string, pid: number, from: number, to: number) =>
          every(from, to, 5 * SEC).map((t) =>
            withInterval(batch(system, t, [proc(pid, "flappy", { started_at: from - 1000 })]), 5000),
          );
        await writeAll(store, [
          // "z-loop": a new pid every 2 minutes, each living 30 s (gaps: separate runs)
          ...[0, 1, 2, 3].flatMap((k) => life("z-loop", 10 + k, T + k * 2 * MIN, T + k * 2 * MIN + 30 * SEC)),
          // "a-calm": restarts 6 minutes apart: 3 restarts span 12 minutes
          ...[0, 1, 2, 3].flatMap((k) => life("a-calm", 20 + k, T + k * 6 * MIN, T + k * 6 * MIN + 30 * SEC)),
          withInterval(batch("other", T, [proc(1, "not-flappy")]), 5000),
        ]);
        const systems = await runsOf("flappy");
        expect(
          systems.map((s) => [s.system_name, s.runs.length, s.instances.length, s.restarts, s.crash_loop]),
        ).toEqual([
          ["a-calm", 4, 4, 3, false],
          ["z-loop", 4, 4, 3, true],
        ]);
        const loop = systems[1] as SystemRuns;
        expect(loop.runs.map(edges)).toEqual(
          [0, 1, 2, 3].map((k) => [
            k * 2 * MIN,
            k * 2 * MIN + 30 * SEC,
            k * 2 * MIN - 5 * SEC,
            k * 2 * MIN + 35 * SEC,
            7,
          ]),
        );
        expect(loop.runs.map((r) => r.instances)).toEqual(
          [0, 1, 2, 3].map((k) => [{ pid: 10 + k, started_at: T + k * 2 * MIN - 1000 }]),
        );
        expect((await runsOf("flappy", "z-loop")).map((s) => s.system_name)).toEqual(["z-loop"]);
        expect(await runsOf("flappy", "other")).toEqual([]);
        expect(await runsOf("nothing")).toEqual([]);
      });

      it("follows the agent's interval: a run ends past 3 intervals (60 s agent: 180 s joins, 181 s splits)", async () => {
        const times = [0, 60, 240, 421, 481].map((s) => T + s * SEC);
        await writeAll(
          store,
          times.map((t) => withInterval(batch("slow", t, [proc(5, "job", { started_at: T - SEC })]), 60_000)),
        );
        const [slow] = await runsOf("job");
        expect(slow?.runs.map(edges)).toEqual([
          [0, 240 * SEC, -60 * SEC, 300 * SEC, 3],
          [421 * SEC, 481 * SEC, 361 * SEC, 541 * SEC, 2],
        ]);
        // the same process across the silence: one instance spanning both runs, no restart
        expect(slow?.instances).toEqual([
          { pid: 5, started_at: T - SEC, first_seen: T, last_seen: T + 481 * SEC, samples: 5 },
        ]);
        expect(slow?.restarts).toBe(0);
      });

      it("uses RUN_GAP_SECONDS for samples sent without an interval; a single sample is a run of its own", async () => {
        await writeAll(
          store,
          [0, 15_000, 30_001, 90_000].map((ms) => batch("old", T + ms, [proc(9, "legacy")])),
        );
        const [old] = await runsOf("legacy");
        expect(old?.runs.map(edges)).toEqual([
          [0, 15 * SEC, -5 * SEC, 20 * SEC, 2],
          [30_001, 30_001, 25_001, 35_001, 1],
          [90 * SEC, 90 * SEC, 85 * SEC, 95 * SEC, 1],
        ]);
        // without started_at an instance stays inside its run: three instances of pid 9
        expect(old?.instances.map((i) => [i.pid, i.started_at, i.first_seen - T, i.last_seen - T])).toEqual([
          [9, null, 0, 15 * SEC],
          [9, null, 30_001, 30_001],
          [9, null, 90 * SEC, 90 * SEC],
        ]);
        expect(old?.restarts).toBe(2);
      });

      it("counts a retried batch once and cuts runs at the range's edges", async () => {
        const batches = every(T, T + 20 * SEC, 5 * SEC).map((t) =>
          withInterval(batch("r", t, [proc(1, "p", { started_at: T - 1 })]), 5000),
        );
        await writeAll(store, [...batches, ...batches]);
        const [r] = await runsOf("p");
        expect(r?.runs.map(edges)).toEqual([[0, 20 * SEC, -5 * SEC, 25 * SEC, 5]]);
        const [cut] = await runsOf("p", "r", { start: T + 5 * SEC, stop: T + 15 * SEC });
        expect(cut?.runs.map(edges)).toEqual([[5 * SEC, 10 * SEC, 0, 15 * SEC, 2]]);
      });

      it("answers what ran at an instant: exactly at a sample, between samples, before the first, after a silence", async () => {
        const ps = (k: number) => [
          proc(1, "idle", { cpu_percent: 0, memory_percent: 1, user: "root", started_at: T - DAY }),
          proc(2, "busy", { cpu_percent: 90 + k, memory_percent: 2, command: "busy --hard" }),
          proc(3, "fat", { cpu_percent: 5, memory_percent: 40, memory_rss: 123_456_789 }),
        ];
        await writeAll(store, [
          withInterval(batch("host", T, ps(0)), 5000),
          withInterval(batch("host", T + 5 * SEC, ps(1)), 5000),
          withInterval(batch("host", T + 10 * SEC, ps(2)), 5000),
          withInterval(batch("host", T + HOUR, ps(3)), 5000),
          batch("legacy", T, [proc(7, "old")]),
        ]);
        const inForce = (system: string, t: number) => sampleInForce(store, system, t, 15 * SEC);
        const sampled = async (system: string, t: number) => {
          const found = await inForce(system, t);
          if (found.found !== "sample") throw new Error(`no sample: ${JSON.stringify(found)}`);
          return found.sample;
        };

        const exact = await sampled("host", T + 5 * SEC);
        expect(exact.timestamp).toBe(T + 5 * SEC);
        expect(exact.interval_ms).toBe(5000);
        expect([...exact.processes].sort((a, b) => a.pid - b.pid)).toEqual(
          ps(1).map((p) => stored("host", T + 5 * SEC, p)),
        );
        expect((await sampled("host", T + 9999)).timestamp).toBe(T + 5 * SEC);
        // 15 s (3 intervals) after the last sample it is still in force; 1 ms later it is not
        expect((await sampled("host", T + 25 * SEC)).timestamp).toBe(T + 10 * SEC);
        expect(await inForce("host", T + 25 * SEC + 1)).toEqual({ found: "silent", last: T + 10 * SEC });
        expect(await inForce("host", T + HOUR - 1)).toEqual({ found: "silent", last: T + 10 * SEC });
        expect((await sampled("host", T + HOUR)).processes.find((p) => p.pid === 2)?.cpu_percent).toBe(93);
        expect(await inForce("host", T - 1)).toEqual({ found: "none" });
        expect(await inForce("nobody", T)).toEqual({ found: "none" });
        // a sample sent without an interval stays in force for RUN_GAP_SECONDS
        expect((await sampled("legacy", T + 15 * SEC)).interval_ms).toBeUndefined();
        expect(await inForce("legacy", T + 15 * SEC + 1)).toEqual({ found: "silent", last: T });
      });

      it("round-trips names that need escaping through runs and processes-at", async () => {
        await writeAll(
          store,
          AWKWARD_NAMES.flatMap((name, i) => [
            withInterval(batch(`sys ${name}`, T, [proc(i + 1, name, { started_at: T - i })]), 5000),
            withInterval(batch(`sys ${name}`, T + 5 * SEC, [proc(i + 1, name, { started_at: T - i })]), 5000),
          ]),
        );
        for (const [i, name] of AWKWARD_NAMES.entries()) {
          const systems = await runsOf(name);
          expect(
            systems.map((s) => [s.system_name, s.runs.map(edges), s.instances.map((x) => x.pid)]),
            name,
          ).toEqual([[`sys ${name}`, [[0, 5 * SEC, -5 * SEC, 10 * SEC, 2]], [i + 1]]]);
          expect((await runsOf(name, `sys ${name}`)).length, name).toBe(1);
          const found = await sampleInForce(store, `sys ${name}`, T + 7 * SEC, 15 * SEC, {
            sort: "name",
            top: 5,
          });
          expect(
            found.found === "sample" && found.sample.processes.map((p) => [p.name, p.pid, p.system_name]),
            name,
          ).toEqual([[name, i + 1, `sys ${name}`]]);
        }
        expect(await runsOf("x")).toEqual([]); // "x\\" was written, not its prefix
      });

      it("picks the top processes of the sample in force by cpu, memory or name; ties by name, then pid", async () => {
        const ps = [
          proc(5, "b", { cpu_percent: 10, memory_percent: 3, user: "u5" }),
          proc(9, "a", { cpu_percent: 10, memory_percent: 1, command: "a --nine" }),
          proc(3, "a", { cpu_percent: 10, memory_percent: 7 }),
          proc(1, "c", { cpu_percent: 50, memory_percent: 3, started_at: T - DAY }),
          proc(2, "é", { cpu_percent: 0, memory_percent: 0 }),
        ];
        await store.write(withInterval(batch("pick", T, ps), 5000));
        const top = async (sort: "cpu" | "memory" | "name", n: number) => {
          const found = await sampleInForce(store, "pick", T + SEC, 15 * SEC, { sort, top: n });
          if (found.found !== "sample") throw new Error("no sample");
          expect(found.sample.process_count).toBe(5);
          return found.sample.processes;
        };
        expect((await top("cpu", 3)).map((p) => p.pid)).toEqual([1, 3, 9]);
        expect(await top("cpu", 2)).toEqual([
          stored("pick", T, ps[3] as BatchProcess),
          stored("pick", T, ps[2] as BatchProcess),
        ]);
        expect((await top("memory", 4)).map((p) => p.pid)).toEqual([3, 5, 1, 9]);
        expect((await top("name", 5)).map((p) => p.pid)).toEqual([3, 9, 5, 1, 2]);
        expect((await top("name", 1000)).map((p) => p.pid)).toEqual([3, 9, 5, 1, 2]);
        expect((await top("cpu", 1000)).map((p) => p.pid)).toEqual([1, 3, 9, 5, 2]);
        expect((await top("cpu", 5)).find((p) => p.pid === 9)).toEqual(
          stored("pick", T, ps[1] as BatchProcess),
        );
      });

      it("answers runs, systems and duration from history after raw samples expire, value by value as from raw", async () => {
        const D = at("2026-03-01T00:00:00Z");
        const life = (
          system: string,
          from: number,
          to: number,
          step: number,
          ps: (t: number) => BatchProcess[],
          iv?: number,
        ) =>
          every(from, to, step).map((t) => {
            const b = batch(system, t, ps(t));
            return iv === undefined ? b : withInterval(b, iv);
          });
        await writeAll(store, [
          // a: a 5 s agent; svc runs across midnight with two workers, one of which is recycled
          ...life(
            "a",
            D + DAY - 10 * MIN,
            D + DAY + 10 * MIN,
            5 * SEC,
            (t) => [
              proc(100, "svc", { started_at: D + HOUR }),
              proc(t < D + DAY + 2 * MIN ? 101 : 102, "svc", {
                started_at: t < D + DAY + 2 * MIN ? D + 2 * HOUR : D + DAY + 2 * MIN - 1,
              }),
              proc(7, "cron"),
            ],
            5000,
          ),
          // then a crash loop: 4 lives of 30 s, 2 minutes apart (pids 200…203)
          ...[0, 1, 2, 3].flatMap((k) =>
            life(
              "a",
              D + DAY + 3 * HOUR + k * 2 * MIN,
              D + DAY + 3 * HOUR + k * 2 * MIN + 30 * SEC,
              5 * SEC,
              () => [proc(200 + k, "svc", { started_at: D + DAY + 3 * HOUR + k * 2 * MIN - 1000 })],
              5000,
            ),
          ),
          // pid 100 reused by a new process; one sample without started_at; 15 s apart joins, 15.001 s splits
          ...[0, 5_000, 10_000, 25_000, 40_001, 45_001].map((ms, i) =>
            withInterval(
              batch("a", D + DAY + 12 * HOUR + ms, [
                proc(100, "svc", i === 2 ? {} : { started_at: D + DAY + 12 * HOUR - 1 }),
              ]),
              5000,
            ),
          ),
          // b: an old client (no interval: RUN_GAP_SECONDS), then a 60 s agent (180 s joins, 181 s splits)
          ...[0, 15_000, 30_001, 90_000].map((ms) => batch("b", D + 10 * HOUR + ms, [proc(9, "svc")])),
          ...[0, 60, 240, 421, 481].map((sec) =>
            withInterval(
              batch("b", D + 2 * DAY + 5 * HOUR + sec * SEC, [proc(5, "svc", { started_at: D + 2 * DAY })]),
              60_000,
            ),
          ),
        ]);
        const days = [
          { start: D, stop: D + 3 * DAY },
          { start: D, stop: D + DAY },
          { start: D + DAY, stop: D + 2 * DAY },
          { start: D + 2 * DAY, stop: D + 3 * DAY },
        ];
        const cut = [
          { start: D + DAY - 5 * MIN, stop: D + DAY + 3 * HOUR + 3 * MIN },
          { start: D + DAY + 5 * MIN + 2500, stop: D + 2 * DAY + 5 * HOUR + 300 * SEC },
          { start: D + 10 * HOUR + 15_000, stop: D + DAY + 12 * HOUR + 40_001 },
        ];
        const answers = async (ranges: TimeRange[]) =>
          Promise.all(
            ranges.map(async (range) => ({
              all: await runsOf("svc", undefined, range),
              onA: await runsOf("svc", "a", range),
              cron: await runsOf("cron", undefined, range),
              durationA: await durationFacts(store, {
                system_name: "a",
                process_name: "svc",
                range,
                gap_ms: 15 * SEC,
              }),
              durationB: await durationFacts(store, {
                system_name: "b",
                process_name: "svc",
                range,
                gap_ms: 15 * SEC,
              }),
            })),
          );
        const fromRaw = await answers([...days, ...cut]);
        // the data is what it claims to be
        const whole = fromRaw[0];
        expect(whole?.all.map((x) => [x.system_name, x.runs.length, x.restarts, x.crash_loop])).toEqual([
          ["a", 7, 6, true],
          ["b", 5, 3, false],
        ]);
        expect(whole?.durationA?.runs.length).toBe(7);
        expect(whole?.durationB?.runs.map((r) => (r.end - r.start) / SEC)).toEqual([15, 0, 0, 0, 0, 0, 0, 0]);

        await compactBefore(D + 3 * DAY);
        const stored = await store.history({ process_name: "svc", range: days[0] as TimeRange });
        expect(stored.days.filter((d) => d < D + 3 * DAY).sort()).toEqual([D, D + DAY, D + 2 * DAY]);
        expect(stored.stretches.length).toBeGreaterThan(0);
        // compacted, raw still there: every range, edges anywhere, gives the same answer
        expect(await answers([...days, ...cut])).toEqual(fromRaw);

        await expireBefore(D + 3 * DAY);
        expect(await store.sightings({ process_name: "svc", range: days[0] as TimeRange })).toEqual([]);
        // raw gone: history alone gives the same answers for ranges on UTC midnights
        expect(await answers(days)).toEqual(fromRaw.slice(0, days.length));
      });

      it("answers a batch that lands in a compacted day (a late agent) at once, and compacts that day again", async () => {
        const D = at("2026-03-10T00:00:00Z");
        const day = { start: D, stop: D + DAY };
        const b = (t: number, pid: number) =>
          withInterval(batch("late", t, [proc(pid, "job", { started_at: D + pid })]), 5000);
        await writeAll(store, [b(D + HOUR, 1), b(D + HOUR + 5 * SEC, 1), b(D + 3 * HOUR, 2)]);
        await compactBefore(D + DAY);
        expect((await store.history({ process_name: "job", range: day })).days).toContain(D);
        // an agent back from an outage delivers a sample of that day, filling in a third run
        await store.write(b(D + 2 * HOUR, 3));
        expect((await store.history({ process_name: "job", range: day })).days).not.toContain(D);
        const want = [
          [HOUR, HOUR + 5 * SEC, [1]],
          [2 * HOUR, 2 * HOUR, [3]],
          [3 * HOUR, 3 * HOUR, [2]],
        ];
        const got = async () => {
          const [late] = await runsOf("job", "late", day);
          const facts = await durationFacts(store, {
            system_name: "late",
            process_name: "job",
            range: day,
            gap_ms: 15 * SEC,
          });
          return {
            runs: late?.runs.map((r) => [r.start - D, r.end - D, r.instances.map((i) => i.pid)]),
            duration: facts?.runs.map((r) => [r.start - D, r.end - D, r.pids]),
          };
        };
        expect(await got()).toEqual({ runs: want, duration: want });
        await compactBefore(D + DAY);
        expect((await store.history({ process_name: "job", range: day })).days).toContain(D);
        expect(await got()).toEqual({ runs: want, duration: want });
      });

      it("answers at an instant with an agent-sized sample (320 processes, same-named ones) field by field", async () => {
        const processes = Array.from({ length: 320 }, (_, i) =>
          proc(1000 + i, i % 4 === 0 ? "kworker" : `proc-${i}`, {
            cpu_percent: (i * 7) % 101,
            memory_percent: ((i * 13) % 1000) / 10,
            memory_rss: i * 4096,
            started_at: T - i * SEC,
            user: i % 2 ? "root" : "ünïcode",
            command: `/usr/bin/p${i} --flag="x"`,
            state: "S",
            parent_pid: 1,
          }),
        );
        await store.write(withInterval(batch("big", T, processes), 10_000));
        const found = await sampleInForce(store, "big", T + 30 * SEC, 15 * SEC);
        expect(found.found).toBe("sample");
        const got = found.found === "sample" ? [...found.sample.processes].sort((a, b) => a.pid - b.pid) : [];
        expect(got).toEqual(processes.map((p) => stored("big", T, p)));
      });
    });
  });
}
