/** Choosing the store: InfluxDB when INFLUX_URL is set, else the embedded SQLite file. */
import type { Logger } from "../log.ts";
import { InfluxStore } from "./influx/store.ts";
import type { ProcessStore } from "./types.ts";

/** What choosing and opening a store takes from the configuration (server/config.ts's Config has it). */
export interface StoreSettings {
  INFLUX_URL?: string | undefined;
  INFLUX_TOKEN?: string | undefined;
  INFLUX_ORG: string;
  INFLUX_BUCKET: string;
  INFLUX_HISTORY_BUCKET?: string | undefined;
  DATA_DIR: string;
  RETENTION_DAYS: number;
  HISTORY_RETENTION_DAYS: number;
  HISTORY_COMPACT_MINUTES: number;
  RUN_GAP_SECONDS: number;
  STORAGE_TIMEOUT_MS: number;
}

/** The store the settings ask for; SQLite (and better-sqlite3 with it) is loaded only when chosen. */
export async function createStore(config: StoreSettings, log: Logger): Promise<ProcessStore> {
  if (config.INFLUX_URL && config.INFLUX_TOKEN) {
    log.info({ store: "influxdb", url: config.INFLUX_URL, bucket: config.INFLUX_BUCKET }, "using InfluxDB");
    return new InfluxStore({
      url: config.INFLUX_URL,
      token: config.INFLUX_TOKEN,
      org: config.INFLUX_ORG,
      bucket: config.INFLUX_BUCKET,
      retentionDays: config.RETENTION_DAYS,
      timeoutMs: config.STORAGE_TIMEOUT_MS,
      log,
      historyBucket: config.INFLUX_HISTORY_BUCKET,
      historyRetentionDays: config.HISTORY_RETENTION_DAYS,
      runGapMs: config.RUN_GAP_SECONDS * 1000,
      historyIntervalMs: config.HISTORY_COMPACT_MINUTES * 60_000,
    });
  }
  const { SqliteStore } = await import("./sqlite/store.ts");
  log.info(
    { store: "sqlite", dataDir: config.DATA_DIR },
    "using the embedded SQLite store (INFLUX_URL is not set)",
  );
  return new SqliteStore({
    dataDir: config.DATA_DIR,
    retentionDays: config.RETENTION_DAYS,
    historyRetentionDays: config.HISTORY_RETENTION_DAYS,
    runGapMs: config.RUN_GAP_SECONDS * 1000,
    compactHistory: config.HISTORY_COMPACT_MINUTES > 0,
    log,
  });
}
