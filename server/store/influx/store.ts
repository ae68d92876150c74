/**
 * ProcessStore on InfluxDB 2.x: line protocol in (line-protocol.ts, posted as is), Flux out
 * (queries.ts). The bucket's layout is in layout.ts and docs/data-layout.md.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import {
  HttpError,
  InfluxDB,
  type ParameterizedQuery,
  RequestTimedOutError,
  setLogger,
} from "@influxdata/influxdb-client";
import { BucketsAPI, OrgsAPI } from "@influxdata/influxdb-client-apis";
import type { Logger } from "../../log.ts";
import { assembleDuration, processOrder } from "../runs.ts";
import {
  type DurationFacts,
  type DurationQuery,
  type FilterQuery,
  type FilterResult,
  type LatestFacts,
  type ProcessOrder,
  type ProcessStore,
  type SampleAt,
  type SampleBatch,
  type Sighting,
  type SightingsQuery,
  StorageRefusedError,
  StorageUnavailableError,
  type StoredHistory,
  type StoredSample,
  type SystemSummary,
  type TimeRange,
} from "../types.ts";
import { checkAccess } from "./access.ts";
import { csvText } from "./csv.ts";
import { InfluxHistory } from "./history.ts";
import { batchAtQuery, sightingsQuery } from "./history-queries.ts";
import { measurements, OLD_MEASUREMENT, OldLayoutError } from "./layout.ts";
import { encodeBatch, WRITE_PRECISION } from "./line-protocol.ts";
import {
  durationFacts,
  filterBatches,
  filterByName,
  filterCounts,
  filterMatches,
  filterRowSegments,
  type RowSegment,
  systemsSummary,
} from "./queries.ts";
import { byCodePoint, decodeTag, encodeTag } from "./tags.ts";
import { latestQuery, readLatest } from "./watch-queries.ts";

export interface InfluxStoreOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
  retentionDays: number;
  timeoutMs: number;
  log: Logger;
  /** The bucket history is kept in (INFLUX_HISTORY_BUCKET; default "<bucket>-history"). */
  historyBucket?: string;
  /** HISTORY_RETENTION_DAYS (default 400): the history bucket's retention. */
  historyRetentionDays?: number;
  /** RUN_GAP_SECONDS × 1000 (default 15 000): where history's stretches are cut. */
  runGapMs?: number;
  /** How often finished days are compacted into history (default 10 minutes); 0: only on demand. */
  historyIntervalMs?: number;
  /** How long after its end a UTC day is compacted (default 10 minutes). */
  historyGraceMs?: number;
  /** The clock history compaction and the raw samples' reach are measured by (default Date.now). */
  now?: () => number;
}

type Row = Record<string, unknown>;

/**
 * Anything that means "InfluxDB cannot serve us now" becomes StorageUnavailableError (exported for
 * test/store/influx-store-edges.test.ts, which judges it on the statuses no real influxd answers).
 */
