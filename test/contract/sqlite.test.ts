/** The store contract against SqliteStore on a real file in a new temporary directory per test. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { storeContract } from "./store-contract.ts";

const DAY = 86_400_000;
const RETENTION_DAYS = 36_500;

storeContract("SqliteStore", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "procscope-contract-"));
  // the clock retention goes by: moved on by `expire` to make samples of the past expire
  let clock = Date.now();
  const store = new SqliteStore({
    dataDir,
    retentionDays: RETENTION_DAYS,
    historyRetentionDays: RETENTION_DAYS + 100,
    historyGraceMs: 0,
    now: () => clock,
    log: createLogger("silent"),
  });
  await store.init();
  return {
    store,
    compact: (before) => store.compactHistory(before),
    expire: async (before) => {
      clock = before + RETENTION_DAYS * DAY;
      await store.deleteExpired(clock);
    },
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
