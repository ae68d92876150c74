/**
 * ProcessStore on InfluxDB 2.x: line protocol in (line-protocol.ts, posted as is), Flux out
 * (queries.ts). The bucket's layout is in layout.ts and docs/data-layout.md.
 */
import {
  HttpError,
  InfluxDB,
  type ParameterizedQuery,
  RequestTimedOutError,
  setLogger,
} from "@influxdata/influxdb-client";
import { BucketsAPI, OrgsAPI } from "@influxdata/influxdb-client-apis";
import type { Logger } from "../../log.ts";
import { assembleDuration } from "../runs.ts";
import {
  type DurationFacts,
  type DurationQuery,
  type FilterQuery,
  type FilterResult,
  type ProcessStore,
  type SampleAt,
  type SampleBatch,
  type Sighting,
  type SightingsQuery,
  StorageRefusedError,
  StorageUnavailableError,
  type StoredSample,
  type SystemSummary,
  type TimeRange,
} from "../types.ts";
import { batchAtQuery, sightingsQuery } from "./history-queries.ts";
import { measurements, OLD_MEASUREMENT, OldLayoutError } from "./layout.ts";
import { encodeBatch } from "./line-protocol.ts";
import {
  durationFacts,
  filterBatches,
  filterCounts,
  filterPageRows,
  filterPageTimes,
  filterPidKeys,
  narrowsSamples,
  type SeriesKey,
  systemsSummary,
} from "./queries.ts";
import { decodeTag } from "./tags.ts";

export interface InfluxStoreOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
  retentionDays: number;
  timeoutMs: number;
  log: Logger;
}

type Row = Record<string, unknown>;

/** Anything that means "InfluxDB cannot serve us now" becomes StorageUnavailableError. */
function classify(err: unknown): Error {
  if (err instanceof StorageUnavailableError) return err;
  if (err instanceof RequestTimedOutError) return new StorageUnavailableError("InfluxDB timed out");
  if (err instanceof HttpError) {
    if (
      err.statusCode >= 500 ||
      err.statusCode === 401 ||
      err.statusCode === 403 ||
      err.statusCode === 404 ||
      err.statusCode === 429
    ) {
      return new StorageUnavailableError(`InfluxDB answered ${err.statusCode}`);
    }
    return new Error(`InfluxDB answered ${err.statusCode}: ${err.body ?? err.message}`);
  }
  const code = (err as { code?: string } | undefined)?.code;
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|EAI_AGAIN)$/.test(code)) {
    return new StorageUnavailableError(`InfluxDB unreachable (${code})`);
  }
  if (err instanceof Error && /socket hang up|ECONNREFUSED|aborted/i.test(err.message)) {
    return new StorageUnavailableError(`InfluxDB unreachable (${err.message})`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
/**
 * InfluxDB's annotated CSV is written with CRLF line ends, which turns every "\n" inside a string
 * field into "\r\n" and drops a lone "\r". Carriage returns are therefore not stored (stripCr on
 * write) and "\r\n" is read back as the "\n" that was written.
 */
const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v.replaceAll("\r\n", "\n") : undefined;
const ms = (v: unknown): number => Date.parse(String(v));
/**
 * Code-point order (what InfluxDB and SQLite sort strings by: UTF-8 bytes). JavaScript's `<`
 * compares UTF-16 units, which puts U+10000 and above before U+E000–U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const shift = (c: number) => (c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c);
      return shift(x) - shift(y);
    }
  }
  return a.length - b.length;
}

/** Beyond this many series, a pid filter reads the page's span by tags and filters in TypeScript. */
const MAX_SERIES_PREDICATE = 200;

/** `ranges` cut to [start, stop), empty pieces dropped. */
const clip = (ranges: TimeRange[], start: number, stop: number): TimeRange[] =>
  ranges
    .map((r) => ({ start: Math.max(r.start, start), stop: Math.min(r.stop, stop) }))
    .filter((r) => r.start < r.stop);

/** One StoredSample per (instant, system, name, slot) from one row per field, in the documented order. */
function assemble(fields: Row[]): StoredSample[] {
  const samples = new Map<string, Row>();
  for (const f of fields) {
    const id = `${String(f._time)}\u0000${f.system}\u0000${f.name}\u0000${f.slot}`;
    let sample = samples.get(id);
    if (!sample) {
      sample = { _time: f._time, system: f.system, name: f.name };
      samples.set(id, sample);
    }
    sample[String(f._field)] = f._value;
  }
  return [...samples.values()]
    .filter((r) => r.cpu_percent !== undefined && r.pid !== undefined)
    .map((r) => ({
      system_name: decodeTag(String(r.system)),
      name: decodeTag(String(r.name)),
      pid: Number(r.pid),
      timestamp: ms(r._time),
      cpu_percent: num(r.cpu_percent) ?? 0,
      memory_percent: num(r.memory_percent) ?? 0,
      memory_rss: num(r.memory_rss),
      started_at: num(r.started_at),
      parent_pid: num(r.parent_pid),
      user: str(r.user),
      command: str(r.command),
      state: str(r.state),
      num_threads: num(r.num_threads),
      cpu_user_seconds: num(r.cpu_user_seconds),
      cpu_system_seconds: num(r.cpu_system_seconds),
      minor_faults: num(r.minor_faults),
      major_faults: num(r.major_faults),
      memory_vms: num(r.memory_vms),
    }))
    .sort(
      (a, b) =>
        a.timestamp - b.timestamp ||
        byCodePoint(a.system_name, b.system_name) ||
        byCodePoint(a.name, b.name) ||
        a.pid - b.pid,
    );
}

/** A failed fetch() (undici wraps the socket error as `cause`) or its timeout. */
function classifyFetch(err: unknown): Error {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return new StorageUnavailableError("InfluxDB timed out");
  }
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause) {
    const c = classify(cause);
    if (c instanceof StorageUnavailableError) return c;
  }
  if (err instanceof TypeError) return new StorageUnavailableError(`InfluxDB unreachable (${err.message})`);
  return classify(err);
}

