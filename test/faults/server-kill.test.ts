/**
 * The server killed with `kill -9` (twice) and restarted while simulated agents post: nothing
 * acknowledged is lost and nothing is duplicated. Each agent remembers which batches got a 201 and
 * retries the others with the same instant (as the real agent does), so in the end every batch it
 * sent was acknowledged once; the store must then hold exactly those batches, each whole, each row
 * once — including any batch stored by a server that was killed before it could answer.
 * On InfluxDB and on the SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { duplicates, SimAgent, storedRows } from "../load/agents.ts";
import { storeEnvs } from "../support/stores.ts";

const AGENTS = 6;
const PROCESSES = 40;
const KILLS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `kill -9` of the server itself (startServer runs it as one `node --import tsx` process). */
const kill9 = (server: ServerProcess): Promise<void> => server.kill();

const stores = storeEnvs("kill9");

describe.each(stores.kinds)("kill -9 of the server on %s", (store) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({
      env: { ...(await stores.env(store)), WRITE_RATE_PER_MINUTE: "0", LOG_LEVEL: "warn" },
    });
  });
  afterAll(async () => {
    await server?.stop();
    stores.cleanup();
  });

  it(`loses no acknowledged batch and duplicates none across ${KILLS} kills`, async () => {
    const run = `${store}-${process.pid}-${Date.now().toString(36)}`;
    const base = Date.now() - 86_400_000;
    const agents = Array.from(
      { length: AGENTS },
      (_, i) =>
        new SimAgent({
          url: () => server.url,
          systemName: `kill9-${run}-${i}`,
          processes: PROCESSES,
          base,
          stepMs: 1000,
          retry: true,
          retryDelayMs: 50,
        }),
    );
    let stopping = false;
    const running = Promise.all(agents.map((a) => a.run(() => stopping)));
    const ackedSoFar = () => agents.reduce((n, a) => n + a.acked.length, 0);
    const waitForAcks = async (more: number) => {
      const target = ackedSoFar() + more;
      while (ackedSoFar() < target) await sleep(20);
    };
    for (let k = 0; k < KILLS; k++) {
      // Kill while requests are in flight: every agent always has one.
      await waitForAcks(AGENTS * 10);
      await kill9(server);
      await sleep(500);
      await server.restart();
    }
    await waitForAcks(AGENTS * 10);
    stopping = true;
    await running;

    // The kills were felt: requests went unanswered, and were answered after a retry.
    const unanswered = agents.flatMap((a) => a.outcomes).filter((o) => o.status === 0);
    expect(unanswered.length).toBeGreaterThan(0);
    const statuses = new Set(agents.flatMap((a) => a.outcomes).map((o) => o.status));
    expect([...statuses].every((s) => s === 0 || s === 201 || s === 503)).toBe(true);

    for (const agent of agents) {
      // Every batch sent was finally acknowledged, once.
      expect(agent.acked, agent.opts.systemName).toEqual(agent.attempted);
      const last = base + agent.attempted.length * 1000;
      const rows = await storedRows(server.url, agent.opts.systemName, base, last + 1000);
      const keys = rows.map((r) => `${r.timestamp}/${r.pid}`);
      expect(duplicates(keys).size, agent.opts.systemName).toBe(0);
      // Exactly the acknowledged batches, each whole (all its processes).
      const perBatch = new Map<number, number>();
      for (const r of rows) perBatch.set(r.timestamp, (perBatch.get(r.timestamp) ?? 0) + 1);
      expect(
        [...perBatch.keys()].sort((a, b) => a - b),
        agent.opts.systemName,
      ).toEqual(agent.acked);
      expect(new Set(perBatch.values()), agent.opts.systemName).toEqual(new Set([PROCESSES]));
    }
  }, 180_000);
});
