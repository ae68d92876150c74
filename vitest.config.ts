import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Three projects; `npm test` runs each test file once per store it is meant for:
 * - unit: pure logic and in-process procedures (test/unit/), no InfluxDB, no child processes, no
 *   network (test/unit/isolation.ts refuses them): `npm run test:unit`, seconds.
 * - integration: everything else, against the run's real InfluxDB (started by the global setup);
 *   suites that run on both stores themselves (contract, hostile, load, faults) do so here.
 * - integration-sqlite: the API, agent and security suites again, on the embedded SQLite store
 *   (what every new user runs); they pick their store with storeTarget() (test/support/stores.ts).
 *   No InfluxDB is started for this project.
 */
const slow = { hookTimeout: 120_000, testTimeout: 60_000, pool: "forks" } as const;
/**
 * Suites that follow the project's store: those in test/api, test/agent and test/security that
 * take their store from storeTarget(). The others there (about InfluxDB itself, on a store of
 * their own, on both stores themselves, or with no store) run once, in the integration project.
 */
const PER_STORE = ["api", "agent", "security"].flatMap((dir) =>
  readdirSync(join(import.meta.dirname, "test", dir))
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => `test/${dir}/${f}`)
    .filter((f) => readFileSync(join(import.meta.dirname, f), "utf8").includes("storeTarget(")),
);

export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          setupFiles: ["test/unit/isolation.ts"],
          // Each test takes milliseconds; the margin is for a machine whose cores are busy with
          // other work (a 2000-run property took > 5 s at load average 20), not for slow code.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: ["test/unit/**"],
          // Building influxd the first time happens in global setup; tests themselves talk to real
          // servers and processes, so give them room.
          globalSetup: ["test/support/global-setup.ts"],
          provide: { store: "influxdb" },
          ...slow,
        },
      },
      {
        test: {
          name: "integration-sqlite",
          include: PER_STORE,
          provide: { store: "sqlite" },
          ...slow,
        },
      },
    ],
  },
});
