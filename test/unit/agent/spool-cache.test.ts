/**
 * The spool's memory cache, exactly: the newest durable batches keep their bytes in memory up to
 * 1 MiB (MEMORY_BYTES) and older ones are read from disk; a batch removed from the cache frees its
 * share, so later batches are not evicted for bytes no longer held. Found untested by the mutation
 * run of agent/spool.ts (the cache's accounting could drift without any test noticing).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { SubmitPayload } from "../../../agent/payload.ts";
import { Spool, type SpoolEntry } from "../../../agent/spool.ts";
import { removeTempDirs, tempDir } from "../../agent/support.ts";

const MEMORY_BYTES = 1024 * 1024;
const silent = createLogger("silent");
afterAll(removeTempDirs);

/** About `kb` KiB once gzip'd: random base64 compresses to about three quarters of its length. */
const noise = (t: number, kb: number): SubmitPayload => ({
  system_name: "s",
  timestamp: t,
  processes: [
    {
      pid: 1,
      name: "n",
      cpu_percent: 0,
      memory_percent: 0,
      command: randomBytes(kb * 1024).toString("base64"),
    },
  ],
});

/** Bytes the cache holds, and whether the cached entries are exactly the newest ones. */
function cache(entries: SpoolEntry[]) {
  const held = entries.filter((e) => e.data !== undefined);
  const firstHeld = entries.findIndex((e) => e.data !== undefined);
  return {
    bytes: held.reduce((n, e) => n + e.bytes, 0),
    newestOnly: firstHeld >= 0 && entries.slice(firstHeld).every((e) => e.data !== undefined),
    held: held.length,
  };
}

describe("Spool memory cache", () => {
  it("holds the newest batches within 1 MiB, as many as fit, and frees what a removed batch held", () => {
    const spool = new Spool(tempDir("spool-cache"), 100e6, silent).open();
    const entries: SpoolEntry[] = [];
    for (let t = 1; t <= 14; t++) entries.push(spool.put(noise(t, 100)));
    const full = cache(entries);
    expect(full.newestOnly).toBe(true);
    expect(full.bytes).toBeLessThanOrEqual(MEMORY_BYTES);
    // as many as fit: the newest batch left out would not have
    const newestOut = entries[entries.length - full.held - 1] as SpoolEntry;
    expect(full.bytes + newestOut.bytes).toBeGreaterThan(MEMORY_BYTES);
    expect(full.held).toBeGreaterThanOrEqual(5);

    // the two newest go (sent): their bytes are free, so the next two small ones evict nothing
    const [a, b] = entries.splice(-2);
    spool.remove(a as SpoolEntry);
    spool.remove(b as SpoolEntry);
    expect(a?.data).toBeUndefined();
    const before = entries.filter((e) => e.data !== undefined);
    entries.push(spool.put(noise(100, 1)), spool.put(noise(101, 1)));
    expect(entries.filter((e) => e.data !== undefined)).toEqual([...before, ...entries.slice(-2)]);

    // an evicted batch removed frees nothing: the next big one still evicts exactly as needed
    spool.remove(entries.shift() as SpoolEntry);
    for (let t = 200; t < 206; t++) entries.push(spool.put(noise(t, 100)));
    const after = cache(entries);
    expect(after.newestOnly).toBe(true);
    expect(after.bytes).toBeLessThanOrEqual(MEMORY_BYTES);
    expect(after.bytes + (entries[entries.length - after.held - 1] as SpoolEntry).bytes).toBeGreaterThan(
      MEMORY_BYTES,
    );
  });

  it("keeps a batch that could not be written outside the 1 MiB, and removing it frees none of it", () => {
    const dir = tempDir("spool-cache-undurable");
    const spool = new Spool(dir, 100e6, silent).open();
    rmSync(dir, { recursive: true });
    const waiting = spool.put(noise(1, 600)); // no directory: held in memory only
    expect([waiting.durable, waiting.data !== undefined]).toEqual([false, true]);
    mkdirSync(dir, { mode: 0o700 });
    const durable: SpoolEntry[] = [];
    const check = () => {
      const c = cache(durable);
      expect(c.newestOnly).toBe(true);
      expect(c.bytes).toBeLessThanOrEqual(MEMORY_BYTES);
      // as many durable ones as fit in 1 MiB: the undurable batch's bytes are not counted
      expect(c.bytes + (durable[durable.length - c.held - 1] as SpoolEntry).bytes).toBeGreaterThan(
        MEMORY_BYTES,
      );
    };
    for (let t = 2; t <= 15; t++) durable.push(spool.put(noise(t, 100)));
    check();
    expect(waiting.data).toBeDefined(); // never evicted: it has no file to be read from
    spool.remove(waiting); // sent: it frees nothing of the cache's 1 MiB
    for (let t = 16; t <= 21; t++) durable.push(spool.put(noise(t, 100)));
    check();
  });

  it("keeps a batch of exactly 1 MiB in memory, and not one of a byte more", () => {
    // the spool's own compression (gzip level 6) of a command cut from random base64: the
    // shortest cut that makes 1 MiB or more (each character adds 6 bits: sizes grow a byte at a
    // time, so it is exactly 1 MiB but for a rare block boundary; then another blob is tried)
    let payload = (_n: number): SubmitPayload => noise(1, 0);
    const size = (n: number) => gzipSync(JSON.stringify(payload(n)), { level: 6 }).byteLength;
    let lo = 0;
    for (let attempt = 0; attempt < 5 && size(lo) !== MEMORY_BYTES; attempt++) {
      const blob = randomBytes(1400 * 1024).toString("base64");
      payload = (n) => ({
        ...noise(1, 0),
        processes: [{ pid: 1, name: "n", cpu_percent: 0, memory_percent: 0, command: blob.slice(0, n) }],
      });
      let hi = blob.length;
      lo = 0;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (size(mid) < MEMORY_BYTES) lo = mid + 1;
        else hi = mid;
      }
    }
    expect(size(lo)).toBe(MEMORY_BYTES);
    let over = lo + 1;
    while (size(over) === MEMORY_BYTES) over += 1;
    const spool = new Spool(tempDir("spool-cache-exact"), 100e6, silent).open();
    const exact = spool.put(payload(lo));
    expect([exact.bytes, exact.data?.byteLength]).toEqual([MEMORY_BYTES, MEMORY_BYTES]);
    spool.remove(exact);
    const more = spool.put(payload(over));
    expect(more.bytes).toBeGreaterThan(MEMORY_BYTES);
    expect(more.data).toBeUndefined();
  });
});
