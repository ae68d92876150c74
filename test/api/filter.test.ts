/** Time-of-day windows through the REST API: midnight, many days, daylight saving, pages. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const H = 3600_000;
const submit = (app: RunningApp, system: string, at: number, processes: { pid: number; name: string }[]) =>
  call(`${app.url}/api/process-data/`, {
    json: {
      system_name: system,
      timestamp: at,
      processes: processes.map((p) => ({ ...p, cpu_percent: 1, memory_percent: 1 })),
    },
  }).then((r) => expect(r.status).toBe(201));

describe("filter windows", () => {
  let app: RunningApp;
  const D1 = Date.UTC(2026, 2, 2); // Mon 2026-03-02 UTC
  beforeAll(async () => {
    app = await startApp((await storeTarget("filter")).env, { now: () => D1 + 5 * 86_400_000 });
    // Every hour for four days: one process "hourly" on system "h".
    for (let t = D1; t < D1 + 4 * 86_400_000; t += H) await submit(app, "h", t, [{ pid: 1, name: "hourly" }]);
    // Europe/Berlin springs forward on 2026-03-29 (02:00 → 03:00 local, 01:00 UTC).
    for (let t = Date.UTC(2026, 2, 28, 20); t < Date.UTC(2026, 2, 30, 4); t += H / 2) {
      await submit(app, "dst", t, [{ pid: 7, name: "halfhourly" }]);
    }
    // Pagination: 25 processes at each of 2 instants; pids chosen so that text order differs.
    for (const at of [Date.UTC(2026, 2, 20, 10), Date.UTC(2026, 2, 20, 10, 0, 5)]) {
      await submit(
        app,
        "page",
        at,
        Array.from({ length: 25 }, (_, i) => ({ pid: i + 1, name: i % 2 ? "odd" : "even" })),
      );
    }
  });
  afterAll(() => app?.close());

  const times = (body: { data: { timestamp: string }[] }) => body.data.map((d) => d.timestamp.slice(0, 16));

  it("a window on one date", async () => {
    const res = await call(
      `${app.url}/api/filter-processes/?system_name=h&date=2026-03-03&start_time=10:00&end_time=13:00`,
    );
    expect(res.status).toBe(200);
    expect(times(res.body)).toEqual(["2026-03-03T10:00", "2026-03-03T11:00", "2026-03-03T12:00"]);
  });

  it("a window across midnight (22:00 → 02:00) runs into the next day", async () => {
    const res = await call(
      `${app.url}/api/filter-processes/?system_name=h&date=2026-03-03&start_time=22:00:00&end_time=02:00:00`,
    );
    expect(times(res.body)).toEqual([
      "2026-03-03T22:00",
      "2026-03-03T23:00",
      "2026-03-04T00:00",
      "2026-03-04T01:00",
    ]);
  });

  it("the same window on every night of a range", async () => {
    const res = await call(
      `${app.url}/api/filter-processes/?system_name=h&start_time=23:00&end_time=01:00&from=2026-03-02T00:00:00Z&to=2026-03-06T00:00:00Z`,
    );
    expect(res.body.count).toBe(8);
    expect(times(res.body)).toEqual([
      "2026-03-02T00:00",
      "2026-03-02T23:00",
      "2026-03-03T00:00",
      "2026-03-03T23:00",
      "2026-03-04T00:00",
      "2026-03-04T23:00",
      "2026-03-05T00:00",
      "2026-03-05T23:00",
    ]);
  });

  it("open ends: only start_time, only end_time", async () => {
    const a = await call(`${app.url}/api/filter-processes/?system_name=h&date=2026-03-03&start_time=21:00`);
    expect(times(a.body)).toEqual(["2026-03-03T21:00", "2026-03-03T22:00", "2026-03-03T23:00"]);
    const b = await call(`${app.url}/api/filter-processes/?system_name=h&date=2026-03-03&end_time=02:00`);
    expect(times(b.body)).toEqual(["2026-03-03T00:00", "2026-03-03T01:00"]);
  });

  it("times of day are read in tz", async () => {
    // 10:00–12:00 in New York (UTC-5 in early March) is 15:00–17:00 UTC.
    const res = await call(
      `${app.url}/api/filter-processes/?system_name=h&date=2026-03-03&start_time=10:00&end_time=12:00&tz=America/New_York`,
    );
    expect(times(res.body)).toEqual(["2026-03-03T15:00", "2026-03-03T16:00"]);
  });

  it("a daylight-saving day: 01:00–04:00 Berlin on 2026-03-29 is two real hours", async () => {
    const res = await call(
      `${app.url}/api/filter-processes/?system_name=dst&date=2026-03-29&start_time=01:00&end_time=04:00&tz=Europe/Berlin`,
    );
    // 01:00 CET = 00:00 UTC; 04:00 CEST = 02:00 UTC.
    expect(times(res.body)).toEqual([
      "2026-03-29T00:00",
      "2026-03-29T00:30",
      "2026-03-29T01:00",
      "2026-03-29T01:30",
    ]);
    const dayBefore = await call(
      `${app.url}/api/filter-processes/?system_name=dst&date=2026-03-28&start_time=22:00&end_time=23:00&tz=Europe/Berlin`,
    );
    expect(times(dayBefore.body)).toEqual(["2026-03-28T21:00", "2026-03-28T21:30"]);
  });

  it("pages: order by timestamp, system, name, then pid as a number; links; edges", async () => {
    const all = await call(`${app.url}/api/filter-processes/?system_name=page&date=2026-03-20&page_size=100`);
    expect(all.body.count).toBe(50);
    const keys = all.body.data.map(
      (d: { timestamp: string; name: string; pid: number }) =>
        `${d.timestamp.slice(17, 19)} ${d.name} ${d.pid}`,
    );
    expect(keys.slice(0, 13)).toEqual(
      [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25].map((p) => `00 even ${p}`),
    );
    expect(keys[13]).toBe("00 odd 2");
    expect(keys[25]).toBe("05 even 1");

    const p1 = await call(`${app.url}/api/filter-processes/?system_name=page&date=2026-03-20&page_size=20`);
    expect(p1.body).toMatchObject({ count: 50, page: 1, page_size: 20, previous: null });
    expect(p1.body.data).toEqual(all.body.data.slice(0, 20));
    // Links are relative to the server's root (no PUBLIC_URL here): resolve them as a browser would.
    const link = (relative: string) => new URL(relative, app.url);
    const p3 = await call(link(p1.body.next.replace("page=2", "page=3")).href);
    expect(p3.body.data).toEqual(all.body.data.slice(40, 50));
    expect(p3.body.next).toBeNull();
    const p2 = await call(link(p1.body.next).href);
    expect(p2.body.data).toEqual(all.body.data.slice(20, 40));
    expect(link(p2.body.previous).searchParams.get("page")).toBe("1");
    expect(link(p2.body.next).searchParams.get("system_name")).toBe("page");
    const past = await call(
      `${app.url}/api/filter-processes/?system_name=page&date=2026-03-20&page_size=20&page=9`,
    );
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({ count: 50, data: [], next: null });
  });

  it("narrowing by process_name and pid", async () => {
    const res = await call(
      `${app.url}/api/filter-processes/?system_name=page&date=2026-03-20&process_name=odd&pid=4`,
    );
    expect(res.body.count).toBe(2);
    expect(res.body.data.map((d: { pid: number; name: string }) => [d.name, d.pid])).toEqual([
      ["odd", 4],
      ["odd", 4],
    ]);
  });

  it("an empty result is a 200 with no rows", async () => {
    const res = await call(`${app.url}/api/filter-processes/?system_name=nobody`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, count: 0, data: [], next: null, previous: null });
  });
});
