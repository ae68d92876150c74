/**
 * Where a server under test or benchmark keeps its samples: the server environment for each
 * store. InfluxDB's comes from influxEnv() (influxd.ts); SQLite's is a fresh data directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoreKind } from "../server/store/types.ts";

export type { StoreKind };
export type ServerEnv = Record<string, string | undefined>;

export const STORE_KINDS: readonly StoreKind[] = ["influxdb", "sqlite"];

/** Server environment for the embedded store in `dir` (and no InfluxDB, even if the caller's env has one). */
export function sqliteEnv(dir: string): ServerEnv {
  // Keeps everything, as a fresh test bucket does: each store refuses a sample older than its
  // retention, and suites write fixed historical instants.
  return { INFLUX_URL: undefined, INFLUX_TOKEN: undefined, DATA_DIR: dir, RETENTION_DAYS: "36500" };
}

/** Fresh temporary data directories; `removeAll()` deletes every one made so far. */
export function tempDataDirs(prefix: string) {
  const dirs: string[] = [];
  return {
    make(): string {
      const dir = mkdtempSync(join(tmpdir(), `procscope-${prefix}-`));
      dirs.push(dir);
      return dir;
    },
    removeAll(): void {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
