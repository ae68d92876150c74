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

const read = (bucket: string, r: TimeRange, predicate: ParameterizedQuery) =>
  flux`from(bucket: ${bucket}) |> range(start: ${time(r.start)}, stop: ${time(r.stop)}) |> filter(fn: (r) => ${predicate})`;

const joined = (parts: ParameterizedQuery[], separator: ParameterizedQuery) =>
  parts.reduce((acc, part, i) => (i === 0 ? part : flux`${acc}${separator}${part}`));

/*
 * The filter, in steps that keep the work inside the storage engine. With pid as a tag a fleet has
 * thousands of series, and every series × range × field is a table in Flux: pivoting, regrouping,
 * mapping or sort-limiting those in the interpreter took from seconds to minutes on a week of a
 * 20 × 300 fleet (bench/stores.ts). `group()`, and `group() |> count()`, straight after a read are
 * pushed down instead and merge the series inside the engine; a plain `sort()` of one column is
 * cheap; the exact order (names by code point, pids as numbers) is applied in TypeScript to the
 * page's instants only.
 *
 * 1. filterCounts: per range, how many samples match (one cpu_percent point per sample).
 * 2. filterPageTimes: in the ranges the page falls in, the instants of its samples (sorted _time,
 *    cut by offset and limit): its first and last instant.
 * 3. filterCounts again, up to the first instant: how many samples come before it.
 *    filterPageRows: every field of every sample from the first instant to the last, one table per
 *    field. InfluxStore puts samples together, sorts them exactly and cuts the page.
 */

const CPU = "cpu_percent";
const samplesOnly = (q: FilterQuery) =>
  flux`r._measurement == ${MEASUREMENT} and r._field == ${CPU} and ${narrowing(q)}`;

/** One yield per range ("r0", "r1", …): the number of matching samples in it. */
export function filterCounts(bucket: string, q: FilterQuery, ranges: TimeRange[]): ParameterizedQuery {
  return joined(
    ranges.map(
      (r, i) => flux`${read(bucket, r, samplesOnly(q))} |> group() |> count() |> yield(name: ${`r${i}`})`,
    ),
    flux`\n`,
  );
}

/** The instants of samples number offset … offset + limit − 1 of `ranges`, in time order. */
export function filterPageTimes(
  bucket: string,
  q: FilterQuery,
  ranges: TimeRange[],
  offset: number,
): ParameterizedQuery {
  const reads = ranges.map(
    (r) => flux`${read(bucket, r, samplesOnly(q))} |> group() |> keep(columns: ["_time"])`,
  );
  const all = reads.length === 1 ? reads[0] : flux`union(tables: [${joined(reads, flux`, `)}]) |> group()`;
  // The identity map keeps the planner from fusing sort and limit into one operator, which is
  // much slower on the many small chunks a pushed-down group() yields.
  return flux`${all}
  |> sort(columns: ["_time"])
  |> map(fn: (r) => r)
  |> limit(n: ${q.limit}, offset: ${offset})`;
}

/** Every field of every sample in `spans`, one table per field ("s0", "s1", … per span). */
export function filterPageRows(bucket: string, q: FilterQuery, spans: TimeRange[]): ParameterizedQuery {
  const pred = flux`r._measurement == ${MEASUREMENT} and ${narrowing(q)}`;
  return joined(
    spans.map(
      (r, i) =>
        flux`${read(bucket, r, pred)}
  |> group(columns: ["_field"])
  |> keep(columns: ["_time", "system", "name", "pid", "_field", "_value"])
  |> yield(name: ${`s${i}`})`,
    ),
    flux`\n`,
  );
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
