/** ProcessStore on InfluxDB 2.x: line protocol in (point builder), Flux out (queries.ts). */
import {
  HttpError,
  InfluxDB,
  type ParameterizedQuery,
  Point,
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
  type SampleBatch,
  StorageRefusedError,
  StorageUnavailableError,
  type StoredSample,
  type SystemSummary,
  type TimeRange,
} from "../types.ts";
import { checkAccess } from "./access.ts";
import {
  durationFacts,
  filterCounts,
  filterPageRows,
  filterPageTimes,
  MEASUREMENT,
  systemsSummary,
} from "./queries.ts";
import { decodeTag, encodeTag } from "./tags.ts";

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
const stripCr = (v: string | undefined): string => (v ? v.replaceAll("\r", "") : "");
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

export class InfluxStore implements ProcessStore {
  readonly kind = "influxdb" as const;
  private readonly db: InfluxDB;

  constructor(private readonly opts: InfluxStoreOptions) {
    this.db = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs });
    // The client logs failed writes itself; route that through our logger (never the token).
    setLogger({
      error: (message, error) => opts.log.debug({ err: String(error) }, `influxdb-client: ${message}`),
      warn: (message, error) => opts.log.debug({ err: String(error) }, `influxdb-client: ${message}`),
    });
  }

  async init(): Promise<void> {
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

  async write(batch: SampleBatch): Promise<number> {
    const writeApi = this.db.getWriteApi(this.opts.org, this.opts.bucket, "ms", {
      batchSize: batch.processes.length + 1,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: batch.processes.length + 1,
      defaultTags: {},
    });
    const time = new Date(batch.timestamp);
    const system = encodeTag(batch.system_name);
    for (const p of batch.processes) {
      const point = new Point(MEASUREMENT)
        .tag("system", system)
        .tag("name", encodeTag(p.name))
        .tag("pid", String(p.pid))
        .floatField("cpu_percent", p.cpu_percent)
        .floatField("memory_percent", p.memory_percent)
        .timestamp(time);
      if (p.memory_rss !== undefined) point.intField("memory_rss", p.memory_rss);
      if (p.started_at !== undefined) point.intField("started_at", p.started_at);
      if (p.parent_pid !== undefined) point.intField("parent_pid", p.parent_pid);
      const user = stripCr(p.user);
      const command = stripCr(p.command);
      const state = stripCr(p.state);
      if (user) point.stringField("user", user);
      if (command) point.stringField("command", command);
      if (state) point.stringField("state", state);
      writeApi.writePoint(point);
    }
    try {
      await writeApi.close();
    } catch (err) {
      // InfluxDB answers 422 "partial write: dropped N points outside retention policy" for points
      // older than the bucket keeps: retrying cannot help (it was a 500, which agents retry).
      if (
        err instanceof HttpError &&
        err.statusCode === 422 &&
        /outside retention/i.test(`${err.body ?? ""} ${err.message}`)
      ) {
        throw new StorageRefusedError("older than the InfluxDB bucket's retention period", "timestamp");
      }
      throw classify(err);
    }
    return batch.processes.length;
  }

  private async rows(query: ParameterizedQuery): Promise<Row[]> {
    try {
      return await this.db.getQueryApi(this.opts.org).collectRows<Row>(query);
    } catch (err) {
      throw classify(err);
    }
  }

  private async counts(q: FilterQuery, ranges: TimeRange[]): Promise<number[]> {
    if (ranges.length === 0) return [];
    const counted = new Map(
      (await this.rows(filterCounts(this.opts.bucket, q, ranges))).map((r) => [
        String(r.result),
        num(r._value) ?? 0,
      ]),
    );
    return ranges.map((_, i) => counted.get(`r${i}`) ?? 0);
  }

  async filter(q: FilterQuery): Promise<FilterResult> {
    if (q.ranges.length === 0) return { count: 0, rows: [] };
    const { bucket } = this.opts;
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

    // The page's first and last instants; then every sample from the first to the last, and how
    // many samples of the touched ranges come before the first.
    const times = await this.rows(filterPageTimes(bucket, q, touched, offset));
    if (times.length === 0) return { count, rows: [] };
    const from = ms(times[0]?._time);
    const to = ms(times[times.length - 1]?._time) + 1;
    const clip = (start: number, stop: number) =>
      touched
        .map((r) => ({ start: Math.max(r.start, start), stop: Math.min(r.stop, stop) }))
        .filter((r) => r.start < r.stop);
    const [before, fields] = await Promise.all([
      this.counts(q, clip(Number.NEGATIVE_INFINITY, from)),
      this.rows(filterPageRows(bucket, q, clip(from, to))),
    ]);

    const samples = new Map<string, Row>();
    for (const f of fields) {
      const id = `${ms(f._time)}\u0000${f.system}\u0000${f.name}\u0000${f.pid}`;
      const sample = samples.get(id) ?? { _time: f._time, system: f.system, name: f.name, pid: f.pid };
      sample[String(f._field)] = f._value;
      samples.set(id, sample);
    }
    const rows: StoredSample[] = [...samples.values()]
      .filter((r) => r.cpu_percent !== undefined)
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
      }))
      .sort(
        (a, b) =>
          a.timestamp - b.timestamp ||
          byCodePoint(a.system_name, b.system_name) ||
          byCodePoint(a.name, b.name) ||
          a.pid - b.pid,
      );
    const start = offset - before.reduce((a, b) => a + b, 0);
    return { count, rows: rows.slice(start, start + q.limit) };
  }

  async duration(q: DurationQuery): Promise<DurationFacts | null> {
    const result = await this.rows(durationFacts(this.opts.bucket, q));
    const by = (name: string) => result.filter((r) => r.result === name);
    const firsts = by("pid_first").map((r) => ({ pid: Number(r.pid), t: ms(r._time) }));
    const lasts = new Map(by("pid_last").map((r) => [Number(r.pid), ms(r._time)]));
    if (firsts.length === 0) return null;
    const pids = firsts.map((f) => ({ pid: f.pid, first: f.t, last: lasts.get(f.pid) ?? f.t }));
    // elapsed is in nanoseconds, through float64: round to the millisecond (see queries.ts).
    const gaps = by("gaps").map((r) => ({ t: ms(r._time), elapsed: Math.round(Number(r.elapsed) / 1e6) }));
    const started = by("started").map((r) => ({ pid: Number(r.pid), t: ms(r._time), v: Number(r._value) }));
    return assembleDuration(pids, gaps, started);
  }

  async systems(range: TimeRange): Promise<SystemSummary[]> {
    const result = await this.rows(systemsSummary(this.opts.bucket, range));
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

  /** Rejects, saying exactly why, unless our token can read and write the bucket. */
  async ping(): Promise<void> {
    await checkAccess(this.opts);
  }

  async close(): Promise<void> {}
}
