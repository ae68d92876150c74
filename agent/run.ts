/**
 * The agent's three ways of running: continuously (sample on a fixed beat, spool, send in the
 * background, stop cleanly on SIGINT/SIGTERM), `--once`, and `--dry-run`.
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import { Backoff } from "./backoff.ts";
import { createSubmit } from "./client.ts";
import { type Collector, createCollector } from "./collect/index.ts";
import { errorText, type Logger } from "./log.ts";
import { type Options, processEnv } from "./options.ts";
import { type SubmitPayload, toPayload } from "./payload.ts";
import { Sender } from "./sender.ts";
import { Spool } from "./spool.ts";

/** Runs the agent; resolves to the process exit code. */
export async function run(options: Options, log: Logger): Promise<number> {
  const collector = createCollector();
  log.info("agent starting", {
    server: options.server,
    system_name: options.systemName,
    interval_s: options.intervalMs / 1000,
    collector: collector.kind,
    mode: options.dryRun ? "dry-run" : options.once ? "once" : "continuous",
    ...(options.dryRun ? {} : { spool_dir: options.spoolDir }),
  });
  if (options.dryRun) return dryRun(options, collector, log);
  const spool = new Spool(options.spoolDir, options.spoolMaxBytes, log).open();
  const submit = createSubmit(options, log);
  const sender = new Sender(spool, submit, new Backoff(Math.min(1000, options.intervalMs), 30_000), log);
  // For tests (issue 18): every sample taken, as one JSON line, so that what got stored can be
  // compared with all of it. Not an option users need, hence not in --help.
  const sampleLog = processEnv("PROCSCOPE_SAMPLE_LOG");
  const take = async (): Promise<void> => {
    const payload = await sampleOnce(options, collector, log);
    if (!payload) return;
    spool.put(payload);
    if (sampleLog) appendFileSync(sampleLog, `${JSON.stringify(payload)}\n`);
    log.debug("sampled", {
      timestamp: payload.timestamp,
      processes: payload.processes.length,
      spooled: spool.count,
    });
    sender.notify();
  };
  if (options.once) return once(take, spool, sender, log);
  return continuously(options, take, sender, log);
}

/** One sample as a payload, or undefined (logged) when nothing could be described. */
async function sampleOnce(
  options: Options,
  collector: Collector,
  log: Logger,
): Promise<SubmitPayload | undefined> {
  const sample = await collector.sample();
  if (sample.skipped > 0)
    log.debug("processes skipped (gone, or not ours to read)", { skipped: sample.skipped });
  if (sample.processes.length === 0) {
    log.warn("no process could be described; nothing to send");
    return undefined;
  }
  return toPayload(options.systemName, sample, options.intervalMs);
}

async function dryRun(options: Options, collector: Collector, log: Logger): Promise<number> {
  const print = async () => {
    const payload = await sampleOnce(options, collector, log);
    if (payload) process.stdout.write(`${JSON.stringify(payload)}\n`);
  };
  if (options.once) {
    await print();
    return 0;
  }
  return continuously(options, print, undefined, log);
}

/** `--once`: the spool's backlog first (order matters), then the new sample; one attempt each. */
async function once(take: () => Promise<void>, spool: Spool, sender: Sender, log: Logger): Promise<number> {
  await take();
  const last = spool.count;
  for (let sent = 1; sent <= last; sent++) {
    const entry = spool.take();
    if (!entry) break;
    const outcome = await sender.deliver(entry);
    if (outcome.kind === "failed") {
      log.error("send failed; the sample stays in the spool for the next run", {
        reason: outcome.reason,
        ...(outcome.status ? { status: outcome.status } : {}),
        pending: spool.count,
      });
      return 1;
    }
    if (sent === last) return outcome.kind === "stored" ? 0 : 1;
  }
  return 1;
}

/** Samples on a fixed beat until SIGINT/SIGTERM; a slow sample skips beats instead of piling up. */
async function continuously(
  options: Options,
  take: () => Promise<void>,
  sender: Sender | undefined,
  log: Logger,
): Promise<number> {
  sender?.start();
  let stopping = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> = Promise.resolve();
  let due = performance.now();
  const tick = () => {
    current = take()
      .catch((err) => log.error("sampling failed", { err: errorText(err) }))
      .finally(() => {
        if (stopping) return;
        const now = performance.now();
        do due += options.intervalMs;
        while (due <= now);
        timer = setTimeout(tick, due - now);
      });
  };
  tick();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  stopping = true;
  clearTimeout(timer);
  log.info("stopping", { signal });
  await current;
  await sender?.stop();
  log.info("stopped");
  return 0;
}
