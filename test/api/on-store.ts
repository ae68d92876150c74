/**
 * The HTTP app (test/support/app.ts) on either store: a fresh InfluxDB bucket, or a new SQLite
 * file in a temporary directory (removed on close). For API suites that run on both.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { type AppOptions, type RunningApp, startApp } from "../support/app.ts";
import { freshBucket } from "../support/influx.ts";

export const STORE_KINDS = ["sqlite", "influxdb"] as const;
export type Kind = (typeof STORE_KINDS)[number];

export async function appOn(
  kind: Kind,
  opts: AppOptions & { retentionDays?: number } = {},
): Promise<RunningApp> {
  if (kind === "influxdb") return startApp(await freshBucket(`api-${kind}`), opts);
  const dir = mkdtempSync(join(tmpdir(), "procscope-api-"));
  const store = new SqliteStore({
    dataDir: dir,
    retentionDays: opts.retentionDays ?? 36_500,
    log: createLogger("silent"),
  });
  const app = await startApp(undefined, { ...opts, store });
  return {
    ...app,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
