/**
 * Process history over HTTP, on both stores: GET /api/process-runs/ and GET /api/processes-at/
 * (and their tRPC twins), the agent's interval_ms on submit, and every bad input a 4xx naming
 * the field (never a 500).
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/router.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const SEC = 1000;
const T = Date.UTC(2026, 3, 7, 3, 12);
const iso = (ms: number) => new Date(ms).toISOString();

describe("process history over HTTP", () => {
  let app: RunningApp;
  const now = T + 3600 * SEC;

  const submit = async (
    system: string,
    t: number,
    processes: Record<string, unknown>[],
    interval?: number,
  ) => {
    const res = await call(`${app.url}/api/process-data/`, {
      json: {
        system_name: system,
        timestamp: t,
        ...(interval === undefined ? {} : { interval_ms: interval }),
        processes: processes.map((p) => ({ cpu_percent: 1, memory_percent: 1, ...p })),
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };

  beforeAll(async () => {
    app = await startApp((await storeTarget("history")).env, { now: () => now });
    // backup.sh: 03:12:00–03:12:20 (pid 500), then again 03:20:00 (pid 501, a restart), every 10 s
    for (const t of [T, T + 10 * SEC, T + 20 * SEC]) {
      await submit(
        "db-1",
        t,
        [
          { pid: 500, name: "backup.sh", started_at: T - SEC, cpu_percent: 40, memory_percent: 2 },
          { pid: 1, name: "init", cpu_percent: 0, memory_percent: 0.5, user: "root" },
          { pid: 77, name: "postgres", cpu_percent: 12.5, memory_percent: 30 },
        ],
        10_000,
      );
    }
    await submit("db-1", T + 480 * SEC, [{ pid: 501, name: "backup.sh", started_at: T + 479 * SEC }], 10_000);
    await submit("web-1", T + 60 * SEC, [{ pid: 9, name: "backup.sh" }]);
  });
  afterAll(() => app?.close());

  it("GET /api/process-runs/ lists every system that ran the name, with runs, instances and restarts", async () => {
    const res = await call(
      `${app.url}/api/process-runs/?process_name=backup.sh&from=${iso(T - 3600 * SEC)}&to=${iso(T + 3600 * SEC)}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      success: true,
      process_name: "backup.sh",
      from: iso(T - 3600 * SEC),
      to: iso(T + 3600 * SEC),
      count: 2,
      page: 1,
      page_size: 100,
      next: null,
      previous: null,
      next_page: null,
      previous_page: null,
      systems: [
        {
          system_name: "db-1",
          first_seen: iso(T),
          last_seen: iso(T + 480 * SEC),
          runs: [
            {
              start: iso(T),
              end: iso(T + 20 * SEC),
              start_earliest: iso(T - 10 * SEC),
              end_latest: iso(T + 30 * SEC),
              seconds: 20,
              samples: 3,
              single_sample: false,
              instances: [{ pid: 500, started_at: iso(T - SEC) }],
            },
            {
              start: iso(T + 480 * SEC),
              end: iso(T + 480 * SEC),
              start_earliest: iso(T + 470 * SEC),
              end_latest: iso(T + 490 * SEC),
              seconds: 0,
              samples: 1,
              single_sample: true,
              instances: [{ pid: 501, started_at: iso(T + 479 * SEC) }],
            },
          ],
          instances: [
            {
              pid: 500,
              started_at: iso(T - SEC),
              first_seen: iso(T),
              last_seen: iso(T + 20 * SEC),
              samples: 3,
            },
            {
              pid: 501,
              started_at: iso(T + 479 * SEC),
              first_seen: iso(T + 480 * SEC),
              last_seen: iso(T + 480 * SEC),
              samples: 1,
            },
          ],
          restarts: 1,
          crash_loop: false,
        },
        {
          system_name: "web-1",
          first_seen: iso(T + 60 * SEC),
          last_seen: iso(T + 60 * SEC),
          runs: [
            {
              start: iso(T + 60 * SEC),
              end: iso(T + 60 * SEC),
              start_earliest: iso(T + 55 * SEC),
              end_latest: iso(T + 65 * SEC),
              seconds: 0,
              samples: 1,
              single_sample: true,
              instances: [{ pid: 9, started_at: null }],
            },
          ],
          instances: [
            {
              pid: 9,
              started_at: null,
              first_seen: iso(T + 60 * SEC),
              last_seen: iso(T + 60 * SEC),
              samples: 1,
            },
          ],
          restarts: 0,
          crash_loop: false,
        },
      ],
    });
  });

  it("pages by system; the default range is the last 24 h; tRPC process.runs answers the same", async () => {
    const page2 = await call(`${app.url}/api/process-runs/?process_name=backup.sh&page_size=1&page=2`);
    expect(page2.status).toBe(200);
    expect(page2.body.count).toBe(2);
    expect(page2.body.from).toBe(iso(now - 86_400 * SEC));
    expect(page2.body.systems.map((s: { system_name: string }) => s.system_name)).toEqual(["web-1"]);
    expect(page2.body.next).toBeNull();
    // Links from the validated input, relative without PUBLIC_URL; the same on both doors.
    expect(page2.body.previous).toBe("/api/process-runs/?process_name=backup.sh&page=1&page_size=1");
    expect(page2.body).toMatchObject({ next_page: null, previous_page: 1 });
    const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${app.url}/trpc` })] });
    const viaTrpc = await client.process.runs.query({ process_name: "backup.sh", system_name: "db-1" });
    const viaRest = await call(`${app.url}/api/process-runs/?process_name=backup.sh&system_name=db-1`);
    expect(viaTrpc).toEqual(viaRest.body);
    expect(viaTrpc.systems.map((s) => s.restarts)).toEqual([1]);
  });

  it("GET /api/processes-at/ gives the sample in force, its top processes by cpu, memory or name", async () => {
    const res = await call(`${app.url}/api/processes-at/?system_name=db-1&at=${iso(T + 15 * SEC)}&top=2`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      success: true,
      system_name: "db-1",
      at: iso(T + 15 * SEC),
      sample_time: iso(T + 10 * SEC),
      interval_ms: 10_000,
      process_count: 3,
      sort: "cpu",
      processes: [
        {
          system_name: "db-1",
          pid: 500,
          name: "backup.sh",
          cpu_percent: 40,
          memory_percent: 2,
          timestamp: iso(T + 10 * SEC),
          started_at: iso(T - SEC),
        },
        {
          system_name: "db-1",
          pid: 77,
          name: "postgres",
          cpu_percent: 12.5,
          memory_percent: 30,
          timestamp: iso(T + 10 * SEC),
        },
      ],
    });
    const byMemory = await call(
      `${app.url}/api/processes-at/?system_name=db-1&at=${iso(T + 20 * SEC)}&sort=memory`,
    );
    expect(byMemory.body.processes.map((p: { pid: number }) => p.pid)).toEqual([77, 500, 1]);
    const byName = await call(
      `${app.url}/api/processes-at/?system_name=db-1&at=${iso(T)}&sort=name&top=1000`,
    );
    expect(byName.body.processes.map((p: { name: string }) => p.name)).toEqual([
      "backup.sh",
      "init",
      "postgres",
    ]);
    expect(byName.body.processes[1].user).toBe("root");
  });

  it("answers 404 with a message for an unknown system, before the first sample, after a silence, an unknown process", async () => {
    const cases: [string, RegExp][] = [
      [`/api/processes-at/?system_name=nobody&at=${iso(T)}`, /"nobody" has no sample at or before/],
      [`/api/processes-at/?system_name=db-1&at=${iso(T - 1)}`, /no sample at or before/],
      [
        `/api/processes-at/?system_name=db-1&at=${iso(T + 50 * SEC + 1)}`,
        /was not reporting at .*last sample before then was at 2026-04-07T03:12:20.000Z/,
      ],
      [`/api/process-runs/?process_name=nothing`, /"nothing" was not seen on any system/],
      [`/api/process-runs/?process_name=backup.sh&system_name=nobody`, /on system "nobody"/],
    ];
    for (const [path, message] of cases) {
      const res = await call(`${app.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body.success).toBe(false);
      expect(res.body.message, path).toMatch(message);
    }
    // exactly 3 intervals after the last sample: still in force
    const edge = await call(`${app.url}/api/processes-at/?system_name=db-1&at=${iso(T + 50 * SEC)}`);
    expect(edge.body.sample_time).toBe(iso(T + 20 * SEC));
  });

  it("answers 400 naming the field for bad input, never a 500", async () => {
    const cases: [string, string][] = [
      [`/api/processes-at/?system_name=db-1&at=yesterday`, "at"],
      [`/api/processes-at/?system_name=db-1&at=${iso(now + 1000)}`, "at"],
      [`/api/processes-at/?system_name=db-1`, "at"],
      [`/api/processes-at/?at=${iso(T)}`, "system_name"],
      [`/api/processes-at/?system_name=db-1&at=${iso(T)}&top=1001`, "top"],
      [`/api/processes-at/?system_name=db-1&at=${iso(T)}&top=0`, "top"],
      [`/api/processes-at/?system_name=db-1&at=${iso(T)}&sort=pid`, "sort"],
      [`/api/process-runs/?system_name=db-1`, "process_name"],
      [`/api/process-runs/?process_name=x&from=${iso(T - 400 * 86_400 * SEC)}&to=${iso(T)}`, "to"],
      [`/api/process-runs/?process_name=x&from=${iso(T)}&to=${iso(T)}`, "from"],
      [`/api/process-runs/?process_name=x&to=soon`, "to"],
      [`/api/process-runs/?process_name=x&page_size=1001`, "page_size"],
      [`/api/process-runs/?process_name=x&page=0`, "page"],
    ];
    for (const [path, field] of cases) {
      const res = await call(`${app.url}${path}`);
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(400);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        path,
      ).toContain(field);
    }
    for (const interval_ms of [0, -5, 1.5, "5000", 86_400_001]) {
      const res = await call(`${app.url}/api/process-data/`, {
        json: {
          system_name: "x",
          interval_ms,
          processes: [{ pid: 1, name: "a", cpu_percent: 0, memory_percent: 0 }],
        },
      });
      expect(res.status, String(interval_ms)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(["interval_ms"]);
    }
  });
});