export function classify(err: unknown): Error {
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

// Stryker disable next-line LogicalOperator,ConditionalExpression: equivalent because Number.isFinite is false for anything but a finite number, and a value InfluxDB's CSV gives is a number or undefined (the typeof is for TypeScript)
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
/**
 * InfluxDB's annotated CSV is written with CRLF line ends, which turns every "\n" inside a string
 * field into "\r\n" and drops a lone "\r". Carriage returns are therefore not stored (stripCr on
 * write) and "\r\n" is read back as the "\n" that was written.
 */
const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v.replaceAll("\r\n", "\n") : undefined;
const ms = (v: unknown): number => Date.parse(String(v));
/** A sample's values from a row holding its fields as columns (absent ones undefined). */
const values = (r: Row) => ({
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
});

/** The sub-millisecond part of an RFC 3339 time, in ns (a `row` point's place in its batch). */
const subMs = (v: unknown): number => {
  // Stryker disable next-line Regex: equivalent because every time InfluxDB answers is RFC 3339 in UTC, ending in the "Z" the end anchor would check
  const fraction = /\.(\d+)Z$/.exec(String(v))?.[1] ?? "";
  return Number(fraction.padEnd(9, "0").slice(3, 9));
};

/** A failed fetch() (undici wraps the socket error as `cause`) or its timeout. */
export function classifyFetch(err: unknown): Error {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return new StorageUnavailableError("InfluxDB timed out");
  }
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  // Stryker disable next-line ConditionalExpression: equivalent because classify(undefined) is a plain Error, which the next line passes over
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
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent in results because keep-alive only reuses connections (a cost measured by bench/, not a behaviour)
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent in results because keep-alive only reuses connections (a cost measured by bench/, not a behaviour)
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  private layoutChecked: Promise<void> | undefined;
  private readonly kept: InfluxHistory;
  /** The history bucket's name. */
  readonly historyBucket: string;

  constructor(private readonly opts: InfluxStoreOptions) {
    this.db = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs });
    this.historyBucket = opts.historyBucket ?? `${opts.bucket}-history`;
    this.kept = new InfluxHistory({
      bucket: opts.bucket,
      historyBucket: this.historyBucket,
      query: (q) => this.query(q),
      csv: (q) => this.csv(q),
      send: (bucket, body) => this.send(bucket, body, "ms"),
      remove: (bucket, start, stop, measurement) => this.remove(bucket, start, stop, measurement),
      log: opts.log,
      now: opts.now ?? Date.now,
      defaultGapMs: opts.runGapMs ?? 15_000,
      retentionDays: opts.retentionDays,
      historyRetentionDays: opts.historyRetentionDays ?? 400,
      graceMs: opts.historyGraceMs ?? 10 * 60_000,
    });
    // The client logs what it finds odd (a URL ending in /api/v2); route that through our logger
    // (never the token). The logger is the client's one global: the last store made sets it.
    setLogger({
      // Stryker disable next-line ArrowFunction,ObjectLiteral,StringLiteral: equivalent because the client logs errors only from its write API and retry buffer, which this store does not use (writes go over node:http)
      error: (message, error) => opts.log.debug({ err: String(error) }, `influxdb-client: ${message}`),
      warn: (message, error) => opts.log.debug({ err: String(error) }, `influxdb-client: ${message}`),
    });
  }

  async init(): Promise<void> {
    await this.ensureBucket(this.opts.bucket, this.opts.retentionDays);
    await this.ensureBucket(this.historyBucket, this.opts.historyRetentionDays ?? 400);
    await this.layout();
    const every = this.opts.historyIntervalMs ?? 10 * 60_000;
    if (every > 0) this.kept.start(every);
  }

  /**
   * Compacts the finished days of `range` (default: those raw samples and history both keep) into
   * the history bucket; what the server does in the background (docs/history.md).
   */
  compactHistory(range?: TimeRange): Promise<void> {
    return this.kept.compactFinished(range);
  }

  private async ensureBucket(bucket: string, retentionDays: number): Promise<void> {
    const { org, log } = this.opts;
    try {
      const buckets = new BucketsAPI(this.db);
      const found = await buckets.getBuckets({ org, name: bucket }).catch((err: unknown) => {
        // Stryker disable next-line ConditionalExpression,LogicalOperator,ObjectLiteral: equivalent where a variant swallows more than the 404 of a bucket not there (or answers {}): whatever else getBuckets fails with, getOrgs next fails with the same (same server, token and org); the variant throwing the 404 is killed (init() creates buckets)
        if (err instanceof HttpError && err.statusCode === 404) return { buckets: [] };
        throw err;
      });
      // Stryker disable next-line OptionalChaining: equivalent because InfluxDB always answers a list (empty when none), and so does the 404 above
      if (found.buckets?.length) return;
      const orgs = await new OrgsAPI(this.db).getOrgs({ org });
      // Stryker disable next-line OptionalChaining: equivalent because InfluxDB always answers a list of orgs (empty when none is visible)
      const orgID = orgs.orgs?.[0]?.id;
      if (!orgID) throw new Error(`InfluxDB org "${org}" not found`);
      await buckets.postBuckets({
        body: {
          orgID,
          name: bucket,
          // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8 stores a rule of no type as "expire", its only type (influx-vs-sqlite reads the rules back)
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
    await this.kept.touch(batch.timestamp);
    await this.send(this.opts.bucket, body, WRITE_PRECISION);
    return batch.processes.length;
  }

  /** Posts line protocol to a bucket. */
  private async send(bucket: string, body: string, precision: string): Promise<void> {
    // Plain text, not gzip: on the loopback or a LAN the compression costs more than it saves.
    const { status, text } = await this.post(bucket, body, precision);
    if (status === 204) return;
    // InfluxDB answers 422 "partial write: dropped N points outside retention policy" for points
    // older than the bucket keeps: retrying cannot help (it was a 500, which agents retry).
    // Stryker disable next-line ConditionalExpression: equivalent because InfluxDB says "outside retention" only in its 422 partial-write answer
    if (status === 422 && /outside retention/i.test(text)) {
      throw new StorageRefusedError("older than the InfluxDB bucket's retention period", "timestamp");
    }
    // Stryker disable next-line StringLiteral: equivalent because classify() words the error from the status and the body (`text`, always a string), never the status message
    throw classify(new HttpError(status, "", text));
  }

  /**
   * POSTs line protocol to /api/v2/write over kept-alive node:http connections (fetch built a
   * Request, a body stream and a byte count of every 100 KB body: ~10 % of the server's ingest CPU).
   */
  private post(bucket: string, body: string, precision: string): Promise<{ status: number; text: string }> {
    const { url, org, token, timeoutMs } = this.opts;
    const target = new URL(
      `${url.replace(/\/$/, "")}/api/v2/write?${new URLSearchParams({ org, bucket, precision })}`,
    );
    const payload = Buffer.from(body);
    return new Promise((resolve, reject) => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator,StringLiteral: equivalent because the agent decides the protocol: node:http's request() given the https agent speaks TLS, and node:https's given the http agent plain HTTP
      const req = (target.protocol === "https:" ? httpsRequest : httpRequest)(
        target,
        {
          method: "POST",
          agent: target.protocol === "https:" ? this.httpsAgent : this.httpAgent,
          headers: {
            authorization: `Token ${token}`,
            // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8 reads a write body as line protocol whatever its content type (the in-test writes of influx-vs-sqlite pass with it empty)
            "content-type": "text/plain; charset=utf-8",
            "content-length": payload.length,
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on("error", (err) => reject(classify(err)));
        },
      );
      req.on("timeout", () => req.destroy(new StorageUnavailableError("InfluxDB timed out")));
      req.on("error", (err) => reject(classify(err)));
      req.end(payload);
    });
  }

  /** Deletes one measurement's points in [start, stop] (ms) from a bucket. */
  private async remove(bucket: string, start: number, stop: number, measurement: string): Promise<void> {
    const { url, org, token, timeoutMs } = this.opts;
    let res: Response;
    try {
      res = await fetch(`${url.replace(/\/$/, "")}/api/v2/delete?${new URLSearchParams({ org, bucket })}`, {
        method: "POST",
        // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8 reads a delete body as JSON whatever its content type (the re-compaction test passes with it empty)
        headers: { authorization: `Token ${token}`, "content-type": "application/json" },
        // the predicate names one of our own measurements, never user input
        body: JSON.stringify({
          start: new Date(start).toISOString(),
          stop: new Date(stop).toISOString(),
          // Stryker disable next-line StringLiteral: equivalent because history's one caller deletes a day of the history bucket, which holds only stretches and day marks, and writes the day's mark after the delete
          predicate: `_measurement="${measurement}"`,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw classifyFetch(err);
    }
    if (res.status === 204) return;
    // Stryker disable next-line ArrowFunction,StringLiteral: equivalent because the body is read for the message of an error classify() words from the status alone: InfluxDB 2.8's delete API refuses this request (well-formed JSON, a day the queries before it accepted, a predicate on _measurement only) with 401, 403, 404 or 5xx, never a status whose error carries the body
    throw classify(new HttpError(res.status, res.statusText, await res.text().catch(() => "")));
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

  /**
   * A query's result as plain CSV (no annotations, a header line per table), chunks as they
   * arrive: history's compaction reads whole system-days and parses them itself (csv.ts).
   */
  private async *csv(query: ParameterizedQuery): AsyncIterable<Uint8Array> {
    await this.layout();
    const body = JSON.stringify({
      query: query.toString(),
      // Stryker disable next-line ObjectLiteral: equivalent because InfluxDB 2.8 gives a dialect without `header` or `annotations` its defaults, a header line and no annotations (http/query.go, WithDefaults)
      dialect: { header: true, annotations: [] },
    });
    try {
      yield* this.db.transport.iterate(`/api/v2/query?${new URLSearchParams({ org: this.opts.org })}`, body, {
        method: "POST",
        // Stryker disable next-line ObjectLiteral,StringLiteral: equivalent because InfluxDB 2.8 reads a query body as JSON unless its content type is application/vnd.flux, and answers CSV whatever is accepted (http/query.go, decodeQueryRequest)
        headers: { "content-type": "application/json; encoding=utf-8", accept: "text/csv" },
      });
    } catch (err) {
      throw classify(err);
    }
  }

  async filter(q: FilterQuery): Promise<FilterResult> {
    if (q.ranges.length === 0) return { count: 0, rows: [] };
    if (q.process_name !== undefined) return this.filterByName(q);
    return q.pid !== undefined ? this.filterMatching(q) : this.filterAll(q);
  }

  /**
   * Without a name or pid narrowing: the batch points give the counts, and say which (system,
   * instant) batches hold the page and which of their samples, in row order.
   */
  private async filterAll(q: FilterQuery): Promise<FilterResult> {
    const { bucket } = this.opts;
    const counted = new Map(
      (await this.query(filterCounts(bucket, q, q.ranges))).map((r) => [
        String(r.result),
        num(r._value) ?? 0,
      ]),
    );
    const counts = q.ranges.map((_, i) => counted.get(`r${i}`) ?? 0);
    const count = counts.reduce((a, b) => a + b, 0);
    // The ranges are disjoint and ascending: range i holds samples `start` … `start + n − 1` of their
    // concatenation; the page needs the ranges those meet, and starts `offset` samples into them.
    const touched: TimeRange[] = [];
    let start = 0;
    let offset = 0;
    q.ranges.forEach((r, i) => {
      const n = counts[i] ?? 0;
      // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator: equivalent in results where a variant touches more ranges (always true, >=, <=, ||): their batch points lie off the page and the walk below skips them, a cost only; the variants touching too few (false, <=/>= the other way) are killed by influx-vs-sqlite's pages across two ranges
      if (start + n > q.offset && start < q.offset + q.limit) {
        if (touched.length === 0) offset = q.offset - start;
        touched.push(r);
      }
      start += n;
    });
    if (touched.length === 0) return { count, rows: [] };
    const points = (await this.query(filterBatches(bucket, q, touched)))
      .map((r) => ({
        t: ms(r._time),
        stored: String(r.system),
        system: decodeTag(String(r.system)),
        n: num(r._value) ?? 0,
      }))
      .sort((a, b) => a.t - b.t || byCodePoint(a.system, b.system));
    // The page is contiguous in (instant, system, row) order, so a system's samples from its first
    // to its last batch on the page inside one range all lie on the page: one exact span read per
    // system and range (a process sampled every 5 s is one read, not one per batch).
    const spans = new Map<string, RowSegment>();
    const end = offset + q.limit;
    let range = 0; // the touched range the batch lies in (both ascending)
    let before = 0; // samples of the touched ranges before this batch
    for (const p of points) {
      const a = Math.max(0, offset - before);
      const b = Math.min(p.n, end - before);
      before += p.n;
      if (a >= b) continue;
      // Stryker disable next-line EqualityOperator: equivalent because a batch at exactly a range's stop lies in the next range only when the two touch, where one span over both reads the same rows
      while (p.t >= (touched[range] as TimeRange).stop) range++;
      const key = `${range}\u0000${p.stored}`;
      const span = spans.get(key);
      if (span) {
        span.t2 = p.t;
        span.b = b;
      } else spans.set(key, { system: p.stored, t: p.t, a, b });
    }
    return { count, rows: await this.rowsOf([...spans.values()]) };
  }

  /** Narrowed by name: that name's samples, pivoted from its own few series, ordered and cut here. */
  private async filterByName(q: FilterQuery): Promise<FilterResult> {
    const rows: StoredSample[] = (await this.query(filterByName(this.opts.bucket, q, q.ranges)))
      .map((r) => ({
        system_name: decodeTag(String(r.system)),
        name: decodeTag(String(r.name)),
        pid: Number(r.pid),
        timestamp: ms(r._time),
        ...values(r),
      }))
      .sort(
        (a, b) => a.timestamp - b.timestamp || byCodePoint(a.system_name, b.system_name) || a.pid - b.pid,
      );
    return { count: rows.length, rows: rows.slice(q.offset, q.offset + q.limit) };
  }

  /**
   * Narrowed by pid (a name goes to filterByName): the matching samples' places (system, instant,
   * place in row order) from the `row` copy, one row each, counted and cut into the page here; then
   * those rows.
   */
  private async filterMatching(q: FilterQuery): Promise<FilterResult> {
    const matches = (await this.query(filterMatches(this.opts.bucket, q, q.ranges)))
      .map((r) => {
        const stored = String(r.system);
        return { t: ms(r._time), sub: subMs(r._time), stored, system: decodeTag(stored) };
      })
      // within one batch the rows come in row order (each system's one series, in time order), and
      // the sort is stable
      .sort((a, b) => a.t - b.t || byCodePoint(a.system, b.system));
    const page = matches.slice(q.offset, q.offset + q.limit);
    const segments = page.map((m) => ({ system: m.stored, t: m.t, a: m.sub, b: m.sub + 1 }));
    return { count: matches.length, rows: await this.rowsOf(segments) };
  }

  /** The samples of `segments` (each one exact read), in page order. */
  private async rowsOf(segments: RowSegment[]): Promise<StoredSample[]> {
    if (segments.length === 0) return [];
    const rows = await this.query(filterRowSegments(this.opts.bucket, segments));
    return rows
      .map((r) => ({ r, t: ms(r._time), sub: subMs(r._time), system: decodeTag(String(r.system)) }))
      .sort((x, y) => x.t - y.t || byCodePoint(x.system, y.system) || x.sub - y.sub)
      .map(({ r, t, system }) => ({
        system_name: system,
        name: String(r.name),
        pid: Number(r.pid),
        timestamp: t,
        ...values(r),
      }));
  }

  async duration(q: DurationQuery): Promise<DurationFacts | null> {
    const result = await this.query(durationFacts(this.opts.bucket, q));
    const by = (name: string) => result.filter((r) => r.result === name);
    // one row per pid and slot series: the earliest first and the latest last across slots
    const firsts = new Map<number, number>();
    for (const r of by("pid_first")) {
      const pid = Number(r._value);
      firsts.set(pid, Math.min(firsts.get(pid) ?? Number.POSITIVE_INFINITY, ms(r._time)));
    }
    if (firsts.size === 0) return null;
    const lasts = new Map<number, number>();
    for (const r of by("pid_last")) {
      const pid = Number(r._value);
      lasts.set(pid, Math.max(lasts.get(pid) ?? Number.NEGATIVE_INFINITY, ms(r._time)));
    }
    const pids = [...firsts].map(([pid, first]) => ({ pid, first, last: lasts.get(pid) ?? first }));
    // elapsed is in nanoseconds, through float64: round to the millisecond (see queries.ts).
    const gaps = by("gaps").map((r) => ({ t: ms(r._time), elapsed: Math.round(Number(r.elapsed) / 1e6) }));
    // Only the started_at values at the last sighting count (assembleDuration), whatever their pid.
    const started = by("started").map((r) => ({ pid: 0, t: ms(r._time), v: Number(r._value) }));
    return assembleDuration(pids, gaps, started);
  }

  async systems(range: TimeRange): Promise<SystemSummary[]> {
    const result = await this.query(systemsSummary(this.opts.bucket, range));
    // "first" and "latest" rows alike: a system's first sighting is the earliest of them
    const firsts = new Map<string, number>();
    for (const r of result) {
      const t = ms(r._time);
      firsts.set(String(r.system), Math.min(firsts.get(String(r.system)) ?? t, t));
    }
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
    // each system's interval rows are one series, which InfluxDB answers in time order
    const intervalAt = (system: string, t: number): number | undefined => {
      const list = changes.get(system);
      // Stryker disable next-line ConditionalExpression: equivalent because a system with a sighting in the range has a batch point there, and difference(keepFirst: true) keeps its first interval row
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
      return (found ?? 0) > 0 ? found : undefined;
    };
    const seen = new Map<string, { system: string; t: number; pid?: number; started_at?: number }>();
    for (const r of result) {
      // Stryker disable next-line ConditionalExpression: equivalent because an "interval" row has no _field, so it would only set started_at of a key that never gets a pid, and those are dropped below
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
      // Stryker disable next-line ConditionalExpression: equivalent because every sample carries pid, so each "seen" key gets one; only rows the loop above skips could lack it
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

  history(q: SightingsQuery): Promise<StoredHistory> {
    return this.kept.read(q);
  }

  async sampleAt(
    system_name: string,
    at: number,
    pick?: { sort: ProcessOrder; top: number },
  ): Promise<SampleAt | null> {
    const { bucket } = this.opts;
    const last = await this.query(batchAtQuery(bucket, system_name, at));
    const field = (name: string) => last.find((r) => r._field === name);
    const processes = field("processes");
    if (!processes) return null;
    const ts = ms(processes._time);
    // a batch point of a release before interval_ms has none, and the last one may be older
    const interval = field("interval_ms");
    const iv = interval && ms(interval._time) === ts ? num(interval._value) : undefined;
    const n = num(processes._value) ?? 0;
    // the `row` copy holds the whole sample as one series: one read, then ordered and cut here
    let rows = await this.rowsOf([{ system: encodeTag(system_name), t: ts, a: 0, b: n }]);
    if (pick) rows = rows.sort(processOrder(pick.sort)).slice(0, pick.top);
    return {
      timestamp: ts,
      interval_ms: (iv ?? 0) > 0 ? iv : undefined,
      process_count: n,
      processes: rows,
    };
  }

  async latest(range: TimeRange): Promise<LatestFacts> {
    // Stryker disable next-line StringLiteral: equivalent because text put before InfluxDB's CSV joins the first label of its header line, the annotation column's (empty), which readLatest() never reads; before an empty answer it is a header with no rows
    let csv = "";
    for await (const piece of csvText(this.csv(latestQuery(this.opts.bucket, range)))) csv += piece;
    return readLatest(csv);
  }

  /** Rejects, saying exactly why, unless our token can read and write the bucket. */
  async ping(): Promise<void> {
    await checkAccess(this.opts);
  }

  async close(): Promise<void> {
    await this.kept.stop();
  }
}
