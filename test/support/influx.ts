/** Access to the run's real InfluxDB from inside a test file. */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";

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

/** Batches of two processes at `t` (pid 7 named `name`, pid 8 "other"), for the store's own suites. */
export const twoProcessBatches =
  (name: string) =>
  (t: number, system = "s"): SampleBatch => ({
    system_name: system,
    timestamp: t,
    processes: [
      { pid: 7, name, cpu_percent: 1, memory_percent: 2 },
      { pid: 8, name: "other", cpu_percent: 3, memory_percent: 4 },
    ],
  });

type StoreOptions = ConstructorParameters<typeof InfluxStore>[0];

/** An InfluxStore on the run's InfluxDB (5 s timeout, no history timer); `lines` collects its log. */
export function storeOnRun(
  extra: Partial<StoreOptions> = {},
  lines?: Record<string, unknown>[],
): InfluxStore {
  const conn = influx();
  return new InfluxStore({
    url: conn.url,
    token: conn.token,
    org: conn.org,
    bucket: conn.bucket,
    retentionDays: 400,
    timeoutMs: 5000,
    historyIntervalMs: 0,
    log: lines
      ? createLogger("debug", { write: (s: string) => void lines.push(JSON.parse(s)) })
      : createLogger("silent"),
    ...extra,
  });
}

/** The error `p` rejects with, or undefined when it resolves. */
export const failure = (p: Promise<unknown>): Promise<Error | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
