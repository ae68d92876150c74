/**
 * CPU percent per process: CPU time used since the previous sample over the wall time between the
 * two, 100 = one full core (psutil's meaning). A process seen for the first time (the agent's first
 * sample, or a process born since the last one) is measured since it started: its average over
 * its life so far, which is exactly "since the previous sample" for a newborn and gives `--once` a
 * meaningful number instead of 0.
 */
export class CpuTracker {
  private previous = new Map<number, Reading>();
  private current = new Map<number, Reading>();

  /** @param maxPercent the ceiling (100 × logical CPUs), which rounding of short intervals can exceed. */
  constructor(private readonly maxPercent: number) {}

  /**
   * @param pid the process; with its start time one process instance (a reused pid starts afresh)
   * @param cpuSeconds CPU time (user + system) the process has used so far
   * @param startedSeconds when it started, on the same clock as `nowSeconds` (e.g. seconds since boot)
   */
  percent(pid: number, cpuSeconds: number, startedSeconds: number, nowSeconds: number): number {
    this.current.set(pid, { cpuSeconds, nowSeconds, startedSeconds });
    const last = this.previous.get(pid);
    const before = last?.startedSeconds === startedSeconds ? last : undefined;
    const used = before ? cpuSeconds - before.cpuSeconds : cpuSeconds;
    const elapsed = before ? nowSeconds - before.nowSeconds : nowSeconds - startedSeconds;
    if (used <= 0 || elapsed <= 0) return 0;
    const percent = Math.min(this.maxPercent, (used / Math.max(elapsed, 0.01)) * 100);
    return Math.round(percent * 100) / 100;
  }

  /** Call after each sample: processes not seen in it are forgotten. */
  endSample(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

interface Reading {
  cpuSeconds: number;
  nowSeconds: number;
  startedSeconds: number;
}
