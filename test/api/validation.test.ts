/** Bad input always gets a 4xx JSON error naming the field; nothing invalid is stored. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Body, call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const ok = { pid: 1, name: "ok", cpu_percent: 1, memory_percent: 1 };
const withProcess = (p: Record<string, unknown>) => ({
  system_name: "val",
  processes: [ok, { ...ok, ...p }],
});

describe("validation", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("val")).env, {
      env: {
        MAX_BATCH_PROCESSES: "50",
        MAX_BODY_BYTES: "20000",
        MAX_PAGE_SIZE: "500",
        DEFAULT_PAGE_SIZE: "100",
      },
    });
  });
  afterAll(() => app?.close());

  const post = (body: string, contentType = "application/json") =>
    fetch(`${app.url}/api/process-data/`, {
      method: "POST",
      body,
      headers: { "content-type": contentType },
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Body }));

  it.each([
    ["wrong type", { cpu_percent: "5" }, "processes.1.cpu_percent"],
    ["string pid", { pid: "12" }, "processes.1.pid"],
    ["negative pid", { pid: -1 }, "processes.1.pid"],
    ["fractional pid", { pid: 1.5 }, "processes.1.pid"],
    ["huge pid", { pid: 2 ** 40 }, "processes.1.pid"],
    ["negative cpu", { cpu_percent: -0.1 }, "processes.1.cpu_percent"],
    ["memory over 100", { memory_percent: 100.5 }, "processes.1.memory_percent"],
    ["name over 255 characters", { name: "x".repeat(256) }, "processes.1.name"],
    ["empty name", { name: "" }, "processes.1.name"],
    ["newline in name", { name: "a\nb" }, "processes.1.name"],
    ["NUL in name", { name: "a\u0000b" }, "processes.1.name"],
    ["missing memory_percent", { memory_percent: undefined }, "processes.1.memory_percent"],
    ["null cpu", { cpu_percent: null }, "processes.1.cpu_percent"],
    ["bad started_at", { started_at: "yesterday" }, "processes.1.started_at"],
  ])("%s → 400 naming %s", async (_label, patch, path) => {
    const res = await call(`${app.url}/api/process-data/`, { json: withProcess(patch) });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(res.body.message).toContain(path);
  });

  it("Infinity (1e999 in JSON) is refused", async () => {
    const res = await post(
      '{"system_name":"val","processes":[{"pid":1,"name":"a","cpu_percent":1e999,"memory_percent":1}]}',
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("processes.0.cpu_percent");
  });

  it("NaN is not JSON: 400", async () => {
    const res = await post(
      '{"system_name":"val","processes":[{"pid":1,"name":"a","cpu_percent":NaN,"memory_percent":1}]}',
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/not valid JSON/);
  });

  it("control characters in system_name are refused", async () => {
    const res = await call(`${app.url}/api/process-data/`, {
      json: { system_name: "a\tb", processes: [ok] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("system_name");
  });

  it("more processes than MAX_BATCH_PROCESSES → 400 naming processes", async () => {
    const processes = Array.from({ length: 51 }, (_, i) => ({ ...ok, pid: i }));
    const res = await call(`${app.url}/api/process-data/`, { json: { system_name: "val", processes } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe("processes");
    expect(res.body.message).toMatch(/at most 50/);
  });

  it("a body over MAX_BODY_BYTES → 413", async () => {
    const res = await post(
      JSON.stringify({ system_name: "val", processes: [{ ...ok, command: "x".repeat(30_000) }] }),
    );
    expect(res.status).toBe(413);
    expect(res.body.success).toBe(false);
  });

  it("a body that is not JSON, truncated, or empty → 400", async () => {
    for (const body of ["not json", '{"system_name": "val", "processes": [', ""]) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.body.success).toBe(false);
    }
  });

  it("a JSON body that is not an object → 400", async () => {
    for (const body of ["[]", "42", '"text"', "null"]) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
    }
  });

  it("a wrong content type → 415", async () => {
    const res = await post("system_name=a", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    expect(res.body.success).toBe(false);
  });

  it.each([
    ["start_time=25:00", "start_time"],
    ["start_time=bad", "start_time"],
    ["end_time=12:60", "end_time"],
    ["tz=Mars/Olympus_Mons", "tz"],
    ["date=2026-02-30", "date"],
    ["date=yesterday", "date"],
    ["from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "from"],
    ["from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"],
    ["from=2026-03-01", "from"],
    ["page_size=501", "page_size"],
    ["page_size=0", "page_size"],
    ["page=0", "page"],
    ["page=abc", "page"],
    ["pid=-3", "pid"],
  ])("filter with %s → 400 naming %s", async (query, param) => {
    const res = await call(`${app.url}/api/filter-processes/?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(param);
  });

  it("nothing invalid was stored", async () => {
    const res = await call(`${app.url}/api/filter-processes/?system_name=val`);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(0);
  });

  it("unknown paths and methods get JSON 404/405, not HTML", async () => {
    const a = await call(`${app.url}/api/nope`);
    expect(a.status).toBe(404);
    expect(a.body.success).toBe(false);
    const b = await call(`${app.url}/api/process-data/`);
    expect([404, 405]).toContain(b.status);
    expect(b.body.success).toBe(false);
  });
});
