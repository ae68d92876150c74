/**
 * What the most expensive request of every kind costs the server (test/hostile/cost-cases.ts):
 * for each, the answer (status, bytes), how long it took, how long /healthz waited meanwhile (a
 * probe asks every 10 ms: its worst wait is how long the event loop was blocked, plus noise), and
 * the longest event-loop stall the server itself logged (server/http/stalls.ts: it warns past
 * 250 ms; on a loaded machine that includes waiting for a CPU), the server's peak RSS during it, and the CPU time its main thread spent (an upper bound on how
 * long any one stretch of it could have blocked the event loop, independent of machine load; the
 * /healthz probe's own requests are included). Both stores; prints a markdown table per store.
 *
 *   npx tsx bench/request-cost.ts [--only sqlite|influxdb]
 *
 * Expect noise on a shared machine; compare runs taken back to back.
 */
import { parseArgs } from "node:util";
import { COST_CASES, COST_ENV, seed } from "../test/hostile/cost-cases.ts";
import {
  fmt,
  influxStorage,
  launchServer,
  log,
  markdownTable,
  percentile,
  type Storage,
  schedSeconds,
  sqliteStorage,
} from "./harness.ts";

const { values: args } = parseArgs({ options: { only: { type: "string" } } });

/** Asks /healthz every `everyMs` until stopped; returns each answer's wait in ms. */
function probe(url: string, everyMs = 10) {
  const waits: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const t = performance.now();
      try {
        await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(60_000) })).arrayBuffer();
      } catch {
        // counted as the time it took
      }
      waits.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return waits;
    },
  };
}

async function bench(storage: Storage) {
  const server = await launchServer({ ...storage.fresh("cost"), ...COST_ENV });
  try {
    log(`${storage.label}: seeding`);
    await seed(server.url);
    const rows: string[][] = [];
    for (const c of COST_CASES) {
      server.resetPeak();
      const p = probe(server.url);
      const cpu0 = schedSeconds(server.pid).cpu;
      const logFrom = server.output().length;
      const t = performance.now();
      let status = "";
      let bytes = 0;
      let verdict = "as specified";
      try {
        const o = await c.run(server.url);
        status = String(o.status);
        bytes = o.bytes;
        try {
          c.check(o);
        } catch (err) {
          verdict = `NOT as specified: ${(err as Error).message.slice(0, 80)}`;
        }
      } catch (err) {
        verdict = `failed: ${(err as Error).message.slice(0, 80)}`;
      }
      const ms = performance.now() - t;
      const cpuMs = (schedSeconds(server.pid).cpu - cpu0) * 1000;
      const waits = await p.stop();
      await new Promise((r) => setTimeout(r, 1100)); // the server reports stalls once a second
      const stalls = [
        ...server
          .output()
          .slice(logFrom)
          .matchAll(/"blockedMs":(\d+)/g),
      ].map((m) => Number(m[1]));
      rows.push([
        c.name,
        status,
        fmt(bytes / 1e6, 2),
        fmt(ms),
        fmt(cpuMs),
        fmt(percentile(waits, 50), 1),
        fmt(Math.max(...waits)),
        stalls.length ? fmt(Math.max(...stalls)) : "< 250",
        fmt(server.peakRssMb()),
        verdict,
      ]);
      log(`${c.name}: ${status} in ${fmt(ms)} ms, /healthz worst ${fmt(Math.max(...waits))} ms`);
    }
    console.log(`\n### ${storage.label}\n`);
    console.log(
      markdownTable(
        [
          "request",
          "status",
          "answer MB",
          "took ms",
          "server main-thread CPU ms",
          "/healthz p50 ms",
          "/healthz worst ms",
          "server: loop blocked ms",
          "peak RSS MB",
          "answer",
        ],
        rows,
      ),
    );
  } finally {
    await server.stop();
  }
}

const kinds = args.only ? [args.only] : ["sqlite", "influxdb"];
for (const kind of kinds) {
  const storage = kind === "influxdb" ? await influxStorage() : sqliteStorage();
  try {
    await bench(storage);
  } finally {
    await storage.dispose();
  }
}
