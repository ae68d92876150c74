/**
 * Sustained load: 20 simulated agents post batches as fast as the server takes them, each with its
 * own sampling instants, for LOAD_SECONDS (default 30; the figure is 120, set
 * LOAD_SECONDS=120 to run it so). Then: no answer was a 5xx, every batch was acknowledged, and
 * the store holds exactly the rows acknowledged (count in = count out, per agent, through the
 * filter endpoint's count). Against the real server process on InfluxDB and on the SQLite file.
 * The per-token write limit is off (WRITE_RATE_PER_MINUTE=0): this measures the server, not it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { storeEnvs } from "../support/stores.ts";
import { SimAgent, storedCount } from "./agents.ts";

const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const AGENTS = 20;
const PROCESSES = 50;
const STEP_MS = 1000;

const stores = storeEnvs("load");

describe.each(stores.kinds)("sustained load on %s", (store) => {
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

  it(
    `${AGENTS} agents for ${SECONDS} s: no 5xx, and every acknowledged row is stored exactly once`,
    async () => {
      const run = `${store}-${process.pid}-${Date.now().toString(36)}`;
      // Two days back, so the instants of a long run stay in the past (and inside retention).
      const base = Date.now() - 2 * 86_400_000;
      const agents = Array.from(
        { length: AGENTS },
        (_, i) =>
          new SimAgent({
            url: () => server.url,
            systemName: `load-${run}-${i}`,
            processes: PROCESSES,
            base,
            stepMs: STEP_MS,
            retry: false,
          }),
      );
      const end = Date.now() + SECONDS * 1000;
      await Promise.all(agents.map((a) => a.run(() => Date.now() >= end)));

      const outcomes = agents.flatMap((a) => a.outcomes);
      const byStatus = new Map<number, number>();
      for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
      // Every request got an answer, and every answer was a 201.
      expect(Object.fromEntries(byStatus)).toEqual({ 201: outcomes.length });
      expect(outcomes.length).toBeGreaterThan(AGENTS);

      let rowsIn = 0;
      let rowsOut = 0;
      for (const agent of agents) {
        const sent = agent.acked.length * PROCESSES;
        const last = base + agent.attempted.length * STEP_MS;
        const stored = await storedCount(server.url, agent.opts.systemName, base, last);
        expect(stored, agent.opts.systemName).toBe(sent);
        rowsIn += sent;
        rowsOut += stored;
      }
      expect(rowsOut).toBe(rowsIn);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(server.output()).not.toMatch(/"level":50/); // no error was logged
    },
    SECONDS * 1000 + 120_000,
  );
});
