/**
 * The spool's durability calls, in-process (so mutation testing sees them; the strace test in
 * test/store/durability-settings.test.ts watches the real agent under Node and Deno but runs it as
 * a child process, out of Stryker's view). node:fs itself is instrumented: fsyncSync and renameSync
 * are wrapped to record what they were called on (the descriptor's path, read from /proc/self/fd)
 * and then do the real call on the real file system; `syncBuiltinESMExports()` makes the spool's
 * `import { fsyncSync } from "node:fs"` see the wrapper. Nothing is faked: the batch is written,
 * synced and renamed on disk as always.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../agent/log.ts";
import type { SubmitPayload } from "../../../agent/payload.ts";
import { Spool } from "../../../agent/spool.ts";
import { removeTempDirs, tempDir } from "../../agent/support.ts";

const fs: Record<string, unknown> = createRequire(import.meta.url)("node:fs");
const real = {
  fsyncSync: fs.fsyncSync as (fd: number) => void,
  renameSync: fs.renameSync as typeof import("node:fs").renameSync,
};

/** Calls made while instrumented, in order: ["fsync", path] or ["rename", from, to]. */
let calls: string[][] = [];
function instrument(): void {
  calls = [];
  fs.fsyncSync = (fd: number) => {
    calls.push(["fsync", readlinkSync(`/proc/self/fd/${fd}`)]);
    real.fsyncSync(fd);
  };
  fs.renameSync = (from: string, to: string) => {
    calls.push(["rename", from, to]);
    real.renameSync(from, to);
  };
  syncBuiltinESMExports();
}
afterEach(() => {
  fs.fsyncSync = real.fsyncSync;
  fs.renameSync = real.renameSync;
  syncBuiltinESMExports();
});
afterAll(removeTempDirs);

const batch = (timestamp: number): SubmitPayload => ({
  system_name: "s",
  timestamp,
  processes: [{ pid: 1, name: "init", cpu_percent: 0, memory_percent: 0 }],
});

describe("Spool durability calls (instrumented node:fs)", () => {
  it("fsyncs each batch file, renames it into place, then fsyncs the directory", () => {
    const dir = tempDir("spool-fsync");
    const spool = new Spool(dir, 1e7, createLogger("silent")).open();
    instrument();
    const first = spool.put(batch(1000));
    const second = spool.put(batch(2000));
    const tmp = (name: string) => join(dir, `${name}.tmp`);
    expect(calls).toEqual([
      ["fsync", tmp(first.name)],
      ["rename", tmp(first.name), join(dir, first.name)],
      ["fsync", dir],
      ["fsync", tmp(second.name)],
      ["rename", tmp(second.name), join(dir, second.name)],
      ["fsync", dir],
    ]);
    // what was synced is what is there: the two batches, whole, no temporary file left
    expect(readdirSync(dir)).toEqual([first.name, second.name]);
    const reopened = new Spool(dir, 1e7, createLogger("silent")).open();
    const entry = reopened.take();
    expect(entry && JSON.parse(gunzipSync(reopened.load(entry)).toString())).toEqual(batch(1000));
  });
});
