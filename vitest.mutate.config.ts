/**
 * The fast suites mutation testing runs (`npm run mutate`, stryker.config.json): in-process, no
 * child processes (Stryker sees coverage only in its own process), seconds each. The unit project's
 * isolation guard is left out: the sender's tests use real sockets on loopback.
 *
 * MUTATE_SUITE picks the suites for one module (docs/testing.md): a mutant of a module-level
 * constant (an SQL text, a regex) is "static" and runs every test of the suite, so a module's run
 * is as fast as its suite is small.
 * - sqlite: the store contract and the store's own suites on a real SQLite file;
 * - influx: test/store/influx-vs-sqlite.test.ts (every read compared with the SQLite store's over
 *   one data set, on a real influxd started once per run by the global setup) and the
 *   unit tests of line protocol, tags, the CSV reader and readLatest(), migrateBucket() in-process
 *   (influx-migrate-convert: 2 s) and the run-gap edges (influx-query-edges: 0.5 s); the
 *   contract on InfluxDB takes 20 s a mutant and is left out;
 * - api: the unit tests of input and the in-process HTTP suites that judge it (validation, edges,
 *   tokens, the OpenAPI document) on a real SQLite store, for server/schemas.ts, server/auth.ts
 *   and common/wire.ts;
 * - collect: the collector against this machine's /proc (test/agent/collector.test.ts samples
 *   in-process) and the agent's unit tests;
 * - unset: the unit project, the SQLite suites and the sender's tests.
 */
import { defineConfig } from "vitest/config";

const SQLITE = [
  "test/contract/sqlite.test.ts",
  "test/store/sqlite-retention.test.ts",
  "test/store/sqlite-schema-v2.test.ts",
  "test/store/sqlite-plans.test.ts",
  "test/store/sqlite-edges.test.ts",
  "test/store/sqlite-history-edges.test.ts",
];
const INFLUX = [
  "test/store/influx-vs-sqlite.test.ts",
  "test/store/influx-errors.test.ts",
  "test/store/influx-store-edges.test.ts",
  "test/store/influx-store-faults.test.ts",
  "test/store/influx-migrate-convert.test.ts",
  "test/store/influx-query-edges.test.ts",
  "test/store/influx-history-compact.test.ts",
  "test/store/influx-history-passes.test.ts",
  "test/unit/server/influx-history-groups.test.ts",
  "test/unit/server/influx-history-place.test.ts",
  "test/unit/server/line-protocol.test.ts",
  "test/unit/server/influx-csv.test.ts",
  "test/unit/server/watch-queries.test.ts",
  "test/unit/server/tags.test.ts",
  "test/unit/server/code-point-order.test.ts",
];
const API = [
  "test/unit/server/{auth,auth-edges,procedures,config}.test.ts",
  "test/unit/wire.test.ts",
  "test/unit/agent/{payload,procfs}.test.ts",
  "test/api/validation.test.ts",
  "test/api/edges.test.ts",
  "test/api/openapi.test.ts",
  "test/security/auth.test.ts",
];
const COLLECT = ["test/agent/collector.test.ts", "test/unit/agent/*.test.ts"];
const SUITES: Record<string, string[]> = { sqlite: SQLITE, influx: INFLUX, api: API, collect: COLLECT };
const suite = process.env.MUTATE_SUITE;
const include = (suite && SUITES[suite]) || [
  "test/unit/**/*.test.ts",
  ...SQLITE,
  "test/agent/sender.test.ts",
];
if (suite && !SUITES[suite])
  throw new Error(`MUTATE_SUITE=${suite}: one of ${Object.keys(SUITES).join(", ")}`);

export default defineConfig({
  test: {
    include,
    ...(suite === "influx"
      ? { globalSetup: ["test/support/global-setup.ts"], provide: { store: "influxdb" } }
      : { provide: { store: "sqlite" } }),
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"],
  },
});
