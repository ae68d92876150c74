/**
 * Correct answers at the edges: MAX_QUERY_DAYS counted with `to` exclusive; pagination links built
 * from PUBLIC_URL or relative (never from the client's Host header) and page numbers a tRPC client
 * can use; a repeated query parameter named as such; "required" messages from each procedure's
 * metadata, naming every missing field, on both doors.
 */
import { request } from "node:http";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/router.ts";
import { type Body, call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const T = Date.UTC(2026, 2, 10, 12);

/** A GET with a Host header of our choosing (fetch will not send one). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: Body }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function seed(app: RunningApp) {
  const processes = [1, 2, 3].map((pid) => ({ pid, name: `p${pid}`, cpu_percent: 1, memory_percent: 1 }));
  const res = await call(`${app.url}/api/process-data/`, {
    json: { system_name: "edge", timestamp: T, processes },
  });
  expect(res.status).toBe(201);
}

describe("edges", () => {
  let app: RunningApp;
  let published: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("edges")).env, {
      now: () => T + 60_000,
      env: { MAX_QUERY_DAYS: "7" },
    });
    published = await startApp((await storeTarget("edges")).env, {
      now: () => T + 60_000,
      env: { PUBLIC_URL: "https://procscope.example/monitor" },
    });
    await seed(app);
    await seed(published);
  });
  afterAll(async () => {
    await app?.close();
    await published?.close();
  });

  it("MAX_QUERY_DAYS: [from, to) of exactly 7 days is allowed, a second more is not", async () => {
    const ok = await call(
      `${app.url}/api/filter-processes/?from=2026-03-03T00:00:00Z&to=2026-03-10T00:00:00Z`,
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const noon = await call(
      `${app.url}/api/filter-processes/?from=2026-03-03T12:00:01Z&to=2026-03-10T12:00:01Z`,
    );
    expect(noon.status, JSON.stringify(noon.body)).toBe(200);
    expect(noon.body.count).toBe(3);
    const over = await call(
      `${app.url}/api/filter-processes/?from=2026-03-03T00:00:00Z&to=2026-03-10T00:00:01Z`,
    );
    expect(over.status).toBe(400);
    expect(over.body.errors).toEqual([
      { path: "to", message: "[from, to) spans 7 days; at most 7 are allowed" },
    ]);
  });

  it("MAX_QUERY_DAYS counts calendar days in tz: a week across a clock change is 7 days", async () => {
    // New York springs forward on 8 March: midnight to midnight a week later is 167 hours.
    const q = "from=2026-03-05T00:00:00-05:00&to=2026-03-12T00:00:00-04:00&tz=America/New_York";
    const ok = await call(`${app.url}/api/filter-processes/?${q}`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const over = await call(
      `${app.url}/api/filter-processes/?from=2026-03-05T00:00:00-05:00&to=2026-03-12T00:00:01-04:00&tz=America/New_York`,
    );
    expect(over.status).toBe(400);
  });

  it("links are relative without PUBLIC_URL, whatever Host the client sends; they lead to the pages", async () => {
    const res = await getWithHost(
      `${app.url}/api/filter-processes/?date=2026-03-10&tz=UTC&page_size=1&page=2`,
      "evil.example",
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 2, next_page: 3, previous_page: 1 });
    expect(res.body.next).toBe("/api/filter-processes/?date=2026-03-10&tz=UTC&page=3&page_size=1");
    expect(res.body.previous).toBe("/api/filter-processes/?date=2026-03-10&tz=UTC&page=1&page_size=1");
    const next = await call(new URL(res.body.next, app.url).href);
    expect(next.body.data.map((d: { pid: number }) => d.pid)).toEqual([3]);
    expect(next.body).toMatchObject({ next: null, next_page: null, previous_page: 2 });
  });

  it("links are absolute under PUBLIC_URL (its path kept), whatever Host the client sends", async () => {
    const res = await getWithHost(
      `${published.url}/api/process-filter/?date=2026-03-10&tz=UTC&page_size=1`,
      "evil.example",
    );
    expect(res.body.next).toBe(
      "https://procscope.example/monitor/api/filter-processes/?date=2026-03-10&tz=UTC&page=2&page_size=1",
    );
    expect(res.body.previous).toBeNull();
  });

  it("tRPC clients get page numbers they can pass back, and REST links (not a copy of the batch URL)", async () => {
    const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${app.url}/trpc` })] });
    const first = await client.process.filter.query({ date: "2026-03-10", tz: "UTC", page_size: 2 });
    expect(first).toMatchObject({ page: 1, next_page: 2, previous_page: null });
    expect(first.next).toBe("/api/filter-processes/?date=2026-03-10&tz=UTC&page=2&page_size=2");
    const { next_page } = first;
    if (next_page === null) throw new Error("no next page");
    const second = await client.process.filter.query({
      date: "2026-03-10",
      tz: "UTC",
      page_size: 2,
      page: next_page,
    });
    expect([...first.data, ...second.data].map((d) => d.pid)).toEqual([1, 2, 3]);
    expect(second).toMatchObject({ next_page: null, previous_page: 1, next: null });
  });

  it.each([
    ["page_size=1&page_size=2", "page_size", 'given 2 times ("1", "2"); give it once'],
    ["page_size=5&page_size=5", "page_size", 'given 2 times ("5", "5"); give it once'],
    ["tz=UTC&tz=Europe/Berlin&tz=UTC", "tz", 'given 3 times ("UTC", "Europe/Berlin", "UTC"); give it once'],
  ])("a repeated parameter (%s) is a 400 a person understands", async (query, path, message) => {
    const res = await call(`${app.url}/api/filter-processes/?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      code: "BAD_REQUEST",
      message: `${path}: ${message}`,
      errors: [{ path, message }],
    });
  });

  it("required fields: the procedure's own message, and every missing field named", async () => {
    const submit = await call(`${app.url}/api/process-data/`, { json: { processes: [] } });
    expect(submit.body).toEqual({
      success: false,
      code: "BAD_REQUEST",
      message: "System name and processes are required.",
      errors: [
        { path: "system_name", message: "required" },
        { path: "processes", message: "required" },
      ],
    });
    const duration = await call(`${app.url}/api/process-duration/?process_name=`);
    expect(duration.body).toEqual({
      success: false,
      code: "BAD_REQUEST",
      message: "Both system name and process name are required.",
      errors: [
        { path: "system_name", message: "required" },
        { path: "process_name", message: "required" },
      ],
    });
    // A field that is present but wrong is not "missing": zod's message, naming the field.
    const wrong = await call(`${app.url}/api/process-data/`, {
      json: { system_name: "a", processes: [{ pid: 1, name: "n", cpu_percent: -1, memory_percent: 1 }] },
    });
    expect(wrong.body.message).toMatch(/^processes\.0\.cpu_percent: /);
    // The same message over tRPC.
    const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${app.url}/trpc` })] });
    const err = await client.process.duration
      .query({ system_name: "edge" } as { system_name: string; process_name: string })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as Error).message).toBe("Both system name and process name are required.");
  });
});
