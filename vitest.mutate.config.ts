/**
 * The fast suites mutation testing runs (`npm run mutate`, stryker.config.json): in-process, no
 * InfluxDB, no child processes (Stryker sees coverage only in its own process), each seconds long.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/contract/sqlite.test.ts",
      "test/agent/spool.test.ts",
      "test/agent/sender.test.ts",
      "test/agent/payload.test.ts",
      "test/agent/options.test.ts",
    ],
    testTimeout: 30_000,
    pool: "forks",
    reporters: ["default"],
  },
});
