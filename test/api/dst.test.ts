/**
 * Time-of-day windows on real daylight-saving transitions, through the REST API (on each store:
 * test/api runs once per store).
 *
 * The rule (docs/api.md, "Time windows, exactly"): a sample belongs to a window when the wall-clock time in `tz`
 * at its instant lies in [start_time, end_time) on the requested local day. On a fall-back day a
 * window over the repeated time includes both occurrences; on a spring-forward day times that do
 * not exist match nothing.
 *
 * Each case is checked twice: against instants written out by hand, and against an oracle that
 * reads each sample's wall clock with Intl.DateTimeFormat (not luxon, which the server uses).
 * Zones: northern (New York, Berlin) and southern hemisphere (Sydney, Santiago, whose clocks
 * change at midnight), a 30-minute DST shift (Lord Howe), half-hour offsets (Kolkata, St John's).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SampleBatch } from "../../server/store/types.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const MIN = 60_000;
const DAY = 86_400_000;
const STEP = 15 * MIN;

/** Samples every 15 minutes over the three UTC days around each transition. */
const SPANS: Record<string, [string, string]> = {
  "America/New_York": ["2026-10-31", "2026-11-03"],
  "America/New_York spring": ["2026-03-07", "2026-03-10"],
  "Europe/Berlin": ["2026-10-24", "2026-10-27"],
  "Australia/Sydney": ["2026-04-03", "2026-04-06"],
  "Australia/Lord_Howe": ["2026-04-03", "2026-04-06"],
  "Australia/Lord_Howe spring": ["2026-10-02", "2026-10-05"],
  "America/Santiago": ["2026-09-04", "2026-09-08"],
  "Asia/Kolkata": ["2026-03-08", "2026-03-11"],
  "America/St_Johns": ["2026-10-31", "2026-11-03"],
};
const zoneOf = (system: string) => system.split(" ")[0] as string;

function instants(system: string): number[] {
  const [from, to] = SPANS[system] as [string, string];
  const out: number[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += STEP) out.push(t);
  return out;
}

/** The wall clock in a zone at an instant, read by Intl: ["YYYY-MM-DD", seconds since midnight]. */
function wall(zone: string, t: number): [string, number] {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  return [
    `${parts.year}-${parts.month}-${parts.day}`,
    Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second),
  ];
}

const seconds = (hhmm: string) => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;
const nextDate = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10);

/** The oracle: the instants of `system` that belong to the window on `date`. */
function expected(system: string, date: string, start?: string, end?: string): string[] {
  const zone = zoneOf(system);
  const s = start === undefined ? 0 : seconds(start);
  const e = end === undefined ? DAY / 1000 : seconds(end);
  const crosses = start !== undefined && end !== undefined && e <= s;
  return instants(system)
    .filter((t) => {
      const [d, tod] = wall(zone, t);
      if (!crosses) return d === date && tod >= s && tod < e;
      return (d === date && tod >= s) || (d === nextDate(date) && tod < e);
    })
    .map((t) => new Date(t).toISOString());
}