export class InfluxStore implements ProcessStore {
  readonly kind = "influxdb" as const;
  get location(): string {
    return `${this.opts.url}, bucket ${this.opts.bucket}`;
  }
  private readonly db: InfluxDB;
  private layoutChecked: Promise<void> | undefined;

  constructor(private readonly opts: InfluxStoreOptions) {
    this.db = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs });
    // The client logs failed writes itself; route that through our logger (never the token).
    setLogger({
      error: (message, error) => opts.log.debug({ err: String(error) }, `influxdb-client: ${message}`),
      warn: (message, error) => opts.log.debug({ err: String(error) }, `influxdb-client: ${message}`),
    });
  }

  async init(): Promise<void> {
    await this.ensureBucket();
    await this.layout();
  }

  private async ensureBucket(): Promise<void> {
    const { org, bucket, retentionDays, log } = this.opts;
    try {
      const buckets = new BucketsAPI(this.db);
      const found = await buckets.getBuckets({ org, name: bucket }).catch((err: unknown) => {
        if (err instanceof HttpError && err.statusCode === 404) return { buckets: [] };
        throw err;
      });
      if (found.buckets?.length) return;
      const orgs = await new OrgsAPI(this.db).getOrgs({ org });
      const orgID = orgs.orgs?.[0]?.id;
      if (!orgID) throw new Error(`InfluxDB org "${org}" not found`);
      await buckets.postBuckets({
        body: {
          orgID,
          name: bucket,
          retentionRules: [{ type: "expire", everySeconds: retentionDays * 86_400 }],
        },
      });
      log.info({ bucket, retentionDays }, "created InfluxDB bucket");
    } catch (err) {
      if (err instanceof HttpError && (err.statusCode === 401 || err.statusCode === 403)) {
        log.warn({ bucket }, "cannot check or create the bucket with this token; assuming it exists");
        return;
      }
      throw classify(err);
    }
  }

  /**
   * Checks once per process that the bucket is not in the old layout (never mixed silently). A
   * failed check is retried by the next call; a passed one costs nothing after.
   */
  private layout(): Promise<void> {
    this.layoutChecked ??= (async () => {
      const found = await this.rows(measurements(this.opts.bucket));
      if (found.some((r) => r._value === OLD_MEASUREMENT)) throw new OldLayoutError(this.opts.bucket);
    })().catch((err: unknown) => {
      this.layoutChecked = undefined;
      throw err instanceof OldLayoutError ? new StorageUnavailableError(err.message) : err;
    });
    return this.layoutChecked;
  }

  async write(batch: SampleBatch): Promise<number> {
    const body = encodeBatch(batch); // refuses a batch naming one (name, pid) twice
    await this.layout();
    const { url, org, bucket, token, timeoutMs } = this.opts;
    const target = `${url.replace(/\/$/, "")}/api/v2/write?${new URLSearchParams({ org, bucket, precision: "ms" })}`;
    let res: Response;
    try {
      // Plain text, not gzip: on the loopback or a LAN the compression costs more than it saves.
      res = await fetch(target, {
        method: "POST",
        headers: { authorization: `Token ${token}`, "content-type": "text/plain; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw classifyFetch(err);
    }
    if (res.status === 204) return batch.processes.length;
    const text = await res.text().catch(() => "");
    // InfluxDB answers 422 "partial write: dropped N points outside retention policy" for points
    // older than the bucket keeps: retrying cannot help (it was a 500, which agents retry).
    if (res.status === 422 && /outside retention/i.test(text)) {
      throw new StorageRefusedError("older than the InfluxDB bucket's retention period", "timestamp");
    }
    throw classify(new HttpError(res.status, res.statusText, text));
  }

  private async rows(query: ParameterizedQuery): Promise<Row[]> {
    try {
      return await this.db.getQueryApi(this.opts.org).collectRows<Row>(query);
    } catch (err) {
      throw classify(err);
    }
  }

  private async query(query: ParameterizedQuery): Promise<Row[]> {
    await this.layout();
    return this.rows(query);
  }

  private async counts(q: FilterQuery, ranges: TimeRange[]): Promise<number[]> {
    if (ranges.length === 0) return [];
    const counted = new Map(
      (await this.query(filterCounts(this.opts.bucket, q, ranges))).map((r) => [
        String(r.result),
        num(r._value) ?? 0,
      ]),
    );
    return ranges.map((_, i) => counted.get(`r${i}`) ?? 0);
  }

  async filter(q: FilterQuery): Promise<FilterResult> {
    if (q.ranges.length === 0) return { count: 0, rows: [] };
    const counts = await this.counts(q, q.ranges);
    const count = counts.reduce((a, b) => a + b, 0);

    // The ranges are disjoint and ascending: the page lies in the ranges from the one holding
    // sample number `offset` on, and starts `offset` samples into the concatenation of those.
    const touched: TimeRange[] = [];
    let skip = q.offset;
    let offset = 0;
    let need = q.limit;
    q.ranges.forEach((r, i) => {
      const n = counts[i] ?? 0;
      if (need <= 0 || n === 0) return;
      if (skip >= n) {
        skip -= n;
        return;
      }
      if (touched.length === 0) offset = skip;
      touched.push(r);
      need -= n - skip;
      skip = 0;
    });
    if (touched.length === 0) return { count, rows: [] };
    const page = narrowsSamples(q)
      ? await this.pageBySamples(q, touched, offset)
      : await this.pageByBatches(q, touched, offset);
    return { count, rows: page };
  }

  /**
   * Without a name or pid narrowing: the batch points say which (system, instant) pairs hold the
   * page, so only those systems' samples at those instants are read.
   */
  private async pageByBatches(q: FilterQuery, touched: TimeRange[], offset: number): Promise<StoredSample[]> {
    const points = (await this.query(filterBatches(this.opts.bucket, q, touched)))
      .map((r) => ({
        t: ms(r._time),
        stored: String(r.system),
        system: decodeTag(String(r.system)),
        n: num(r._value) ?? 0,
      }))
      .sort((a, b) => a.t - b.t || byCodePoint(a.system, b.system));
    const chosen: typeof points = [];
    let before = 0; // samples of the touched ranges before the first chosen batch
    let upTo = 0; // … up to the end of the last chosen one
    for (const p of points) {
      if (upTo >= offset + q.limit) break;
      upTo += p.n;
      if (upTo <= offset) before = upTo;
      else chosen.push(p);
    }
    if (chosen.length === 0) return [];
    const from = (chosen[0] as (typeof points)[number]).t;
    const to = (chosen[chosen.length - 1] as (typeof points)[number]).t + 1;
    const pairs = new Set(chosen.map((c) => `${c.t}\u0000${c.stored}`));
    const systems = [...new Set(chosen.map((c) => c.stored))];
    const rows = (
      await this.query(filterPageRows(this.opts.bucket, q, clip(touched, from, to), { systems }))
    ).filter((f) => pairs.has(`${ms(f._time)}\u0000${String(f.system)}`));
    const samples = assemble(rows);
    const start = offset - before;
    return samples.slice(start, start + q.limit);
  }

  /** Narrowed by name or pid: the page's instants from the matching pid points, then its rows. */
  private async pageBySamples(q: FilterQuery, touched: TimeRange[], offset: number): Promise<StoredSample[]> {
    const { bucket } = this.opts;
    const times = await this.query(filterPageTimes(bucket, q, touched, offset));
    if (times.length === 0) return [];
    const from = ms(times[0]?._time);
    const to = ms(times[times.length - 1]?._time) + 1;
    const spans = clip(touched, from, to);
    let only: { series: SeriesKey[] } | null = null;
    if (q.pid !== undefined) {
      // pid is a field: find the series that carried it in the page's span, then read just those.
      const keys = new Map<string, SeriesKey>();
      for (const k of await this.query(filterPidKeys(bucket, q, spans))) {
        const key = { system: String(k.system), name: String(k.name), slot: String(k.slot) };
        keys.set(`${key.system}\u0000${key.name}\u0000${key.slot}`, key);
      }
      if (keys.size <= MAX_SERIES_PREDICATE) only = { series: [...keys.values()] };
    }
    const [before, rows] = await Promise.all([
      this.counts(q, clip(touched, Number.NEGATIVE_INFINITY, from)),
      this.query(filterPageRows(bucket, q, spans, only)),
    ]);
    let samples = assemble(rows);
    if (q.pid !== undefined) samples = samples.filter((s) => s.pid === q.pid);
    const start = offset - before.reduce((a, b) => a + b, 0);
    return samples.slice(start, start + q.limit);
  }

  async duration(q: DurationQuery): Promise<DurationFacts | null> {
    const result = await this.query(durationFacts(this.opts.bucket, q));
    const by = (name: string) => result.filter((r) => r.result === name);
    const firsts = by("pid_first").map((r) => ({ pid: Number(r._value), t: ms(r._time) }));
    const lasts = new Map(by("pid_last").map((r) => [Number(r._value), ms(r._time)]));
    if (firsts.length === 0) return null;
    const pids = firsts.map((f) => ({ pid: f.pid, first: f.t, last: lasts.get(f.pid) ?? f.t }));
    // elapsed is in nanoseconds, through float64: round to the millisecond (see queries.ts).
    const gaps = by("gaps").map((r) => ({ t: ms(r._time), elapsed: Math.round(Number(r.elapsed) / 1e6) }));
    // Only the started_at values at the last sighting count (assembleDuration), whatever their pid.
    const started = by("started").map((r) => ({ pid: 0, t: ms(r._time), v: Number(r._value) }));
    return assembleDuration(pids, gaps, started);
  }

  async systems(range: TimeRange): Promise<SystemSummary[]> {
    const result = await this.query(systemsSummary(this.opts.bucket, range));
    const firsts = new Map(
      result.filter((r) => r.result === "first").map((r) => [String(r.system), ms(r._time)]),
    );
    return result
      .filter((r) => r.result === "latest")
      .map((r) => {
        const last = ms(r._time);
        return {
          system_name: decodeTag(String(r.system)),
          first_seen: firsts.get(String(r.system)) ?? last,
          last_seen: last,
          process_count: Number(r._value),
        };
      })
      .sort((a, b) => byCodePoint(a.system_name, b.system_name));
  }

  async sightings(q: SightingsQuery): Promise<Sighting[]> {
    const result = await this.query(sightingsQuery(this.opts.bucket, q));
    // interval changes per system, ascending: the interval in force at t is the last change ≤ t
    const changes = new Map<string, { t: number; v: number }[]>();
    for (const r of result) {
      if (r.result !== "interval") continue;
      const list = changes.get(String(r.system)) ?? [];
      list.push({ t: ms(r._time), v: Number(r.interval) });
      changes.set(String(r.system), list);
    }
    for (const list of changes.values()) list.sort((a, b) => a.t - b.t);
    const intervalAt = (system: string, t: number): number | undefined => {
      const list = changes.get(system);
      if (!list) return undefined;
      let lo = 0;
      let hi = list.length - 1;
      let found: number | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const c = list[mid] as { t: number; v: number };
        if (c.t <= t) {
          found = c.v;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found === undefined || found <= 0 ? undefined : found;
    };
    const seen = new Map<string, { system: string; t: number; pid?: number; started_at?: number }>();
    for (const r of result) {
      if (r.result !== "seen") continue;
      const t = ms(r._time);
      const key = `${t}\u0000${String(r.system)}\u0000${String(r.slot)}`;
      let one = seen.get(key);
      if (!one) {
        one = { system: String(r.system), t };
        seen.set(key, one);
      }
      if (r._field === "pid") one.pid = Number(r._value);
      else one.started_at = num(r._value);
    }
    const out: Sighting[] = [];
    for (const one of seen.values()) {
      if (one.pid === undefined) continue;
      out.push({
        system_name: decodeTag(one.system),
        timestamp: one.t,
        pid: one.pid,
        started_at: one.started_at,
        interval_ms: intervalAt(one.system, one.t),
      });
    }
    return out;
  }

  async sampleAt(system_name: string, at: number): Promise<SampleAt | null> {
    const { bucket } = this.opts;
    const last = await this.query(batchAtQuery(bucket, system_name, at));
    const processes = last.find((r) => r._field === "processes");
    if (!processes) return null;
    const ts = ms(processes._time);
    const interval = last.find((r) => r._field === "interval_ms" && ms(r._time) === ts);
    const iv = num(interval?._value);
    const rows = await this.query(
      filterPageRows(bucket, { system_name }, [{ start: ts, stop: ts + 1 }], null),
    );
    return {
      timestamp: ts,
      interval_ms: iv !== undefined && iv > 0 ? iv : undefined,
      processes: assemble(rows),
    };
  }

  async ping(): Promise<void> {
    try {
      const res = await fetch(`${this.opts.url.replace(/\/$/, "")}/ping`, {
        signal: AbortSignal.timeout(Math.min(this.opts.timeoutMs, 5000)),
      });
      if (res.status >= 300) throw new StorageUnavailableError(`InfluxDB /ping answered ${res.status}`);
    } catch (err) {
      if (err instanceof StorageUnavailableError) throw err;
      throw new StorageUnavailableError(`InfluxDB unreachable: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {}
}
