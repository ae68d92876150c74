/**
 * The fast suites mutation testing runs (`npm run mutate`, stryker.config.json): in-process, no
 * InfluxDB, no child processes (Stryker sees coverage only in its own process), seconds each. The
 * unit project's isolation guard is left out: the sender's tests use real sockets on loopback.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/contract/sqlite.test.ts", "test/agent/sender.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
    reporters: ["default"],
  },
});
