/** What a collector reports: one sample of every process it could describe. */

export interface ProcessSample {
  pid: number;
  parent_pid: number | undefined;
  name: string;
  /** CPU used since the previous sample (see cpu.ts); 100 = one full core. */
  cpu_percent: number;
  /** Resident memory over total memory, in percent. */
  memory_percent: number;
  /** Resident set size in bytes. */
  memory_rss: number;
  /** Epoch ms. */
  started_at: number | undefined;
  user: string | undefined;
  command: string | undefined;
  state: string | undefined;
  /** From /proc/<pid>/stat where the platform has it (Linux): */
  /** Threads in the process. */
  num_threads?: number | undefined;
  /** CPU time in user and in kernel mode since the process started, in seconds. */
  cpu_user_seconds?: number | undefined;
  cpu_system_seconds?: number | undefined;
  /** Page faults since the process started that did not (minor) or did (major) read from disk. */
  minor_faults?: number | undefined;
  major_faults?: number | undefined;
  /** Virtual memory size in bytes. */
  memory_vms?: number | undefined;
}

export interface Sample {
  /** Epoch ms when sampling began; the batch keeps it through every retry. */
  timestamp: number;
  processes: ProcessSample[];
  /** Processes listed but not described (vanished meanwhile, or permission refused). */
  skipped: number;
}

export interface Collector {
  readonly kind: string;
  sample(): Promise<Sample>;
}
