/**
 * Server environments for each store, for suites that run the real server on both: a fresh
 * InfluxDB bucket, or a fresh SQLite data directory (removed by `cleanup()`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreKind } from "../../server/store/types.ts";
import { freshBucket } from "./influx.ts";
export type ServerEnv = Record<string, string | undefined>;

export function storeEnvs(prefix: string) {
  const dirs: string[] = [];
  const envs: Record<StoreKind, () => Promise<ServerEnv>> = {
    influxdb: async () => {
      const conn = await freshBucket(prefix);
      return {
        INFLUX_URL: conn.url,
        INFLUX_TOKEN: conn.token,
        INFLUX_ORG: conn.org,
        INFLUX_BUCKET: conn.bucket,
      };
    },
    sqlite: async () => {
      const dir = mkdtempSync(join(tmpdir(), `procscope-${prefix}-`));
      dirs.push(dir);
      // Keeps everything, as the fresh bucket does (each store refuses samples older than its retention).
      return { INFLUX_URL: undefined, INFLUX_TOKEN: undefined, DATA_DIR: dir, RETENTION_DAYS: "36500" };
    },
  };
  return {
    kinds: Object.keys(envs) as StoreKind[],
    env: (kind: StoreKind) => envs[kind](),
    cleanup: () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
