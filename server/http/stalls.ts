/**
 * Watching the event loop: when something held it longer than `thresholdMs` (a request whose
 * work is not cut into pieces, a synchronous query, a garbage collection), a warning says for how
 * long, at most once a second. On a loaded machine the figure includes time the process waited
 * for a CPU.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Logger } from "../log.ts";

export function watchEventLoop(log: Logger, thresholdMs = 250): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const timer = setInterval(() => {
    const blockedMs = Math.round(histogram.max / 1e6);
    histogram.reset();
    if (blockedMs > thresholdMs) log.warn({ blockedMs }, "event loop blocked");
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}
