/** The store contract against SqliteStore on a real file in a new temporary directory per test. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { storeContract } from "./store-contract.ts";

storeContract("SqliteStore", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "procscope-contract-"));
  const store = new SqliteStore({ dataDir, retentionDays: 36_500, log: createLogger("silent") });
  await store.init();
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
