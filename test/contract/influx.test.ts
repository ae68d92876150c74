/** The store contract against InfluxStore on the run's real InfluxDB: a new empty bucket per test. */

import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { freshBucket } from "../support/influx.ts";
import { storeContract } from "./store-contract.ts";

async function dropBucket(conn: InfluxConnection): Promise<void> {
  const headers = { authorization: `Token ${conn.token}` };
  const found = await fetch(
    `${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${encodeURIComponent(conn.bucket)}`,
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
    retentionDays: 30,
    timeoutMs: 30_000,
    log: createLogger("silent"),
  });
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropBucket(conn);
    },
  };
});
