/**
 * The storage contract. The router knows nothing else about storage: InfluxStore (production) and
 * SqliteStore (embedded default) implement this, and test/contract/ runs one suite against both.
 */

/** One process as an agent reported it. Names are validated (1–255 chars, no control characters). */
export interface ProcessSample {
  pid: number;
  name: string;
  cpu_percent: number;
  memory_percent: number;
  memory_rss?: number | undefined;
  /** Epoch milliseconds at which the process started. */
  started_at?: number | undefined;
  user?: string | undefined;
  command?: string | undefined;
  state?: string | undefined;
  parent_pid?: number | undefined;
}

/** One batch: every process of one system at one sampling instant. */
export interface SampleBatch {
  system_name: string;
  /** Sampling instant, epoch milliseconds. A retried batch carries the same one (idempotent). */
  timestamp: number;
  processes: ProcessSample[];
}

/** A stored sample as queries return it. */
export interface StoredSample extends ProcessSample {
  system_name: string;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** A half-open interval [start, stop) in epoch milliseconds. */
export interface TimeRange {
  start: number;
  stop: number;
}

export interface FilterQuery {
  /** Disjoint ranges in ascending order (one per day of a time-of-day window). */
  ranges: TimeRange[];
  system_name?: string | undefined;
  process_name?: string | undefined;
  pid?: number | undefined;
  offset: number;
  limit: number;
}

export interface FilterResult {
  /** All matching samples, not just this page. */
  count: number;
  /** Ordered by timestamp, system_name, name, then pid (numerically). */
  rows: StoredSample[];
}

export interface DurationQuery {
  system_name: string;
  process_name: string;
  range: TimeRange;
  /** A gap between two samples longer than this ends a run. */
  gap_ms: number;
}

export interface Run {
  start: number;
  end: number;
  /** Distinct pids seen during the run, ascending. */
  pids: number[];
}

export interface DurationFacts {
  first_seen: number;
  last_seen: number;
  /** Ascending by start. */
  runs: Run[];
  /** started_at (epoch ms) of the most recent sample, when the agent sent it. */
  latest_started_at: number | null;
}

export interface SystemSummary {
  system_name: string;
  first_seen: number;
  last_seen: number;
  /** Processes in the most recent sample of this system. */
  process_count: number;
}

/** The two back ends. */
export type StoreKind = "influxdb" | "sqlite";

export interface ProcessStore {
  /** Which back end this is, for logs, /readyz and start-up's banner. */
  readonly kind: StoreKind;
  /** Prepare storage (create the bucket or schema). Idempotent. */
  init(): Promise<void>;
  /** Store a batch whole; resolves once it is durable. Returns the number of samples written. */
  write(batch: SampleBatch): Promise<number>;
  filter(query: FilterQuery): Promise<FilterResult>;
  /** Null when the process was never seen on that system inside the range. */
  duration(query: DurationQuery): Promise<DurationFacts | null>;
  systems(range: TimeRange): Promise<SystemSummary[]>;
  /** Resolves when storage answers; rejects with StorageUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Storage cannot be reached or did not answer in time: the API answers 503 with Retry-After. */
export class StorageUnavailableError extends Error {
  override readonly name = "StorageUnavailableError";
}

/**
 * Storage refused the samples themselves, and would again on every retry (InfluxDB drops points
 * older than the bucket's retention): the API answers 400 naming `field`, so that an agent drops
 * the sample instead of retrying it forever.
 */
export class StorageRefusedError extends Error {
  override readonly name = "StorageRefusedError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}
