/**
 * The Flux this product runs, in one place. Every user-supplied value enters through the client
 * library's `flux` tagged template, which escapes it as a Flux literal; nothing is concatenated.
 *
 * Pushdown: each `from |> range |> filter(tag/field equality)` runs inside the storage engine. A
 * time-of-day window over many days is one such pushed-down read per day (ranges computed in
 * server/timewindow.ts), unioned, rather than a per-row `date.hour()` filter in the interpreter.
 */
import { flux, fluxExpression, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { DurationQuery, FilterQuery, TimeRange } from "../types.ts";
import { encodeTag } from "./tags.ts";

export const MEASUREMENT = "process";

/** Extra predicates on the narrowing tags, as a Flux boolean expression over `r`. */
function narrowing(q: Pick<FilterQuery, "system_name" | "process_name" | "pid">): ParameterizedQuery {
  let expr = flux`true`;
  if (q.system_name !== undefined) expr = flux`${expr} and r.system == ${encodeTag(q.system_name)}`;
  if (q.process_name !== undefined) expr = flux`${expr} and r.name == ${encodeTag(q.process_name)}`;
  if (q.pid !== undefined) expr = flux`${expr} and r.pid == ${String(q.pid)}`;
  return expr;
}

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

/** One pushed-down read per range, unioned. `fieldFilter` restricts fields (or is `true`). */
function windows(bucket: string, ranges: TimeRange[], predicate: ParameterizedQuery): ParameterizedQuery {
  const reads = ranges.map(
    (r) =>
      flux`from(bucket: ${bucket}) |> range(start: ${time(r.start)}, stop: ${time(r.stop)}) |> filter(fn: (r) => ${predicate})`,
  );
  if (reads.length === 1) return reads[0] as ParameterizedQuery;
  const list = reads.reduce((acc, read, i) => (i === 0 ? read : flux`${acc}, ${read}`));
  return flux`union(tables: [${list}])`;
}

export function filterCount(bucket: string, q: FilterQuery): ParameterizedQuery {
  const pred = flux`r._measurement == ${MEASUREMENT} and r._field == "cpu_percent" and ${narrowing(q)}`;
  return flux`${windows(bucket, q.ranges, pred)}
  |> group()
  |> count()`;
}

/**
 * Rows sort by the names as given, not as stored: `\` is stored as `%5C`, and `%` sorts before
 * the digits and capitals that `\` sorts after. Putting `\` back (leaving `%25`, which starts
 * with the `%` it stands for) gives a key in the same code-point order as the names themselves.
 */
const BACKSLASH = "\\";
export function filterPage(bucket: string, q: FilterQuery): ParameterizedQuery {
  const pred = flux`r._measurement == ${MEASUREMENT} and ${narrowing(q)}`;
  return flux`import "strings"
${windows(bucket, q.ranges, pred)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> map(fn: (r) => ({r with
      pid_n: int(v: r.pid),
      system_k: strings.replaceAll(v: r.system, t: "%5C", u: ${BACKSLASH}),
      name_k: strings.replaceAll(v: r.name, t: "%5C", u: ${BACKSLASH})}))
  |> sort(columns: ["_time", "system_k", "name_k", "pid_n"])
  |> limit(n: ${q.limit}, offset: ${q.offset})`;
}

/**
 * `elapsed()` goes through float64 (InfluxDB v2.8: 15.001 s comes out as 15000999936 ns, so with
 * `unit: 1ms` it reads 15000 and a gap of 15.001 s is missed). Samples are written with
 * millisecond precision, so a true elapsed time is a whole number of milliseconds: compare in
 * nanoseconds against the threshold plus half a millisecond, and round to ms when reading.
 */
const gapNs = (gapMs: number) => Math.trunc(gapMs) * 1_000_000 + 500_000;

/**
 * Three small results for one process: the gaps longer than the threshold (each ends one run and
 * starts the next), and per pid its first and last sighting and its last started_at. Runs are
 * assembled from these in TypeScript; raw samples never leave InfluxDB.
 */
export function durationFacts(bucket: string, q: DurationQuery): ParameterizedQuery {
  const series = flux`from(bucket: ${bucket})
  |> range(start: ${time(q.range.start)}, stop: ${time(q.range.stop)})
  |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r.system == ${encodeTag(q.system_name)} and r.name == ${encodeTag(q.process_name)}`;
  return flux`samples = ${series} and r._field == "cpu_percent")
samples
  |> group()
  |> keep(columns: ["_time"])
  |> sort(columns: ["_time"])
  |> elapsed(unit: 1ns)
  |> filter(fn: (r) => r.elapsed > ${gapNs(q.gap_ms)})
  |> yield(name: "gaps")
samples |> first() |> keep(columns: ["_time", "pid"]) |> group() |> yield(name: "pid_first")
samples |> last() |> keep(columns: ["_time", "pid"]) |> group() |> yield(name: "pid_last")
${series} and r._field == "started_at")
  |> last()
  |> keep(columns: ["_time", "_value", "pid"])
  |> group()
  |> yield(name: "started")`;
}

export function systemsSummary(bucket: string, range: TimeRange): ParameterizedQuery {
  return flux`base = from(bucket: ${bucket})
  |> range(start: ${time(range.start)}, stop: ${time(range.stop)})
  |> filter(fn: (r) => r._measurement == ${MEASUREMENT} and r._field == "cpu_percent")
base
  |> first()
  |> group(columns: ["system"])
  |> min(column: "_time")
  |> keep(columns: ["system", "_time"])
  |> group()
  |> yield(name: "first")
base
  |> last()
  |> keep(columns: ["system", "_time", "_value"])
  |> group(columns: ["system", "_time"])
  |> count()
  |> group(columns: ["system"])
  |> sort(columns: ["_time"], desc: true)
  |> limit(n: 1)
  |> group()
  |> yield(name: "latest")`;
}
