/**
 * One request's cost is bounded (issue 14 §1): the most expensive request of every kind
 * (test/hostile/cost-cases.ts) against the real server process, on both stores. Each is answered
 * as the case says — refused with a 4xx naming the limit, or answered within it — and the
 * server's peak resident memory (VmHWM, read from /proc) stays under a bound that the unbounded
 * server blew through (one 140-call batch of 10 000-row pages grew it by ~1.2 GB). How long
 * /healthz waits meanwhile is measured by bench/request-cost.ts, not asserted here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COST_CASES, COST_ENV, peakRss, seed } from "./cost-cases.ts";
import { STORES, startTarget, type Target } from "./support.ts";

/** Peak RSS the server may reach over the whole run, seeding included. */
const PEAK_RSS_BOUND = 600 * 1024 * 1024;

describe.each(STORES)("one request's cost is bounded, on %s", (kind) => {
  let t: Target;
  beforeAll(async () => {
    t = await startTarget(kind, COST_ENV);
    await seed(t.server.url);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
  });

  for (const c of COST_CASES) {
    it(c.name, async () => {
      c.check(await c.run(t.server.url));
    }, 120_000);
  }

  it("the server stayed up, under its memory bound, and logged no error", async () => {
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
    const peak = peakRss(t.server.child().pid as number);
    expect(peak, `peak RSS ${Math.round(peak / 2 ** 20)} MiB`).toBeLessThan(PEAK_RSS_BOUND);
    expect(t.server.output()).not.toMatch(/"level":50/);
  });
});
