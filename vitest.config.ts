import { defineConfig } from "vitest/config";

/**
 * Two projects, each test file in exactly one run of `npm test` per store it is meant for:
 * - unit: pure logic and in-process procedures (test/unit/), no InfluxDB, no child processes, no
 *   network (test/unit/isolation.ts refuses them): `npm run test:unit`, seconds.
 * - integration: everything else, against the run's real InfluxDB (started by the global setup).
 */
const slow = { hookTimeout: 120_000, testTimeout: 60_000, pool: "forks" } as const;

export default defineConfig({
  test: {
    reporters: ["default"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          setupFiles: ["test/unit/isolation.ts"],
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
          ...slow,
        },
      },
    ],
  },
});
