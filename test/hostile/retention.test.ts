/**
 * A sample older than the retention period (an agent back after a long outage, a wrong clock):
 * InfluxDB refuses it with a 422, which the server passed on as a 500, so agents retried it
 * forever with the rest of their spool queued behind it; the embedded store acknowledged it with
 * 201 and deleted it at the next sweep. Both stores now refuse it the same way: a 400 naming
 * `timestamp` on both doors, so the agent drops it; the server stays up and samples within
 * retention still go in. The InfluxDB bucket is the one the server creates itself; both stores
 * run with RETENTION_DAYS=1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { influxEnv } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv, tempDataDirs } from "../../harness/stores.ts";
import { influx } from "../support/influx.ts";
import { expectClean, send } from "./support.ts";

describe.each(["influxdb", "sqlite"] as const)("a sample older than the retention period, on %s", (kind) => {
  let server: ServerProcess;
  const bucket = `retention-${process.pid}-${Date.now().toString(36)}`;
  const dirs = tempDataDirs("retention-api");
  beforeAll(async () => {
    server = await startServer({
      env: {
        ...(kind === "influxdb" ? influxEnv({ ...influx(), bucket }) : sqliteEnv(dirs.make())),
        RETENTION_DAYS: "1",
        LOG_LEVEL: "warn",
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    dirs.removeAll();
  });

  it("is refused with a 400 naming timestamp on both doors; recent samples are stored", async () => {
    const processes = [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }];
    const old = { system_name: "too-old", timestamp: Date.now() - 3 * 86_400_000, processes };
    for (const path of ["/api/process-data/", "/trpc/process.submit"]) {
      const a = await send(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(old),
      });
      expectClean(a, path);
      expect(a.status, a.text).toBe(400);
      const errors = a.body.errors ?? a.body.error?.errors;
      expect(errors, a.text).toEqual([{ path: "timestamp", message: expect.stringMatching(/retention/) }]);
    }
    const recent = await send(`${server.url}/api/process-data/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...old, system_name: "recent", timestamp: Date.now() - 60_000 }),
    });
    expect(recent.status, recent.text).toBe(201);
    const systems = await send(`${server.url}/api/systems/`);
    expect(systems.body.systems.map((s: { system_name: string }) => s.system_name)).toEqual(["recent"]);
    expect(server.output()).not.toMatch(/"level":50/);
  });
});
