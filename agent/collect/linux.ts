/**
 * The Linux hot path: every process straight from /proc, as psutil and Telegraf's gopsutil do, with
 * no child process. One small read per process and sample (stat, from a file kept open: procfs.ts),
 * plus status and cmdline when the process is new to the agent or its identity is due for a
 * re-read (identity.ts).
 */
import { readdirSync } from "node:fs";
import { CpuTracker } from "./cpu.ts";
import { type Identity, IdentityCache } from "./identity.ts";
import { UserNames } from "./passwd.ts";
import {
  type PidStat,
  ProcReader,
  parseCmdline,
  parseMemTotal,
  parseProcStat,
  parseRealUid,
  parseStat,
  parseStatBytes,
  parseUptime,
  StatFiles,
  stateName,
} from "./procfs.ts";
import type { Collector, ProcessSample, Sample } from "./types.ts";

/** USER_HZ: fixed at 100 for userland on every architecture Linux runs on today. */
const CLOCK_TICKS = 100;
/** User and command line are re-read every this many samples (one minute at the default 5 s). */
const IDENTITY_REFRESH_SAMPLES = 12;
const KERNEL_THREAD: Identity = { uid: 0, command: "", argv0: "" };
/** The kernel truncates comm to 15 bytes (TASK_COMM_LEN - 1). */
const COMM_MAX = 15;
/** stat files kept open between samples: far below any open-file limit an agent meets. */
const MAX_OPEN_STAT_FILES = 900;

export class ProcCollector implements Collector {
  readonly kind = "procfs";
  private readonly read = new ProcReader();
  private readonly users = new UserNames();
  private readonly bootMs: number;
  private readonly pageSize: number;
  private readonly cpu: CpuTracker;
  private readonly identities = new IdentityCache(IDENTITY_REFRESH_SAMPLES);
  private readonly stats: StatFiles;

  constructor(private readonly root = "/proc") {
    this.stats = new StatFiles(root, MAX_OPEN_STAT_FILES);
    const { bootMs, cpus } = parseProcStat(this.read.text(`${root}/stat`));
    this.bootMs = bootMs;
    this.cpu = new CpuTracker(100 * cpus);
    this.pageSize = this.measurePageSize();
  }

  async sample(): Promise<Sample> {
    const timestamp = Date.now();
    const memTotal = parseMemTotal(this.read.text(`${this.root}/meminfo`));
    const now = parseUptime(this.read.text(`${this.root}/uptime`));
    this.users.refresh();
    const processes: ProcessSample[] = [];
    let skipped = 0;
    for (const entry of readdirSync(this.root)) {
      const first = entry.charCodeAt(0);
      if (first < 48 || first > 57) continue; // not a pid directory
      const described = this.describe(Number(entry), memTotal, now);
      if (described) processes.push(described);
      else skipped++;
    }
    this.cpu.endSample();
    this.identities.endSample();
    this.stats.endSample();
    return { timestamp, processes, skipped };
  }

  /** One process, or undefined when it vanished meanwhile or the OS refuses to describe it. */
  private describe(pid: number, memTotal: number, now: number): ProcessSample | undefined {
    const length = this.stats.read(pid);
    if (length < 0) return undefined; // ENOENT/ESRCH: gone; EACCES: hidepid or similar
    const stat: PidStat | undefined = parseStatBytes(this.stats.buffer, length);
    if (!stat) return undefined;
    let identity: Identity;
    try {
      // Kernel threads (often half the list) are root and have no command line.
      identity = stat.kernelThread
        ? KERNEL_THREAD
        : this.identities.get(pid, stat.startTicks, stat.comm, () => this.identity(pid));
    } catch {
      return undefined;
    }
    const { uid, command, argv0 } = identity;
    const rss = stat.rssPages * this.pageSize;
    const startedSeconds = stat.startTicks / CLOCK_TICKS;
    return {
      pid,
      parent_pid: stat.ppid,
      name: fullName(stat.comm, argv0),
      cpu_percent: this.cpu.percent(pid, stat.cpuTicks / CLOCK_TICKS, startedSeconds, now),
      memory_percent: Math.min(100, (rss / memTotal) * 100),
      memory_rss: rss,
      started_at: Math.round(this.bootMs + startedSeconds * 1000),
      user: uid === undefined ? undefined : this.users.name(uid),
      command: command === "" ? undefined : command,
      state: stateName(stat.state),
      num_threads: stat.threads,
      cpu_user_seconds: stat.userTicks / CLOCK_TICKS,
      cpu_system_seconds: stat.systemTicks / CLOCK_TICKS,
      minor_faults: stat.minorFaults,
      major_faults: stat.majorFaults,
      memory_vms: stat.vsize,
    };
  }

  private identity(pid: number): Identity {
    const uid = parseRealUid(this.read.text(`${this.root}/${pid}/status`));
    return { uid, ...parseCmdline(this.read.text(`${this.root}/${pid}/cmdline`)) };
  }

  /** Page size from our own resident set, counted in pages (stat) and in kB (status); else 4096. */
  private measurePageSize(): number {
    try {
      const pages = parseStat(this.read.text(`${this.root}/self/stat`))?.rssPages ?? 0;
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(this.read.text(`${this.root}/self/status`))?.[1]);
      if (pages > 0 && kb > 0) return 2 ** Math.round(Math.log2((kb * 1024) / pages));
    } catch {
      // fall through
    }
    return 4096;
  }
}

/** comm is cut at 15 bytes; like psutil, prefer the executable's name when comm is a prefix of it. */
function fullName(comm: string, argv0: string): string {
  if (comm.length < COMM_MAX || argv0 === "") return comm;
  const base = argv0.slice(argv0.lastIndexOf("/") + 1);
  return base.startsWith(comm) ? base : comm;
}