describe("daylight saving", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("dst")).env, { now: () => Date.parse("2026-11-10T00:00:00Z") });
    const batches: SampleBatch[] = Object.keys(SPANS).flatMap((system) =>
      instants(system).map((timestamp) => ({
        system_name: system,
        timestamp,
        processes: [{ pid: 1, name: "clock", cpu_percent: 1, memory_percent: 1 }],
      })),
    );
    for (let i = 0; i < batches.length; i += 64) {
      await Promise.all(batches.slice(i, i + 64).map((b) => app.store.write(b)));
    }
  });
  afterAll(() => app?.close());

  async function window(system: string, date: string, start?: string, end?: string): Promise<string[]> {
    const q = new URLSearchParams({ system_name: system, date, tz: zoneOf(system), page_size: "500" });
    if (start) q.set("start_time", start);
    if (end) q.set("end_time", end);
    const res = await call(`${app.url}/api/filter-processes/?${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data.map((d: { timestamp: string }) => d.timestamp);
  }
  const utc = (...times: string[]) => times.map((t) => `${t}:00.000Z`);

  it("New York falls back (1 Nov 2026): 01:00–01:30 happens twice and both are returned", async () => {
    const got = await window("America/New_York", "2026-11-01", "01:00", "01:30");
    expect(got).toEqual(utc("2026-11-01T05:00", "2026-11-01T05:15", "2026-11-01T06:00", "2026-11-01T06:15"));
    expect(got).toEqual(expected("America/New_York", "2026-11-01", "01:00", "01:30"));
  });

  it("New York springs forward (8 Mar 2026): 02:00–03:00 does not exist; 02:30–03:30 is 03:00–03:30", async () => {
    expect(await window("America/New_York spring", "2026-03-08", "02:00", "03:00")).toEqual([]);
    const got = await window("America/New_York spring", "2026-03-08", "02:30", "03:30");
    expect(got).toEqual(utc("2026-03-08T07:00", "2026-03-08T07:15"));
    expect(got).toEqual(expected("America/New_York spring", "2026-03-08", "02:30", "03:30"));
  });

  it("Berlin falls back (25 Oct 2026): 02:00–03:00 is two hours of samples", async () => {
    const got = await window("Europe/Berlin", "2026-10-25", "02:00", "03:00");
    expect(got).toHaveLength(8);
    expect(got[0]).toBe("2026-10-25T00:00:00.000Z");
    expect(got[7]).toBe("2026-10-25T01:45:00.000Z");
    expect(got).toEqual(expected("Europe/Berlin", "2026-10-25", "02:00", "03:00"));
  });

  it("Sydney falls back in April (southern hemisphere): 02:00–03:00 on 5 Apr twice", async () => {
    const got = await window("Australia/Sydney", "2026-04-05", "02:00", "03:00");
    expect(got).toHaveLength(8);
    expect([got[0], got[4]]).toEqual(["2026-04-04T15:00:00.000Z", "2026-04-04T16:00:00.000Z"]);
    expect(got).toEqual(expected("Australia/Sydney", "2026-04-05", "02:00", "03:00"));
  });

  it("Lord Howe shifts by 30 minutes: 01:30–02:00 on 5 Apr happens twice, 02:00–02:30 on 4 Oct never", async () => {
    const back = await window("Australia/Lord_Howe", "2026-04-05", "01:30", "02:00");
    expect(back).toEqual(utc("2026-04-04T14:30", "2026-04-04T14:45", "2026-04-04T15:00", "2026-04-04T15:15"));
    expect(back).toEqual(expected("Australia/Lord_Howe", "2026-04-05", "01:30", "02:00"));
    expect(await window("Australia/Lord_Howe spring", "2026-10-04", "02:00", "02:30")).toEqual([]);
    const after = await window("Australia/Lord_Howe spring", "2026-10-04", "02:00", "03:00");
    expect(after).toEqual(expected("Australia/Lord_Howe spring", "2026-10-04", "02:00", "03:00"));
    expect(after).toEqual(utc("2026-10-03T15:30", "2026-10-03T15:45"));
  });

  it("Santiago's clocks jump at midnight (6 Sep 2026): the day starts at 01:00 and is 23 hours long", async () => {
    const got = await window("America/Santiago", "2026-09-06");
    expect(got).toHaveLength(23 * 4);
    expect(got[0]).toBe("2026-09-06T04:00:00.000Z");
    expect(got).toEqual(expected("America/Santiago", "2026-09-06"));
    expect(await window("America/Santiago", "2026-09-06", "00:00", "01:00")).toEqual([]);
  });

  it("half-hour offsets: Kolkata (+05:30) and St John's (-02:30 → -03:30, falling back)", async () => {
    const kolkata = await window("Asia/Kolkata", "2026-03-10", "00:30", "01:05");
    expect(kolkata).toEqual(utc("2026-03-09T19:00", "2026-03-09T19:15", "2026-03-09T19:30"));
    const stjohns = await window("America/St_Johns", "2026-11-01", "01:00", "01:30");
    expect(stjohns).toEqual(
      utc("2026-11-01T03:30", "2026-11-01T03:45", "2026-11-01T04:30", "2026-11-01T04:45"),
    );
    expect(stjohns).toEqual(expected("America/St_Johns", "2026-11-01", "01:00", "01:30"));
  });

  it("the oracle agrees on every zone, for windows across midnight and whole days, over [from, to)", async () => {
    for (const system of Object.keys(SPANS)) {
      const zone = zoneOf(system);
      const [first, last] = SPANS[system] as [string, string];
      for (const [start, end] of [
        ["23:00", "02:30"],
        ["01:15", "03:45"],
        [undefined, undefined],
      ] as const) {
        const q = new URLSearchParams({ system_name: system, tz: zone, page_size: "1000" });
        q.set("from", `${first}T00:00:00Z`);
        q.set("to", `${last}T00:00:00Z`);
        if (start) q.set("start_time", start);
        if (end) q.set("end_time", end);
        const res = await call(`${app.url}/api/filter-processes/?${q}`);
        const want = instants(system).filter((t) => {
          const [, tod] = wall(zone, t);
          if (start === undefined || end === undefined) return true;
          const s = seconds(start);
          const e = seconds(end);
          return e <= s ? tod >= s || tod < e : tod >= s && tod < e;
        });
        expect(
          res.body.data.map((d: { timestamp: string }) => d.timestamp),
          `${system} ${start}–${end}`,
        ).toEqual(want.map((t) => new Date(t).toISOString()));
      }
    }
  });
});
