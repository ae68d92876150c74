/**
 * Sustained load: 20 simulated agents each offer a batch of 50 processes every PACE_MS (open loop:
 * 4 000 rows/s offered in all by default, a fraction of what the server takes on this machine
 * kind, see docs/performance.md), each with its own sampling instants, for LOAD_SECONDS (default
 * 30; the figure is 120, set LOAD_SECONDS=120 to run it so). Then: no answer was a 5xx,
 * every batch was acknowledged, the acknowledged throughput is at least 80 % of what was offered
 * (a server 50× slower cannot keep up: the floor comes from the offered load, not from timing this
 * machine), and the store holds exactly the rows acknowledged, row by row and field by field.
 * Against the real server process on InfluxDB and on the SQLite file. The per-token write limit
 * is off (WRITE_RATE_PER_MINUTE=0): this measures the server, not it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { storeEnvs } from "../support/stores.ts";
import { SimAgent, storedRows } from "./agents.ts";

const SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const AGENTS = 20;
const PROCESSES = 50;
const STEP_MS = 1000;
const PACE_MS = Number(process.env.LOAD_PACE_MS ?? 250);
/** Rows per second the agents offer together. */
const OFFERED = (AGENTS * PROCESSES * 1000) / PACE_MS;

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
            paceMs: PACE_MS,
          }),
      );
      const started = performance.now();
      const end = Date.now() + SECONDS * 1000;
      await Promise.all(agents.map((a) => a.run(() => Date.now() >= end)));
      const elapsedS = (performance.now() - started) / 1000;

      const outcomes = agents.flatMap((a) => a.outcomes);
      const byStatus = new Map<number, number>();
      for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
      // Every request got an answer, and every answer was a 201.
      expect(Object.fromEntries(byStatus)).toEqual({ 201: outcomes.length });
      expect(outcomes.length).toBeGreaterThan(AGENTS);

      // Throughput: acknowledged rows per second against the rows per second offered.
      const ackedRows = agents.reduce((n, a) => n + a.acked.length * PROCESSES, 0);
      const rate = ackedRows / elapsedS;
      console.log(
        `load (${store}): offered ${OFFERED} rows/s, acknowledged ${Math.round(rate)} rows/s over ${elapsedS.toFixed(1)} s`,
      );
      expect(rate, `acknowledged ${Math.round(rate)} rows/s of ${OFFERED} offered`).toBeGreaterThanOrEqual(
        0.8 * OFFERED,
      );

      // Rows, not counts: every acknowledged batch's every process, field by field, and nothing else.
      const order = (a: Record<string, unknown>, b: Record<string, unknown>) =>
        Date.parse(String(a.timestamp)) - Date.parse(String(b.timestamp)) || Number(a.pid) - Number(b.pid);
      for (const agent of agents) {
        const last = base + agent.attempted.length * STEP_MS;
        const stored = (await storedRows(server.url, agent.opts.systemName, base, last)).map((r) => r.row);
        const expected = agent.acked.flatMap((t) => agent.expectedRows(t));
        expect(stored.length, agent.opts.systemName).toBe(expected.length);
        expect(stored.sort(order), agent.opts.systemName).toEqual(expected.sort(order));
      }
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(server.output()).not.toMatch(/"level":50/); // no error was logged
    },
    SECONDS * 1000 + 120_000,
  );
});
