/**
 * Readiness tells the truth about InfluxDB credentials. With a wrong INFLUX_TOKEN the server used
 * to log "storage ready" and answer /readyz 200 while every call failed with 503. Now /readyz is
 * 503 unless our token can both read and write the bucket, its body and the start-up log say
 * exactly what is wrong, and "storage ready" is logged only when it is true.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InfluxConnection, influxEnv } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { freshBucket } from "../support/influx.ts";

/** A token of the run's InfluxDB limited to reading or writing one bucket. */
async function scopedToken(conn: InfluxConnection, action: "read" | "write"): Promise<string> {
  const headers = { authorization: `Token ${conn.token}`, "content-type": "application/json" };
  const buckets = (await (
    await fetch(
      `${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${encodeURIComponent(conn.bucket)}`,
      {
        headers,
      },
    )
  ).json()) as { buckets: { id: string; orgID: string }[] };
  const bucket = buckets.buckets[0];
  if (!bucket) throw new Error(`no bucket ${conn.bucket}`);
  const res = await fetch(`${conn.url}/api/v2/authorizations`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      orgID: bucket.orgID,
      permissions: [{ action, resource: { type: "buckets", id: bucket.id, orgID: bucket.orgID } }],
    }),
  });
  const body = (await res.json()) as { token?: string };
  if (!body.token) throw new Error(`creating a ${action} token: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

describe("/readyz and InfluxDB credentials", () => {
  let conn: InfluxConnection;
  const apps: RunningApp[] = [];
  beforeAll(async () => {
    conn = await freshBucket("ready");
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  const readyz = async (token: string) => {
    const app = await startApp(influxEnv({ ...conn, token }));
    apps.push(app);
    return call(`${app.url}/readyz`);
  };

  it("200 when the token can read and write the bucket", async () => {
    const res = await readyz(conn.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ready", storage: "influxdb" });
  });

  it("503 naming INFLUX_TOKEN when InfluxDB refuses the token", async () => {
    const res = await readyz("wrong-token-0123456789");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.body).toEqual({
      status: "unavailable",
      storage: "influxdb",
      reason: "InfluxDB refused INFLUX_TOKEN (401: unauthorized access): the token is wrong or revoked",
    });
  });

  it("503 when the token may read but not write", async () => {
    const res = await readyz(await scopedToken(conn, "read"));
    expect(res.status).toBe(503);
    expect(res.body.reason).toBe(
      `INFLUX_TOKEN may not write to bucket "${conn.bucket}" in org "${conn.org}" (403: insufficient permissions for write)`,
    );
  });

  it("503 when the token may write but not read", async () => {
    const res = await readyz(await scopedToken(conn, "write"));
    expect(res.status).toBe(503);
    expect(res.body.reason).toMatch(
      new RegExp(
        `^cannot read bucket "${conn.bucket}" in org "${conn.org}": it does not exist or INFLUX_TOKEN cannot see it \\(404: `,
      ),
    );
  });
});

describe("start-up with a wrong INFLUX_TOKEN", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    const conn = await freshBucket("ready-log");
    server = await startServer({
      waitReady: false,
      env: influxEnv({ ...conn, token: "wrong-token-0123456789" }),
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("logs exactly what is wrong, never 'storage ready', and /readyz stays 503", async () => {
    const deadline = Date.now() + 10_000;
    while (!/storage not ready/.test(server.output()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(server.output()).toContain(
      "storage not ready: InfluxDB refused INFLUX_TOKEN (401: unauthorized access): the token is wrong or revoked",
    );
    expect(server.output()).not.toContain('"storage ready"');
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect(server.output()).not.toContain("wrong-token-0123456789"); // a secret never in a log
  });
});
