/** The disk spool on a real directory: order, durability across reopen, the size bound. */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { SubmitPayload } from "../../../agent/payload.ts";
import { Spool } from "../../../agent/spool.ts";
import { removeTempDirs, spooledTimestamps, tempDir } from "../../agent/support.ts";

const batch = (timestamp: number): SubmitPayload => ({
  system_name: "s",
  timestamp,
  processes: [{ pid: 1, name: "init", cpu_percent: 0, memory_percent: 0 }],
});
const silent = createLogger("silent");
/** The sampling instant inside a batch's bytes as the spool hands them to the sender. */
const timestampIn = (bytes: Uint8Array) =>
  (JSON.parse(gunzipSync(bytes).toString()) as SubmitPayload).timestamp as number;
/** The size one of these batches takes in a spool (compressed). */
const probeSize = () => new Spool(tempDir("spool-probe"), 1e6, silent).open().put(batch(1000)).bytes;

afterAll(removeTempDirs);

describe("Spool", () => {
  it("hands batches back in the order they were put, across a reopen", () => {
    const dir = tempDir("spool-order");
    const first = new Spool(dir, 1e6, silent).open();
    for (const t of [30, 10, 20]) first.put(batch(t));
    const entry = first.take();
    expect(entry && timestampIn(first.load(entry))).toBe(30);
    if (entry) first.remove(entry);

    const again = new Spool(dir, 1e6, silent).open();
    again.put(batch(5));
    const order: number[] = [];
    for (let e = again.take(); e; e = again.take()) {
      order.push(timestampIn(again.load(e)));
      expect(e.timestamp).toBe(order.at(-1)); // known from the file name, without reading it
      expect(e.processes).toBe(1);
      again.remove(e);
    }
    expect(order).toEqual([10, 20, 5]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("removes half-written files left by a crash", () => {
    const dir = tempDir("spool-tmp");
    writeFileSync(join(dir, "000000000001.json.gz.tmp"), "half a batch");
    const spool = new Spool(dir, 1e6, silent).open();
    expect(spool.count).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("stays under its size by dropping the oldest batches, counted and logged", () => {
    const dir = tempDir("spool-full");
    const lines: string[] = [];
    const size = Buffer.byteLength(JSON.stringify(batch(1000)));
    const spool = new Spool(
      dir,
      size * 3,
      createLogger("warn", (l) => lines.push(l)),
    ).open();
    for (let t = 1000; t < 1005; t++) spool.put(batch(t));
    expect(spool.count).toBe(3);
    expect(spool.bytes).toBeLessThanOrEqual(size * 3);
    expect(spool.dropped).toBe(2);
    expect(lines.map((l) => JSON.parse(l).dropped_total)).toEqual([1, 2]);
    const left = spooledTimestamps(dir);
    expect(left).toEqual([1002, 1003, 1004]);
  });

  it("never drops the batch in flight to make room", () => {
    const dir = tempDir("spool-lease");
    const size = probeSize();
    const spool = new Spool(dir, size * 2, silent).open();
    spool.put(batch(1000));
    const inFlight = spool.take();
    for (let t = 1001; t < 1004; t++) spool.put(batch(t));
    expect(inFlight && timestampIn(spool.load(inFlight))).toBe(1000);
    expect(spool.take()).toBe(inFlight);
  });

  it("hands back the bytes it wrote, from memory while recent, from disk after a reopen or once evicted", () => {
    const dir = tempDir("spool-bytes");
    const spool = new Spool(dir, 100e6, silent).open();
    const first = spool.put(batch(1));
    const onDisk = readFileSync(join(dir, first.name));
    expect(Buffer.from(spool.load(first))).toEqual(onDisk); // the file is written before put returns
    expect(first.data).toBeDefined();
    // Big, incompressible batches push the first out of memory (the cache holds about 1 MB).
    const noise = (t: number): SubmitPayload => ({
      ...batch(t),
      processes: Array.from({ length: 300 }, (_, pid) => ({
        pid,
        name: randomBytes(40).toString("base64"),
        cpu_percent: 0,
        memory_percent: 0,
        command: randomBytes(600).toString("base64"),
      })),
    });
    for (let t = 2; t < 12; t++) spool.put(noise(t));
    expect(first.data).toBeUndefined();
    expect(Buffer.from(spool.load(first))).toEqual(onDisk);
    const reopened = new Spool(dir, 100e6, silent).open().take();
    expect(reopened?.data).toBeUndefined();
    expect(reopened && Buffer.from(spool.load(reopened))).toEqual(onDisk);
  });
});
