/**
 * InfluxDB down: the server answers 503 with Retry-After within a bounded time, stays up, and
 * recovers by itself when InfluxDB returns. Uses an influxd of its own, so it can stop it.
 */
import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InfluxdInstance, influxEnv, startInfluxd } from "../../harness/influxd.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { influx } from "../support/influx.ts";

describe("storage outage", () => {
  let db: InfluxdInstance;
  let app: RunningApp;
  beforeAll(async () => {
    const { binary } = influx();
    if (!binary)
      throw new Error(
        "this suite starts its own influxd: it needs a binary (INFLUXD_BIN or the build cache)",
      );
    db = await startInfluxd({ binary });
    app = await startApp(influxEnv(db), { env: { STORAGE_TIMEOUT_MS: "2000" } });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const sample = (pid: number) => ({
    system_name: "outage",
    timestamp: Date.UTC(2026, 2, 1, 0, 0, pid),
    processes: [{ pid, name: "p", cpu_percent: 1, memory_percent: 1 }],
  });

  it("503 with Retry-After while InfluxDB is down, then recovers", async () => {
    expect((await call(`${app.url}/api/process-data/`, { json: sample(1) })).status).toBe(201);
    expect((await call(`${app.url}/readyz`)).status).toBe(200);

    await db.stop();
    const down = await call(`${app.url}/api/process-data/`, { json: sample(2) });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ success: false, message: "storage unavailable" });
    expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
    for (const path of [
      "/api/filter-processes/?date=2026-03-01",
      "/api/process-duration/?system_name=outage&process_name=p",
      "/api/systems/",
    ]) {
      const res = await call(`${app.url}${path}`);
      expect(res.status, path).toBe(503);
      expect(res.headers.get("retry-after")).not.toBeNull();
    }
    const ready = await call(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await call(`${app.url}/healthz`)).status).toBe(200);

    await db.start();
    const back = await call(`${app.url}/api/process-data/`, { json: sample(3) });
    expect(back.status).toBe(201);
    const rows = await call(`${app.url}/api/filter-processes/?date=2026-03-01&system_name=outage`);
    expect(rows.body.data.map((d: { pid: number }) => d.pid)).toEqual([1, 3]);
    expect(app.logs.some((l) => l.includes(db.token))).toBe(false);
  });

  it("a storage that accepts connections but never answers → 503 after STORAGE_TIMEOUT_MS", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket); // hold it open, say nothing
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const stuck = await startApp(
      influxEnv({ url: `http://127.0.0.1:${port}`, token: "t", org: "o", bucket: "b" }),
      { env: { STORAGE_TIMEOUT_MS: "500" } },
    );
    try {
      const res = await call(`${stuck.url}/api/process-data/`, { json: sample(4) });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).not.toBeNull();
      const query = await call(`${stuck.url}/api/systems/`);
      expect(query.status).toBe(503);
    } finally {
      await stuck.close();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
