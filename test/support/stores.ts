/**
 * The stores suites run on. `storeEnvs()` for suites that run the real server on both stores
 * themselves; `storeUnderTest()`/`storeTarget()` for the suites that vitest runs once per store
 * (test/api, test/agent, test/security: see vitest.config.ts).
 */
import { inject } from "vitest";
import { influxEnv } from "../../harness/influxd.ts";
import { type ServerEnv, STORE_KINDS, sqliteEnv, tempDataDirs } from "../../harness/stores.ts";
import type { StoreKind } from "../../server/store/types.ts";
import { freshBucket } from "./influx.ts";

export type { ServerEnv };

declare module "vitest" {
  export interface ProvidedContext {
    /** The store the per-store suites run on in this vitest project. */
    store: StoreKind;
  }
}

/** The store this vitest project runs the per-store suites on (InfluxDB unless the project says). */
const storeUnderTest = (): StoreKind => inject("store") ?? "influxdb";

/** Server environments for either store: a fresh bucket, or a fresh data directory. */
export function storeEnvs(prefix: string) {
  const dirs = tempDataDirs(prefix);
  const envs: Record<StoreKind, () => Promise<ServerEnv>> = {
    influxdb: async () => influxEnv(await freshBucket(prefix)),
    sqlite: async () => sqliteEnv(dirs.make()),
  };
  return {
    kinds: [...STORE_KINDS],
    env: (kind: StoreKind) => envs[kind](),
    cleanup: () => dirs.removeAll(),
  };
}

/** A store of this project's kind for one suite: the server environment that selects it. */
export interface StoreTarget {
  kind: StoreKind;
  env: ServerEnv;
  /** Secrets the server holds for it (InfluxDB's token), which must never show in logs or answers. */
  secrets: string[];
}

const targetDirs = tempDataDirs("suite");
// The worker process ends after its files: their data directories go with it.
process.once("exit", () => targetDirs.removeAll());

/** A fresh, empty store of the project's kind: a new bucket, or a new data directory. */
export async function storeTarget(prefix: string): Promise<StoreTarget> {
  const kind = storeUnderTest();
  if (kind === "influxdb") {
    const conn = await freshBucket(prefix);
    return { kind, env: influxEnv(conn), secrets: [conn.token] };
  }
  return { kind, env: sqliteEnv(targetDirs.make()), secrets: [] };
}
