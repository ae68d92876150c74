import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Building influxd the first time happens in global setup; tests themselves talk to real
    // servers and processes, so give them room.
    hookTimeout: 120_000,
    testTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
