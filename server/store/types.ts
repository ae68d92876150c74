import type { Stretch } from "./stretches.ts";

/**
 * The storage contract. The router knows nothing else about storage: InfluxStore (production) and
 * SqliteStore (embedded default) implement this, and test/contract/ runs one suite against both.
 */

/**
 * One process of a batch, as the API accepted it (the agent's own, before cleaning, is
 * agent/collect/types.ts' ProcessSample). Names follow common/wire.ts: 1–255 characters, no
 * control characters.
 */
export interface BatchProcess {
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
  /** Optional facts from /proc/<pid>/stat (Linux agents): threads, CPU split, faults, virtual size. */
  num_threads?: number | undefined;
  cpu_user_seconds?: number | undefined;
  cpu_system_seconds?: number | undefined;
  minor_faults?: number | undefined;
  major_faults?: number | undefined;
  memory_vms?: number | undefined;
}

/** One batch: every process of one system at one sampling instant. */
export interface SampleBatch {
  system_name: string;
  /** Sampling instant, epoch milliseconds. A retried batch carries the same one (idempotent). */
  timestamp: number;
  /** The agent's sampling interval (ms), when it sent one: a run ends past 3 of them. */
  interval_ms?: number | undefined;
  processes: BatchProcess[];
}

/** A stored sample as queries return it. */
export interface StoredSample extends BatchProcess {
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

export interface SightingsQuery {
  process_name: string;
  /** One system, or every system that ran the process in the range. */
  system_name?: string | undefined;
  range: TimeRange;
}

/** One process seen in one sample: what runs and instances are assembled from (server/store/runs.ts). */
export interface Sighting {
  system_name: string;
  /** The sampling instant, epoch ms. */
  timestamp: number;
  pid: number;
  started_at?: number | undefined;
  /** The interval the agent sent with that sample's batch; undefined when it sent none. */
  interval_ms?: number | undefined;
}

/** How processes-at orders a sample: cpu and memory highest first, name A→Z; ties by name, then pid. */
export type ProcessOrder = "cpu" | "memory" | "name";

/** A system's sample at one instant. */
export interface SampleAt {
  timestamp: number;
  interval_ms?: number | undefined;
  /** How many processes the whole sample holds. */
  process_count: number;
  /** Every process of the sample in no particular order, or the `top` first in the order asked for. */
  processes: StoredSample[];
}

/** The newest facts of a range, that expected-process watches are evaluated from (server/watch/). */
export interface LatestFacts {
  /** Each system with a batch in the range: its first and last batch, and the interval its last one carried. */
  systems: { system_name: string; first: number; last: number; interval_ms?: number | undefined }[];
  /** Each (system, name) seen in the range: its last sighting, and how many processes had the name then. */
  names: { system_name: string; name: string; last_seen: number; instances: number }[];
}

/** What a store keeps of one name beyond raw samples (server/store/stretches.ts, docs/history.md). */
export interface StoredHistory {
  /** First instants of the UTC days overlapping the range whose stretches are stored, complete and current. */
  days: number[];
  /** Stored stretches of those days that overlap the range (any order; possibly also of other days). */
  stretches: Stretch[];
  /** Raw samples are complete from this instant on; older ones may be gone. */
  raw_from: number;
}

/** The two back ends. */
export type StoreKind = "influxdb" | "sqlite";

export interface ProcessStore {
  /** Which back end this is, for logs, /readyz and start-up's banner. */
  readonly kind: StoreKind;
  /** Where the samples are, for people: the SQLite file's path, or InfluxDB's "<url>, bucket <name>". */
  readonly location: string;
  /** Prepare storage (create the bucket or schema). Idempotent. */
  init(): Promise<void>;
  /** Store a batch whole; resolves once it is durable. Returns the number of samples written. */
  write(batch: SampleBatch): Promise<number>;
  filter(query: FilterQuery): Promise<FilterResult>;
  /** Null when the process was never seen on that system inside the range. */
  duration(query: DurationQuery): Promise<DurationFacts | null>;
  systems(range: TimeRange): Promise<SystemSummary[]>;
  /** Every sighting of a name in the range (one system or all), in no particular order. */
  sightings(query: SightingsQuery): Promise<Sighting[]>;
  /** The name's compacted history overlapping the range (one system or all). */
  history(query: SightingsQuery): Promise<StoredHistory>;
  /**
   * The system's last sample at or before `at` (epoch ms); null when it has none. With `pick`, only
   * its `top` first processes in that order (a store may then read only those).
   */
  sampleAt(
    system_name: string,
    at: number,
    pick?: { sort: ProcessOrder; top: number },
  ): Promise<SampleAt | null>;
  /** The newest facts in the range, in no particular order (watches: docs/watches.md). */
  latest(range: TimeRange): Promise<LatestFacts>;
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
