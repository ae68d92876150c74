/**
 * The old Django service's contract, with its README's exact payload and query strings, against a
 * real server over each store (vitest.config.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const OLD_PAYLOAD = {
  system_name: "System_A",
  processes: [
    { pid: 1234, name: "python", cpu_percent: 5.2, memory_percent: 1.5 },
    { pid: 5678, name: "chrome", cpu_percent: 15.7, memory_percent: 8.3 },
  ],
};

// "Today" for the server: 2026-03-10 in UTC. Samples go in at 00:45 today (inside the old
// README's 00:30–01:05 window) and at 12:00 (outside it).
const DAY = Date.UTC(2026, 2, 10);
const NOW = DAY + 13 * 3600_000;

describe("the old REST contract", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("old")).env, { now: () => NOW });
    for (const [at, payload] of [
      [DAY + 45 * 60_000, OLD_PAYLOAD],
      [DAY + 12 * 3600_000, OLD_PAYLOAD],
      [
        DAY + 12 * 3600_000,
        {
          system_name: "Vinay",
          processes: [{ pid: 42, name: "Code.exe", cpu_percent: 1, memory_percent: 2 }],
        },
      ],
      [
        DAY + 12 * 3600_000 + 5000,
        {
          system_name: "Vinay",
          processes: [{ pid: 42, name: "Code.exe", cpu_percent: 1, memory_percent: 2 }],
        },
      ],
    ] as const) {
      const res = await call(`${app.url}/api/process-data/`, { json: { ...payload, timestamp: at } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => app?.close());

  it("POST /api/process-data/ with the old README's payload answers 201 as the old service did", async () => {
    const res = await call(`${app.url}/api/process-data/`, { json: OLD_PAYLOAD });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ success: true, message: "Data received successfully.", accepted: 2 });
  });

  it("POST without the trailing slash works too", async () => {
    const res = await call(`${app.url}/api/process-data`, { json: { ...OLD_PAYLOAD, timestamp: DAY + 1 } });
    expect(res.status).toBe(201);
  });

  it("GET /api/filter-processes/?start_time=00:30:00&end_time=01:05:00 returns today's window", async () => {
    const res = await call(`${app.url}/api/filter-processes/?start_time=00:30:00&end_time=01:05:00`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      count: 2,
      page: 1,
      page_size: 1000,
      next: null,
      previous: null,
    });
    expect(res.body.data).toEqual([
      {
        system_name: "System_A",
        pid: 5678,
        name: "chrome",
        cpu_percent: 15.7,
        memory_percent: 8.3,
        timestamp: new Date(DAY + 45 * 60_000).toISOString(),
      },
      {
        system_name: "System_A",
        pid: 1234,
        name: "python",
        cpu_percent: 5.2,
        memory_percent: 1.5,
        timestamp: new Date(DAY + 45 * 60_000).toISOString(),
      },
    ]);
  });

  it("the alias /api/process-filter/ (and without slashes) answers the same", async () => {
    const a = await call(`${app.url}/api/filter-processes/?start_time=00:30:00&end_time=01:05:00`);
    const b = await call(`${app.url}/api/process-filter/?start_time=00:30:00&end_time=01:05:00`);
    const c = await call(`${app.url}/api/process-filter?start_time=00:30&end_time=01:05`);
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
    expect(c.body.data).toEqual(a.body.data);
  });

  it("GET /api/process-duration/?system_name=Vinay&process_name=Code.exe", async () => {
    const res = await call(`${app.url}/api/process-duration/?system_name=Vinay&process_name=Code.exe`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      system_name: "Vinay",
      process_name: "Code.exe",
      duration_seconds: 5,
      duration_human_readable: "0:00:05",
      first_seen: new Date(DAY + 12 * 3600_000).toISOString(),
      last_seen: new Date(DAY + 12 * 3600_000 + 5000).toISOString(),
      running: false,
      uptime_seconds: null,
      runs: [
        {
          start: new Date(DAY + 12 * 3600_000).toISOString(),
          end: new Date(DAY + 12 * 3600_000 + 5000).toISOString(),
          seconds: 5,
          pids: [42],
        },
      ],
    });
  });

  it("missing system_name or processes → 400 with the old message", async () => {
    for (const body of [
      {},
      { system_name: "a" },
      { processes: [] },
      { system_name: "", processes: [] },
      { system_name: "a", processes: [] },
    ]) {
      const res = await call(`${app.url}/api/process-data/`, { json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.success).toBe(false);
      expect(res.body.message).toBe("System name and processes are required.");
    }
  });

  it("missing duration parameters → 400 with the old message; never seen → 404", async () => {
    for (const q of ["", "?system_name=Vinay", "?process_name=Code.exe", "?system_name=&process_name=x"]) {
      const res = await call(`${app.url}/api/process-duration/${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.message).toBe("Both system name and process name are required.");
    }
    const res = await call(`${app.url}/api/process-duration/?system_name=Vinay&process_name=nope`);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      success: false,
      message: "No process found with the specified name on the system.",
    });
  });

  it("GET /api/systems/ lists every system with its latest process count", async () => {
    const res = await call(`${app.url}/api/systems/`);
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(
      res.body.systems.map((s: { system_name: string }) => [s.system_name, s]),
    );
    expect(byName.Vinay).toEqual({
      system_name: "Vinay",
      first_seen: new Date(DAY + 12 * 3600_000).toISOString(),
      last_seen: new Date(DAY + 12 * 3600_000 + 5000).toISOString(),
      process_count: 1,
    });
    expect(byName.System_A.process_count).toBe(2);
  });
});
