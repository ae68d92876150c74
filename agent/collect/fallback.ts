/**
 * Every other platform (macOS, Windows, BSD): `systeminformation.processes()`. It spawns `ps` (or
 * PowerShell) each time, so it costs far more CPU than the /proc path; see bench/agent.ts.
 * Loaded lazily, so the Linux agent neither pays for it nor needs the permission to run programs.
 */
import type { Collector, ProcessSample, Sample } from "./types.ts";

type SystemInformation = typeof import("systeminformation");

export class SystemInformationCollector implements Collector {
  readonly kind = "systeminformation";
  private si: SystemInformation | undefined;

  async sample(): Promise<Sample> {
    const timestamp = Date.now();
    this.si ??= await import("systeminformation");
    const { list } = await this.si.processes();
    const processes: ProcessSample[] = [];
    let skipped = 0;
    for (const p of list) {
      if (!Number.isInteger(p.pid) || p.pid < 0) {
        skipped++;
        continue;
      }
      const started = p.started ? Date.parse(p.started.replace(" ", "T")) : Number.NaN;
      const command = [p.command, p.params].filter(Boolean).join(" ");
      processes.push({
        pid: p.pid,
        parent_pid: Number.isInteger(p.parentPid) && p.parentPid >= 0 ? p.parentPid : undefined,
        name: p.name,
        cpu_percent: finite(p.cpu),
        memory_percent: Math.min(100, finite(p.mem)),
        memory_rss: Math.round(finite(p.memRss) * 1024),
        started_at: Number.isFinite(started) && started >= 0 ? started : undefined,
        user: p.user || undefined,
        command: command || undefined,
        state: p.state || undefined,
      });
    }
    return { timestamp, processes, skipped };
  }
}

const finite = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);
