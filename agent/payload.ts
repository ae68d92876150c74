/**
 * A sample as the server's `process.submit` takes it: names cleaned of what the server refuses
 * (control characters, over NAME_MAX characters), commands cut to COMMAND_MAX (common/wire.ts).
 */
import type { inferRouterInputs } from "@trpc/server";
import { COMMAND_MAX, CONTROL_CHARS, NAME_MAX, STATE_MAX } from "../common/wire.ts";
import type { AppRouter } from "../server/router.ts";
import type { ProcessSample, Sample } from "./collect/index.ts";

export type SubmitPayload = inferRouterInputs<AppRouter>["process"]["submit"];
type ProcessPayload = SubmitPayload["processes"][number];

/** Cuts to `max` UTF-16 units without splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** Control characters become U+FFFD (the server refuses them in names rather than altering them). */
export function cleanLabel(text: string, max = NAME_MAX): string {
  return truncate(text.replace(CONTROL_CHARS, "\uFFFD"), max);
}

function processPayload(p: ProcessSample): ProcessPayload {
  const out: ProcessPayload = {
    pid: p.pid,
    name: cleanLabel(p.name) || `pid ${p.pid}`,
    cpu_percent: p.cpu_percent,
    memory_percent: Math.round(p.memory_percent * 10_000) / 10_000,
    memory_rss: p.memory_rss,
  };
  if (p.started_at !== undefined) out.started_at = p.started_at;
  if (p.user) out.user = cleanLabel(p.user);
  if (p.command) out.command = truncate(p.command, COMMAND_MAX);
  if (p.state) out.state = cleanLabel(p.state, STATE_MAX);
  if (p.parent_pid !== undefined) out.parent_pid = p.parent_pid;
  if (p.num_threads !== undefined) out.num_threads = p.num_threads;
  if (p.cpu_user_seconds !== undefined) out.cpu_user_seconds = p.cpu_user_seconds;
  if (p.cpu_system_seconds !== undefined) out.cpu_system_seconds = p.cpu_system_seconds;
  if (p.minor_faults !== undefined) out.minor_faults = p.minor_faults;
  if (p.major_faults !== undefined) out.major_faults = p.major_faults;
  if (p.memory_vms !== undefined) out.memory_vms = p.memory_vms;
  return out;
}

/** `intervalMs`: the agent's sampling interval, sent so that the server can tell a run's edges. */
export function toPayload(systemName: string, sample: Sample, intervalMs?: number): SubmitPayload {
  return {
    system_name: systemName,
    timestamp: sample.timestamp,
    ...(intervalMs === undefined ? {} : { interval_ms: Math.max(1, Math.round(intervalMs)) }),
    processes: sample.processes.map(processPayload),
  };
}
