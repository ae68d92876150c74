/**
 * The spool's edges, found by mutation testing (npm run mutate): replay order from the file names
 * whatever order the directory lists them in, stray files, byte accounting across a reopen, the
 * size bound at exactly full, the batch in flight and its release, removing twice, no file
 * descriptor left open, and a spool directory that vanished (the batch waits in memory).
 */
import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { SubmitPayload } from "../../../agent/payload.ts";
import { Spool } from "../../../agent/spool.ts";
import { removeTempDirs, tempDir } from "../../agent/support.ts";

const batch = (timestamp: number): SubmitPayload => ({
  system_name: "s",
  timestamp,
  processes: [{ pid: 1, name: "init", cpu_percent: 0, memory_percent: 0 }],
});
const silent = createLogger("silent");
const recorder = () => {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  return { log: createLogger("debug", (l) => lines.push(JSON.parse(l))), lines };
};
const drain = (spool: Spool): number[] => {
  const out: number[] = [];
  for (let e = spool.take(); e; e = spool.take()) {
    out.push(JSON.parse(gunzipSync(spool.load(e)).toString()).timestamp as number);
    spool.remove(e);
  }
  return out;
};

afterAll(removeTempDirs);

describe("Spool edges", () => {
  it("replays in file-name order whatever order the directory lists, skipping stray files", () => {
    const dir = tempDir("spool-names");
    // Written shuffled, many: a directory's listing order is not its names' order.
    for (const i of Array.from({ length: 40 }, (_, k) => ((k * 17) % 40) + 1)) {
      writeFileSync(join(dir, `${String(i).padStart(12, "0")}.json.gz`), gzipSync(JSON.stringify(batch(i))));
    }
    writeFileSync(join(dir, "notes.txt"), "not a batch");
    writeFileSync(join(dir, "12.json.gz"), "short name: not a batch");
    const { log, lines } = recorder();
    const spool = new Spool(dir, 1e7, log).open();
    const sizes = readdirSync(dir)
      .filter((f) => /^\d{12}\.json\.gz$/.test(f))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(spool.count).toBe(40);
    expect(spool.bytes).toBe(sizes);
    expect(lines.find((l) => l.msg === "spool has unsent samples")).toMatchObject({
      dir,
      batches: 40,
      bytes: sizes,
    });
    // A new batch continues the sequence after the highest name.
    expect(spool.put(batch(41)).name).toMatch(/^000000000041[-.]/);
    expect(drain(spool)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect(spool.bytes).toBe(0);
  });

  it("says nothing about unsent samples when there are none", () => {
    const { log, lines } = recorder();
    new Spool(tempDir("spool-quiet"), 1e7, log).open();
    expect(lines).toEqual([]);
  });

  it("holds exactly its cap: full is not over", () => {
    const probe = new Spool(tempDir("spool-probe"), 1e7, silent).open();
    const cap = [1000, 1001, 1002].reduce((n, t) => n + probe.put(batch(t)).bytes, 0);
    const spool = new Spool(tempDir("spool-cap"), cap, silent).open();
    for (let t = 1000; t < 1003; t++) spool.put(batch(t));
    expect([spool.count, spool.dropped, spool.bytes]).toEqual([3, 0, cap]);
    const { log, lines } = recorder();
    const logged = new Spool(tempDir("spool-cap-log"), cap, log).open();
    for (const t of [1000, 1001, 1002, 1000]) logged.put(batch(t)); // the fourth is the size of the first
    expect(lines.filter((l) => l.msg === "spool full: dropped the oldest unsent sample")).toHaveLength(1);
  });

  it("protects the batch in flight from being dropped, until it is released", () => {
    const size = new Spool(tempDir("spool-probe2"), 1e7, silent).open().put(batch(1000)).bytes;
    const spool = new Spool(tempDir("spool-lease"), size * 2, silent).open();
    spool.put(batch(1));
    spool.put(batch(2));
    expect(spool.take()?.name).toMatch(/^000000000001[-.]/);
    spool.put(batch(3)); // room is made from the oldest not in flight: 2
    expect(drainNames(spool)).toEqual([1, 3]);

    const again = new Spool(tempDir("spool-release"), size * 2, silent).open();
    again.put(batch(1));
    again.put(batch(2));
    again.take();
    again.release(); // no longer in flight: it is the oldest, so it goes
    again.put(batch(3));
    expect(drainNames(again)).toEqual([2, 3]);
  });

  it("forgets a removed batch once, even when removed twice, and no longer protects it", () => {
    const spool = new Spool(tempDir("spool-twice"), 1e7, silent).open();
    for (const t of [1, 2, 3]) spool.put(batch(t));
    const first = spool.take();
    if (!first) throw new Error("empty");
    spool.remove(first);
    spool.remove(first);
    expect(spool.count).toBe(2);
    expect(drain(spool)).toEqual([2, 3]);
  });

  it("leaves no file descriptor open", () => {
    const open = () => readdirSync("/proc/self/fd").length;
    const spool = new Spool(tempDir("spool-fds"), 1e7, silent).open();
    spool.put(batch(0));
    const before = open();
    for (let t = 1; t <= 30; t++) spool.put(batch(t));
    expect(open()).toBe(before);
  });

  it("keeps a batch in memory when its directory is gone, and hands it back whole", () => {
    const dir = tempDir("spool-gone");
    const { log, lines } = recorder();
    const spool = new Spool(dir, 1e7, log).open();
    rmSync(dir, { recursive: true });
    const entry = spool.put(batch(77));
    expect(lines.find((l) => l.msg === "cannot write to the spool; the sample waits in memory")?.err).toMatch(
      /ENOENT/,
    );
    expect(entry.durable).toBe(false);
    expect(spool.count).toBe(1);
    const taken = spool.take();
    if (!taken) throw new Error("lost");
    expect(JSON.parse(gunzipSync(spool.load(taken)).toString())).toEqual(batch(77));
    spool.remove(taken);
    expect([spool.count, spool.bytes]).toEqual([0, 0]);
  });

  it("names each batch by sequence, sampling instant and process count, and reads them back on reopen", () => {
    const dir = tempDir("spool-names-meta");
    const spool = new Spool(dir, 1e7, silent).open();
    const numbered = spool.put(batch(1234));
    const iso = spool.put({ ...batch(0), timestamp: "2026-03-02T10:00:00Z" });
    expect([numbered.name, numbered.timestamp, numbered.processes]).toEqual([
      "000000000001-1234-1.json.gz",
      1234,
      1,
    ]);
    expect([iso.name, iso.timestamp]).toEqual(["000000000002.json.gz", undefined]);
    const again = new Spool(dir, 1e7, silent).open();
    const first = again.take();
    expect([first?.timestamp, first?.processes, first?.durable]).toEqual([1234, 1, true]);
    again.remove(first as NonNullable<typeof first>);
    const second = again.take();
    expect([second?.timestamp, second?.processes]).toEqual([undefined, undefined]);
  });

  it("takes only the names it writes itself: copies with a prefix or suffix are not batches", () => {
    const dir = tempDir("spool-anchored");
    const write = (name: string, timestamp: number, processes = 1) =>
      writeFileSync(
        join(dir, name),
        gzipSync(
          JSON.stringify({ ...batch(timestamp), processes: Array(processes).fill(batch(0).processes[0]) }),
        ),
      );
    write("000000000001-1000-25.json.gz", 1000, 25); // a count of two digits
    write("000000000002.json.gz", 2000); // the earlier naming: no instant, no count
    write("x000000000003.json.gz", 3000); // an operator's copy
    write("0000000000004.json.gz", 4000); // thirteen digits
    write("000000000005.json.gz.bak", 5000); // an editor's backup
    write("000000000006-6000-1.json.gz~", 6000);
    const spool = new Spool(dir, 1e7, silent).open();
    expect(spool.count).toBe(2);
    const first = spool.take();
    expect([first?.name, first?.timestamp, first?.processes]).toEqual([
      "000000000001-1000-25.json.gz",
      1000,
      25,
    ]);
    expect(spool.put(batch(7000)).name).toBe("000000000003-7000-1.json.gz");
    expect(drain(spool)).toEqual([1000, 2000, 7000]);
    // the strays are left where they were, untouched
    expect(readdirSync(dir).sort()).toEqual([
      "0000000000004.json.gz",
      "000000000005.json.gz.bak",
      "000000000006-6000-1.json.gz~",
      "x000000000003.json.gz",
    ]);
  });

  it("refuses to hand back a file that is not gzip (either magic byte wrong)", () => {
    for (const [k, bytes] of [
      [0x1f, 0x00],
      [0x00, 0x8b],
      [0x41, 0x42],
    ].entries()) {
      const dir = tempDir(`spool-notgzip-${k}`);
      writeFileSync(join(dir, "000000000001.json.gz"), Buffer.from([...(bytes as number[]), 1, 2, 3]));
      const spool = new Spool(dir, 1e7, silent).open();
      const entry = spool.take();
      expect(() => spool.load(entry as NonNullable<typeof entry>), String(bytes)).toThrow(/not a gzip file/);
    }
  });
});

function drainNames(spool: Spool): number[] {
  return drain(spool);
}
