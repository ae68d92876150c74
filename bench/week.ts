/**
 * The benchmark week's fleet, as bench/stores.ts and bench/console.ts fill it: SYSTEMS systems of
 * PROCESSES processes each, harness.ts's 120 process names, every field
 * the agent sends, values that vary with the instant.
 */
import type { BatchProcess } from "../server/store/types.ts";
import { NAMES } from "./harness.ts";

export const SYSTEMS = 20;
export const PROCESSES = 300;

export const systemName = (s: number) => `system-${String(s).padStart(2, "0")}`;

/** The processes of system `system` at instant `t` (epoch ms) of a week that starts at `weekStart`. */
export function processesOf(system: number, t: number, weekStart: number): BatchProcess[] {
  return Array.from({ length: PROCESSES }, (_, i) => {
    const name = NAMES[i % NAMES.length] as string;
    return {
      pid: 1000 + i * 7 + system,
      name,
      cpu_percent: ((i * 37 + t / 1000) % 400) / 4,
      memory_percent: (i % 50) / 10,
      memory_rss: 1_000_000 + i * 4096,
      started_at: weekStart - 3600_000 + i * 1000,
      user: i % 3 === 0 ? "root" : "app",
      command: `/usr/bin/${name} --config /etc/${name}/${name}.conf --worker ${i}`,
      state: i % 5 === 0 ? "running" : "sleeping",
      parent_pid: 1,
    };
  });
}
