/** The store contract against InfluxStore on the run's real InfluxDB: a new empty bucket per test. */

import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { freshBucket } from "../support/influx.ts";
import { storeContract } from "./store-contract.ts";

const DAY = 86_400_000;

async function dropBucket(conn: InfluxConnection, bucket = conn.bucket): Promise<void> {
  const headers = { authorization: `Token ${conn.token}` };
  const found = await fetch(
    `${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${encodeURIComponent(bucket)}`,
    { headers },
  );
  const body = (await found.json()) as { buckets?: { id: string }[] };
  const id = body.buckets?.[0]?.id;
  if (id) await fetch(`${conn.url}/api/v2/buckets/${id}`, { method: "DELETE", headers });
}

storeContract("InfluxStore", async () => {
  const conn = await freshBucket("contract");
  const store = new InfluxStore({
    ...conn,
    // raw samples of 2026 count as kept until `expire` deletes them (the bucket keeps them forever)
    retentionDays: 3650,
    timeoutMs: 30_000,
    log: createLogger("silent"),
    historyIntervalMs: 0,
  });
  await store.init();
  return {
    store,
    compact: (before) => store.compactHistory({ start: before - 60 * DAY, stop: before }),
    // InfluxDB's delete API: every raw point before `before`
    expire: async (before) => {
      const res = await fetch(
        `${conn.url}/api/v2/delete?${new URLSearchParams({ org: conn.org, bucket: conn.bucket })}`,
        {
          method: "POST",
          headers: { authorization: `Token ${conn.token}`, "content-type": "application/json" },
          body: JSON.stringify({ start: "1970-01-01T00:00:00Z", stop: new Date(before - 1).toISOString() }),
        },
      );
      if (res.status !== 204) throw new Error(`delete: ${res.status} ${await res.text()}`);
    },
    cleanup: async () => {
      await store.close();
      await dropBucket(conn);
      await dropBucket(conn, store.historyBucket);
    },
  };
});
