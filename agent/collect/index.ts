/** The collector for this platform: /proc on Linux, systeminformation elsewhere. */
import process from "node:process";
import { SystemInformationCollector } from "./fallback.ts";
import { ProcCollector } from "./linux.ts";
import type { Collector } from "./types.ts";

export function createCollector(): Collector {
  if (process.platform !== "linux") return new SystemInformationCollector();
  try {
    return new ProcCollector();
  } catch (err) {
    // Deno treats every path under /proc as special: only --allow-all grants reading it.
    if ("Deno" in globalThis && err instanceof Error && err.name === "NotCapable") {
      throw new Error(`${err.message} (Deno reads /proc only with --allow-all: deno run -A agent/main.ts)`);
    }
    throw err;
  }
}

export type { Collector, ProcessSample, Sample } from "./types.ts";
