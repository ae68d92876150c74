/** The collector for this platform: /proc on Linux, systeminformation elsewhere. */
import { existsSync } from "node:fs";
import process from "node:process";
import { SystemInformationCollector } from "./fallback.ts";
import { ProcCollector } from "./linux.ts";
import type { Collector } from "./types.ts";

export function createCollector(): Collector {
  if (process.platform === "linux" && existsSync("/proc/self/stat")) return new ProcCollector();
  return new SystemInformationCollector();
}

export type { Collector, ProcessSample, Sample } from "./types.ts";
