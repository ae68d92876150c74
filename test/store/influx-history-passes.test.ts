/**
 * InfluxDB history's compaction passes on the real InfluxDB (server/store/influx/history.ts, found
 * untested by its mutation run): which days a pass takes (finished ones in the range asked, or by
 * default those raw samples and history both keep), days marked done left alone, a second server
 * learning them from the marks, a batch during a day's compaction leaving it not done, close()
 * stopping a pass, and a background pass's failure logged.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";
import { freshBucket } from "../support/influx.ts";

const DAY = 86_400_000;
const H = 3_600_000;
const D = Date.UTC(2026, 3, 7);

type Conn = Awaited<ReturnType<typeof freshBucket>>;

const open = async (
  conn: Conn,
  opts: { retentionDays?: number; historyIntervalMs?: number; log?: ReturnType<typeof createLogger> } = {},
) => {
  const store = new InfluxStore({
    ...conn,
    retentionDays: opts.retentionDays ?? 4000,
    timeoutMs: 30_000,
    historyIntervalMs: opts.historyIntervalMs ?? 0,
    log: opts.log ?? createLogger("silent"),
  });
  await store.init();
  return store;
};

const batch = (timestamp: number, pid = 1, system_name = "box", processes = 1): SampleBatch => ({
  system_name,
  timestamp,
  interval_ms: 5000,
  processes: Array.from({ length: processes }, (_, k) => ({
    pid: pid + k,
    name: k === 0 ? "app" : `app-${k}`,
    cpu_percent: 1,
    memory_percent: 1,
    started_at: D - 1000,
  })),
});

const everything = { process_name: "app", range: { start: D - 30 * DAY, stop: D + 30 * DAY } };
const pidsOf = async (store: InfluxStore) =>
  (await store.history(everything)).stretches
    .flatMap((s) => s.pids.map(([pid]) => pid))
    .sort((a, b) => a - b);

describe("InfluxDB history's compaction passes", () => {
  it("takes the finished days of the range asked: none for an empty range, not a day the range cuts", async () => {
    const s = await open(await freshBucket("hist-pass"));
    await s.write(batch(D + H));
    await s.write(batch(D + DAY + H));
    await s.compactHistory({ start: D, stop: D });
    expect((await s.history(everything)).days).toEqual([]);
    // the range ends 12 h into the second day: only the first is finished
    await s.compactHistory({ start: D, stop: D + DAY + 12 * H });
    expect((await s.history(everything)).days).toEqual([D]);
    await s.compactHistory({ start: D, stop: D + 2 * DAY });
    expect((await s.history(everything)).days).toEqual([D, D + DAY]);
    // raw samples are there for the store's retention (4000 days) back from now
    const { raw_from } = await s.history(everything);
    expect(Math.abs(raw_from - (Date.now() - 4000 * DAY))).toBeLessThan(60_000);
    await s.close();
  });

  it("compacting a day again leaves the next day's stretch at its first millisecond alone", async () => {
    const s = await open(await freshBucket("hist-pass"));
    await s.write(batch(D + H, 1));
    await s.write(batch(D + DAY, 2)); // exactly midnight: the next day's stretch starts at its first ms
    await s.compactHistory({ start: D + DAY, stop: D + 2 * DAY });
    await s.compactHistory({ start: D, stop: D + DAY });
    const h = await s.history(everything);
    expect([h.days, h.stretches.map((x) => [x.start, x.pids[0]?.[0]])]).toEqual([
      [D, D + DAY],
      [
        [D + H, 1],
        [D + DAY, 2],
      ],
    ]);
    await s.close();
  });

  it("leaves a day marked done alone; another server learns the done days from the marks", async () => {
    const conn = await freshBucket("hist-pass");
    const a = await open(conn);
    await a.write(batch(D + H, 1));
    await a.compactHistory({ start: D, stop: D + DAY });
    expect(await pidsOf(a)).toEqual([1]);
    // a second server that has not seen the day done: its batch does not mark it not done…
    const b = await open(conn);
    await b.write(batch(D + 2 * H, 2));
    // …and a pass of the first one does not read the done day again
    await a.compactHistory({ start: D, stop: D + DAY });
    expect([(await a.history(everything)).days, await pidsOf(a)]).toEqual([[D], [1]]);
    // once its own pass has read the marks, the second server's batch for that day marks it not done
    await b.compactHistory({ start: D, stop: D + DAY });
    await b.write(batch(D + 3 * H, 3));
    expect((await a.history(everything)).days).toEqual([]);
    await a.compactHistory({ start: D, stop: D + DAY });
    expect([(await a.history(everything)).days, await pidsOf(a)]).toEqual([[D], [1, 2, 3]]);
    await a.close();
    await b.close();
  });

  it("a batch for the day being compacted leaves it not done (the next pass takes it); one for another day does not", async () => {
    const conn = await freshBucket("hist-pass");
    const s = await open(conn);
    // enough systems that compacting the day takes a while
    for (let sys = 0; sys < 6; sys++)
      for (let h = 0; h < 24; h++) await s.write(batch(D + h * H, 1, `sys-${sys}`, 30));
    const compactWhileWriting = async (at: (k: number) => number) => {
      let finished = false;
      const pass = s.compactHistory({ start: D, stop: D + DAY }).finally(() => {
        finished = true;
      });
      let written = 0;
      while (!finished) await s.write(batch(at(written++), 100 + written, "late"));
      await pass;
      return written;
    };
    // late batches for tomorrow (not the day compacted): the day is done
    expect(await compactWhileWriting((k) => D + DAY + k * 1000)).toBeGreaterThan(0);
    expect((await s.history(everything)).days).toEqual([D]);
    // late batches for the day itself, while it is compacted again: not done
    const day2 = await freshBucket("hist-pass");
    const t = await open(day2);
    for (let sys = 0; sys < 6; sys++)
      for (let h = 0; h < 24; h++) await t.write(batch(D + h * H, 1, `sys-${sys}`, 30));
    let finished = false;
    const pass = t.compactHistory({ start: D, stop: D + DAY }).finally(() => {
      finished = true;
    });
    let late = 0;
    while (!finished) await t.write(batch(D + 23 * H + ++late * 1000, 100 + late, "late"));
    await pass;
    expect(late).toBeGreaterThan(1);
    expect((await t.history(everything)).days).toEqual([]);
    await t.compactHistory({ start: D, stop: D + DAY });
    const again = await t.history({ ...everything, system_name: "late" });
    expect([again.days, again.stretches.flatMap((x) => x.pids.map(([pid]) => pid)).length]).toEqual([
      [D],
      late,
    ]);
    await s.close();
    await t.close();
  });

  it("close() during a pass: it stops before the next day, and another server compacts every day after", async () => {
    const conn = await freshBucket("hist-pass");
    const s = await open(conn);
    for (const d of [0, 1, 2]) await s.write(batch(D + d * DAY + H));
    const pass = s.compactHistory({ start: D, stop: D + 3 * DAY });
    await s.close();
    await pass;
    const other = await open(conn);
    expect((await other.history(everything)).days).toEqual([]);
    await other.compactHistory({ start: D, stop: D + 3 * DAY });
    expect((await other.history(everything)).days).toEqual([D, D + DAY, D + 2 * DAY]);
    await other.close();
  });

  it("by default takes the finished days raw samples and history both keep, not older ones", async () => {
    // the raw bucket exists already, keeping everything; the store's retention is 3 days
    const conn = await freshBucket("hist-pass");
    const now = Date.now();
    const today = Math.floor(now / DAY) * DAY;
    const days = [6, 5, 4, 3, 2, 1].map((k) => today - k * DAY);
    const s = await open(conn, { retentionDays: 3 });
    for (const d of days) await s.write(batch(d + 12 * H));
    await s.compactHistory();
    const first = Math.floor((now - 3 * DAY) / DAY) * DAY + DAY;
    const stop = Math.floor((now - 10 * 60_000) / DAY) * DAY;
    const want = days.filter((d) => d >= first && d + DAY <= stop);
    expect(want.length).toBeGreaterThan(0);
    expect(
      (await s.history({ process_name: "app", range: { start: today - 10 * DAY, stop: now } })).days,
    ).toEqual(want);
    await s.close();
  });

  it("logs a background pass that fails, with InfluxDB's reason", async () => {
    const conn = await freshBucket("hist-pass");
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const s = await open(conn, { historyIntervalMs: 50, log: createLogger("info", sink) });
    // the history bucket deleted under it: every pass fails at its first query
    const headers = { authorization: `Token ${conn.token}` };
    const found = (await (
      await fetch(
        `${conn.url}/api/v2/buckets?${new URLSearchParams({ org: conn.org, name: s.historyBucket })}`,
        {
          headers,
        },
      )
    ).json()) as { buckets: { id: string }[] };
    const gone = await fetch(`${conn.url}/api/v2/buckets/${found.buckets[0]?.id}`, {
      method: "DELETE",
      headers,
    });
    expect(gone.status).toBe(204);
    for (let i = 0; i < 100 && !lines.some((l) => l.msg === "history compaction failed"); i++)
      await new Promise((r) => setTimeout(r, 20));
    await s.close();
    const failed = lines.find((l) => l.msg === "history compaction failed");
    expect(failed?.level).toBe(40);
    expect(String(failed?.err)).toMatch(/^InfluxDB/);
  });
});
