/**
 * The Flux this product runs, in one place. Every user-supplied value enters through the client
 * library's `flux` tagged template, which escapes it as a Flux literal; nothing is concatenated.
 *
 * Layout (layout.ts, docs/data-layout.md): `sample` points (tags system, name, slot; pid is a
 * field) and one `batch` point per submitted batch (tag system; field processes).
 *
 * Pushdown: each `from |> range |> filter(tag/field/value predicates)` runs inside the storage
 * engine, and so do `group()` and `group() |> count()/sum()/first()/last()` straight after it. A
 * time-of-day window over many days is one such read per day (server/timewindow.ts), unioned.
 * Query cost is per series × field read, and per row sent back: the filter reads the `batch`
 * points (counts, where a page lies) and the `row` copy (one series per system; a page is a few
 * exact time ranges, pivoted into one row per sample inside InfluxDB); never thousands of
 * per-process series. Duration and Grafana read the per-process `sample` series.
 */
import { flux, fluxExpression, fluxInteger, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { DurationQuery, FilterQuery, TimeRange } from "../types.ts";
import { BATCH, ROW, SAMPLE } from "./layout.ts";
import { instantNs } from "./line-protocol.ts";
import { encodeTag } from "./tags.ts";

type Narrowing = Pick<FilterQuery, "system_name" | "process_name" | "pid">;

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

const read = (bucket: string, r: TimeRange, predicate: ParameterizedQuery) =>
  flux`from(bucket: ${bucket}) |> range(start: ${time(r.start)}, stop: ${time(r.stop)}) |> filter(fn: (r) => ${predicate})`;

/** The parts with `separator` between them (at least one part). */
const joined = (parts: ParameterizedQuery[], separator: ParameterizedQuery) =>
  parts.reduce((acc, part) => flux`${acc}${separator}${part}`);

/** Flux statements, one a line. */
const statements = (parts: ParameterizedQuery[]) =>
  // Stryker disable next-line StringLiteral: equivalent because Flux needs no line break between statements (InfluxDB 2.8 answers `… |> yield(name: "a")from(bucket: …) …` with both results, checked)
  joined(parts, flux`\n`);

const union = (reads: ParameterizedQuery[]) =>
  reads.length === 1 ? (reads[0] as ParameterizedQuery) : flux`union(tables: [${joined(reads, flux`, `)}])`;

/** Tag predicates (system, and on `sample` points name) as a Flux boolean expression over `r`. */
function tagNarrowing(q: Narrowing): ParameterizedQuery {
  let expr = flux`true`;
  if (q.system_name !== undefined) expr = flux`${expr} and r.system == ${encodeTag(q.system_name)}`;
  if (q.process_name !== undefined) expr = flux`${expr} and r.name == ${encodeTag(q.process_name)}`;
  return expr;
}

/** One `processes` point per batch, narrowed by system. */
const batches = (q: Narrowing) =>
  flux`r._measurement == ${BATCH} and r._field == "processes" and ${tagNarrowing({ system_name: q.system_name })}`;

/** One yield per range ("r0", "r1", …): how many samples it holds (the batch points' sum). */
export function filterCounts(bucket: string, q: Narrowing, ranges: TimeRange[]): ParameterizedQuery {
  return statements(
    ranges.map((r, i) => flux`${read(bucket, r, batches(q))} |> group() |> sum() |> yield(name: ${`r${i}`})`),
  );
}

/** The batch points (system, instant, number of samples) of `ranges`: where each page lies. */
export function filterBatches(bucket: string, q: Narrowing, ranges: TimeRange[]): ParameterizedQuery {
  return union(
    ranges.map(
      (r) => flux`${read(bucket, r, batches(q))} |> group() |> keep(columns: ["_time", "system", "_value"])`,
    ),
  );
}

/**
 * Narrowed by pid (which must be set; a name goes to filterByName, so `q.process_name` is not read): the
 * `row` points whose `pid` field is the pid asked for, one yield per range ("m0", "m1", …). One
 * series per system is read, so this scans a few long series instead of thousands of short ones.
 */
export function filterMatches(bucket: string, q: Narrowing, ranges: TimeRange[]): ParameterizedQuery {
  const pred = flux`r._measurement == ${ROW} and ${tagNarrowing({ system_name: q.system_name })} and r._field == "pid" and r._value == ${fluxInteger(q.pid as number)}`;
  return statements(
    ranges.map(
      (r, i) =>
        flux`${read(bucket, r, pred)} |> keep(columns: ["_time", "system", "_field"]) |> group() |> yield(name: ${`m${i}`})`,
    ),
  );
}

/**
 * Narrowed by name: every sample of that name (and system, and pid) in `ranges`, pivoted into one
 * row per sample ("n0", "n1", … per range). A name is a tag of `sample`, so this reads only that
 * name's few series (one per system and slot), and pivots only those.
 */
export function filterByName(bucket: string, q: Narrowing, ranges: TimeRange[]): ParameterizedQuery {
  const pred = flux`r._measurement == ${SAMPLE} and ${tagNarrowing(q)}`;
  const pid =
    q.pid === undefined
      ? flux``
      : flux`
  |> filter(fn: (r) => r.pid == ${fluxInteger(q.pid)})`;
  return statements(
    ranges.map(
      (r, i) => flux`${read(bucket, r, pred)}
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")${pid}
  |> drop(columns: ["_start", "_stop", "_measurement", "slot"])
  |> yield(name: ${`n${i}`})`,
    ),
  );
}

/**
 * Samples number a … b − 1 (in row order) of one system's batch at instant `t` (ms); with `t2`,
 * from number a at `t` to number b − 1 at `t2`.
 */
export interface RowSegment {
  /** Stored (encoded) system tag. */
  system: string;
  t: number;
  a: number;
  t2?: number;
  b: number;
}

/**
 * The page's samples from the `row` copy: per segment one exact time range of one series, pivoted
 * into one row per sample inside InfluxDB ("g0", "g1", … in page order).
 */
export function filterRowSegments(bucket: string, segments: RowSegment[]): ParameterizedQuery {
  return statements(
    segments.map(
      (g, i) =>
        flux`from(bucket: ${bucket})
  |> range(start: time(v: ${fluxExpression(instantNs(g.t, g.a))}), stop: time(v: ${fluxExpression(instantNs(g.t2 ?? g.t, g.b))}))
  |> filter(fn: (r) => r._measurement == ${ROW} and r.system == ${g.system})
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> drop(columns: ["_start", "_stop", "_measurement"])
  |> yield(name: ${`g${i}`})`,
    ),
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
 * Small results for one process: the gaps longer than the threshold (each ends one run and starts
 * the next), per pid its first and last sighting (pid is a field: `unique()` keeps the first row of
 * each value per slot series, and on the series reversed the last — 10–40 ms on 60 000 samples where
 * `group(columns: ["_value"])` took 85–490 ms), and the
 * started_at values of each slot's last sample that carried one. Runs are assembled from these in
 * TypeScript; raw samples never leave InfluxDB.
 */
export function durationFacts(bucket: string, q: DurationQuery): ParameterizedQuery {
  const series = flux`from(bucket: ${bucket})
  |> range(start: ${time(q.range.start)}, stop: ${time(q.range.stop)})
  |> filter(fn: (r) => r._measurement == ${SAMPLE} and r.system == ${encodeTag(q.system_name)} and r.name == ${encodeTag(q.process_name)}`;
  return flux`samples = ${series} and r._field == "pid")
samples
  |> group()
  |> keep(columns: ["_time"])
  |> sort(columns: ["_time"])
  |> elapsed(unit: 1ns)
  |> filter(fn: (r) => r.elapsed > ${gapNs(q.gap_ms)})
  |> yield(name: "gaps")
samples |> unique() |> keep(columns: ["_time", "_value"]) |> group() |> yield(name: "pid_first")
samples
  |> sort(columns: ["_time"], desc: true)
  |> unique()
  |> keep(columns: ["_time", "_value"])
  |> group()
  |> yield(name: "pid_last")
${series} and r._field == "started_at")
  |> last()
  |> keep(columns: ["_time", "_value"])
  |> group()
  |> yield(name: "started")`;
}

/** Per system (one batch series each): its first batch, and its last with the number of samples. */
export function systemsSummary(bucket: string, range: TimeRange): ParameterizedQuery {
  return flux`base = from(bucket: ${bucket})
  |> range(start: ${time(range.start)}, stop: ${time(range.stop)})
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "processes")
base |> first() |> keep(columns: ["system", "_time"]) |> group() |> yield(name: "first")
base |> last() |> keep(columns: ["system", "_time", "_value"]) |> group() |> yield(name: "latest")`;
}
