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
