/** Access to the run's real InfluxDB from inside a test file. */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";

/** The run's InfluxDB connection; throws (failing the suite) when none could be had. */
export function influx(): InfluxConnection & { binary?: string } {
  const provided = inject("influx");
  if (!provided.ok) throw new Error(provided.error);
  const { url, token, org, bucket, binary } = provided;
  return { url, token, org, bucket, ...(binary ? { binary } : {}) };
}

/** A new, empty bucket in the run's InfluxDB, so suites do not see each other's points. */
export async function freshBucket(prefix = "t"): Promise<InfluxConnection> {
  const conn = influx();
  const headers = { authorization: `Token ${conn.token}`, "content-type": "application/json" };
  const orgs = await fetch(`${conn.url}/api/v2/orgs?org=${encodeURIComponent(conn.org)}`, { headers });
  const orgBody = (await orgs.json()) as { orgs?: { id: string }[] };
  const orgID = orgBody.orgs?.[0]?.id;
  if (!orgID) throw new Error(`org ${conn.org} not found in ${conn.url}`);
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const res = await fetch(`${conn.url}/api/v2/buckets`, {
    method: "POST",
    headers,
    body: JSON.stringify({ orgID, name, retentionRules: [] }),
  });
  if (!res.ok) throw new Error(`creating bucket ${name}: ${res.status} ${await res.text()}`);
  return { ...conn, bucket: name };
}

/**
 * A `sample` point of process `name` (system "s", slot 0) with `pid` stored as a string, one second
 * before `t`: the store's integer pid then conflicts with it, and influxd answers 422 with a JSON
 * body (a real write error InfluxDB makes itself).
 */
export async function writeStringPid(conn: InfluxConnection, name: string, t: number): Promise<number> {
  const res = await fetch(
    `${conn.url}/api/v2/write?org=${encodeURIComponent(conn.org)}&bucket=${conn.bucket}&precision=ms`,
    {
      method: "POST",
      headers: { authorization: `Token ${conn.token}` },
      body: `sample,system=s,name=${name},slot=0 pid="seven" ${t - 1000}`,
    },
  );
  return res.status;
}
