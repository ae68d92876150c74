/** Placeholder until the embedded store lands (issue 4). */
import type { Logger } from "../../log.ts";
import type { ProcessStore } from "../types.ts";

export class SqliteStore {
  constructor(_opts: { dataDir: string; retentionDays: number; log: Logger }) {
    throw new Error("the embedded SQLite store is not implemented yet: set INFLUX_URL and INFLUX_TOKEN");
  }
}
export type _Unused = ProcessStore;
