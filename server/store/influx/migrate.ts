/**
 * Converting a bucket written in the old layout (measurement "process", pid as a tag) to this one
 * (layout.ts), in place: the old points are read a window at a time, put back together into the
 * batches they came from, written through the same encoder the server uses, and deleted only once
 * every window is written. Re-running is safe: slots are deterministic, so a second pass rewrites
 * the same points; after the delete there is nothing left to convert.
 */
import { flux, fluxExpression, InfluxDB, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { Logger } from "../../log.ts";
import type { BatchProcess, SampleBatch } from "../types.ts";
import { measurements, OLD_MEASUREMENT } from "./layout.ts";
import { encodeBatch, WRITE_PRECISION } from "./line-protocol.ts";
import { decodeTag } from "./tags.ts";

export interface MigrateOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
  log: Logger;
  /** Old points read per query (default 6 hours of them). */
  windowMs?: number;
  timeoutMs?: number;
}

export interface MigrateResult {
  /** Samples (old points per process and instant) written in the new layout. */
  samples: number;
  batches: number;
  /** Whether old points were found (and deleted). */
  converted: boolean;
}

type Row = Record<string, unknown>;
const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);
/** A numeric field, or undefined where the point has none (the pivot's null). */
const num = (v: unknown): number | undefined => (Number.isFinite(v) ? (v as number) : undefined);
/**
 * A string field, or undefined. CSV's "\r\n" (the "\n" that was written) and "" need nothing here:
 * encodeBatch() drops every "\r" and leaves an empty string out.
 */
// Stryker disable next-line ConditionalExpression: `true` is equivalent because a field the point lacks is null, which encodeBatch() leaves out as it does undefined; `false` is killed by every string field of influx-migrate-convert
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * The first and last old point: per series (pushed down), then the earliest and latest of those.
 * (`first()`/`last()` after `group()` take the first and last row of the merged table, which is in
 * series order, not time order: the last window was missed, and then deleted.)
 */
function bounds(bucket: string): ParameterizedQuery {
  return flux`old = from(bucket: ${bucket})
  |> range(start: time(v: 0))
  |> filter(fn: (r) => r._measurement == ${OLD_MEASUREMENT} and r._field == "cpu_percent")
old |> first() |> group() |> min(column: "_time") |> keep(columns: ["_time"]) |> yield(name: "first")
old |> last() |> group() |> max(column: "_time") |> keep(columns: ["_time"]) |> yield(name: "last")`;
}

function oldWindow(bucket: string, start: number, stop: number): ParameterizedQuery {
  return flux`from(bucket: ${bucket})
  |> range(start: ${time(start)}, stop: ${time(stop)})
  |> filter(fn: (r) => r._measurement == ${OLD_MEASUREMENT})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()`;
}

/** The old points of one window as the batches that were submitted. */
function toBatches(rows: Row[]): SampleBatch[] {
  const batches = new Map<string, SampleBatch>();
  for (const r of rows) {
    // a point without cpu_percent was not a sample (the old release always wrote it): not converted
    if (num(r.cpu_percent) === undefined) continue;
    const system_name = decodeTag(String(r.system));
    const timestamp = Date.parse(String(r._time));
    const key = `${timestamp}\u0000${system_name}`;
    let b = batches.get(key);
    if (!b) {
      b = { system_name, timestamp, processes: [] };
      batches.set(key, b);
    }
    const p: BatchProcess = {
      pid: Number(r.pid),
      name: decodeTag(String(r.name)),
      cpu_percent: num(r.cpu_percent) ?? 0,
      memory_percent: num(r.memory_percent) ?? 0,
      memory_rss: num(r.memory_rss),
      started_at: num(r.started_at),
      parent_pid: num(r.parent_pid),
      user: str(r.user),
      command: str(r.command),
      state: str(r.state),
    };
    b.processes.push(p);
  }
  return [...batches.values()];
}

export async function migrateBucket(opts: MigrateOptions): Promise<MigrateResult> {
  const { url, token, org, bucket, log } = opts;
  const windowMs = opts.windowMs ?? 6 * 3_600_000;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const db = new InfluxDB({ url, token, timeout: timeoutMs });
  const query = db.getQueryApi(org);
  const base = url.replace(/\/$/, "");
  const headers = { authorization: `Token ${token}` };
  const qs = new URLSearchParams({ org, bucket });

  const found = await query.collectRows<Row>(measurements(bucket));
  if (!found.some((r) => r._value === OLD_MEASUREMENT)) {
    log.info({ bucket }, "no samples in the old layout: nothing to migrate");
    return { samples: 0, batches: 0, converted: false };
  }
  // the earliest and the latest of the two rows (in whichever order the yields come); with no
  // cpu_percent point at all, Infinity and -Infinity: no window
  const edges = (await query.collectRows<Row>(bounds(bucket))).map((r) => Date.parse(String(r._time)));
  const first = Math.min(...edges);
  const last = Math.max(...edges);

  let samples = 0;
  let batches = 0;
  const start = Math.floor(first / windowMs) * windowMs;
  for (let from = start; from <= last; from += windowMs) {
    const converted = toBatches(await query.collectRows<Row>(oldWindow(bucket, from, from + windowMs)));
    if (converted.length === 0) continue;
    // a few thousand lines per request, as the server writes them
    for (let i = 0; i < converted.length; ) {
      let body = "";
      let lines = 0;
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent in results because the bound only decides how many requests carry the lines (`false` never advances: a timeout)
      for (; i < converted.length && lines < 5000; i++) {
        const b = converted[i] as SampleBatch;
        body += encodeBatch(b);
        // Stryker disable next-line AssignmentOperator,ArithmeticOperator: equivalent in results, as the bound above
        lines += b.processes.length + 1;
        samples += b.processes.length;
        batches++;
      }
      const res = await fetch(`${base}/api/v2/write?${qs}&precision=${WRITE_PRECISION}`, {
        method: "POST",
        // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8's write handler reads the body as line protocol whatever its content type (as InfluxStore's write, store.ts)
        headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status !== 204) throw new Error(`writing converted samples: ${res.status} ${await res.text()}`);
    }
    log.info(
      { bucket, upTo: new Date(Math.min(from + windowMs, last + 1)).toISOString(), samples },
      "converted",
    );
  }

  // Every old point is now also in the new layout: delete the old measurement (all of it).
  const res = await fetch(`${base}/api/v2/delete?${qs}`, {
    method: "POST",
    // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8's delete handler decodes the body as JSON whatever its content type (as history's delete, store.ts)
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({
      start: "1970-01-01T00:00:00Z",
      stop: "2262-04-11T00:00:00Z",
      predicate: `_measurement="${OLD_MEASUREMENT}"`,
    }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 204) throw new Error(`deleting the old measurement: ${res.status} ${await res.text()}`);
  log.info({ bucket, samples, batches }, "migrated: old-layout samples converted and removed");
  return { samples, batches, converted: true };
}
