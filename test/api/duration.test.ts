/** Duration: runs split by gaps, uptime, running, and names that need escaping end to end. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const S = 1000;
const at = (h: number, m = 0) => Date.UTC(2026, 2, 12, h, m);

describe("process duration", () => {
  let app: RunningApp;
  let now = at(15, 30);
  const submit = async (system: string, t: number, processes: Record<string, unknown>[]) => {
    const res = await call(`${app.url}/api/process-data/`, {
      json: {
        system_name: system,
        timestamp: t,
        processes: processes.map((p) => ({ cpu_percent: 1, memory_percent: 1, ...p })),
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };

  beforeAll(async () => {
    app = await startApp((await storeTarget("duration")).env, {
      now: () => now,
      env: { RUN_GAP_SECONDS: "15" },
    });
    // "worker" runs 09:00–10:00 (pid 100) and 15:00–15:30 (pid 200), sampled every 5 s.
    const batches: (() => Promise<void>)[] = [];
    for (let t = at(9); t <= at(10); t += 5 * S)
      batches.push(() => submit("sys", t, [{ pid: 100, name: "worker" }]));
    for (let t = at(15); t <= at(15, 30); t += 5 * S) {
      batches.push(() => submit("sys", t, [{ pid: 200, name: "worker", started_at: at(14, 59) }]));
    }
    // Sixteen at a time, as a fleet of agents would: a thousand requests at once are a flood the
    // server answers 408 to once REQUEST_TIMEOUT_MS is up (SQLite writes one batch at a time).
    for (let i = 0; i < batches.length; i += 16) await Promise.all(batches.slice(i, i + 16).map((b) => b()));
  });
  afterAll(() => app?.close());

  it("sums separate runs: 09:00–10:00 and 15:00–15:30 ran 1.5 h, not 6.5 h", async () => {
    const res = await call(`${app.url}/api/process-duration/?system_name=sys&process_name=worker`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      duration_seconds: 5400,
      duration_human_readable: "1:30:00",
      first_seen: new Date(at(9)).toISOString(),
      last_seen: new Date(at(15, 30)).toISOString(),
      running: true,
      runs: [
        {
          start: new Date(at(9)).toISOString(),
          end: new Date(at(10)).toISOString(),
          seconds: 3600,
          pids: [100],
        },
        {
          start: new Date(at(15)).toISOString(),
          end: new Date(at(15, 30)).toISOString(),
          seconds: 1800,
          pids: [200],
        },
      ],
    });
    // uptime from the agent's started_at (14:59), not from the first sample of the run.
    expect(res.body.uptime_seconds).toBe(31 * 60);
  });

  it("not running once the last sample is older than the gap threshold", async () => {
    now = at(16);
    const res = await call(`${app.url}/api/process-duration/?system_name=sys&process_name=worker`);
    expect(res.body).toMatchObject({ running: false, uptime_seconds: null, duration_seconds: 5400 });
    now = at(15, 30);
  });

  it("from/to restrict the samples considered", async () => {
    const res = await call(
      `${app.url}/api/process-duration/?system_name=sys&process_name=worker&from=2026-03-12T09:30:00Z&to=2026-03-12T12:00:00Z`,
    );
    expect(res.body.duration_seconds).toBe(1800);
    expect(res.body.runs).toHaveLength(1);
    const none = await call(
      `${app.url}/api/process-duration/?system_name=sys&process_name=worker&from=2026-03-12T11:00:00Z&to=2026-03-12T12:00:00Z`,
    );
    expect(none.status).toBe(404);
  });

  it("a process on another system is not counted", async () => {
    const res = await call(`${app.url}/api/process-duration/?system_name=other&process_name=worker`);
    expect(res.status).toBe(404);
  });

  it.each([
    ['a"b', "sys one"],
    ["x\\", "back\\slash\\"],
    ['") |> drop(columns: ["_value"]) //', '" or true or "'],
    ["name with spaces, commas=1", "sys,with=specials"],
    ["it's", "o'clock"],
    ["🚀 rocket", "東京-01"],
    ["C:\\Program Files\\app.exe", "Ελλάδα"],
    ["100% cpu %5C", "%25 literally"],
  ])("the name %j on system %j round-trips through submit → filter → duration", async (name, system) => {
    await submit(system, at(11), [{ pid: 1, name }]);
    await submit(system, at(11) + 10 * S, [{ pid: 1, name, command: `${name} --flag "quoted" \\` }]);
    const q = new URLSearchParams({ system_name: system, process_name: name, date: "2026-03-12" });
    const filtered = await call(`${app.url}/api/filter-processes/?${q}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.count).toBe(2);
    expect(
      filtered.body.data.map((d: { name: string; system_name: string }) => [d.system_name, d.name]),
    ).toEqual([
      [system, name],
      [system, name],
    ]);
    const d = new URLSearchParams({ system_name: system, process_name: name });
    const duration = await call(`${app.url}/api/process-duration/?${d}`);
    expect(duration.status).toBe(200);
    expect(duration.body).toMatchObject({ system_name: system, process_name: name, duration_seconds: 10 });
    expect(filtered.body.data[1].command).toBe(`${name} --flag "quoted" \\`);
    const systems = await call(`${app.url}/api/systems/`);
    expect(systems.body.systems.map((s: { system_name: string }) => s.system_name)).toContain(system);
  });
});
