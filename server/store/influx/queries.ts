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
 * Query cost is per series × field read: every query below reads as few series and fields as it
 * can — counts and the page's place come from the small `batch` points where the filter does not
 * narrow by name or pid, and the page's rows are read only for the page's systems and instants.
 */
import { flux, fluxExpression, fluxInteger, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { DurationQuery, FilterQuery, TimeRange } from "../types.ts";
import { BATCH, SAMPLE } from "./layout.ts";
import { encodeTag } from "./tags.ts";

type Narrowing = Pick<FilterQuery, "system_name" | "process_name" | "pid">;

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

const read = (bucket: string, r: TimeRange, predicate: ParameterizedQuery) =>
  flux`from(bucket: ${bucket}) |> range(start: ${time(r.start)}, stop: ${time(r.stop)}) |> filter(fn: (r) => ${predicate})`;

const joined = (parts: ParameterizedQuery[], separator: ParameterizedQuery) =>
  parts.reduce((acc, part, i) => (i === 0 ? part : flux`${acc}${separator}${part}`));

const union = (reads: ParameterizedQuery[]) =>
  reads.length === 1 ? (reads[0] as ParameterizedQuery) : flux`union(tables: [${joined(reads, flux`, `)}])`;

/** Tag predicates (system, name) as a Flux boolean expression over `r`. */
function tagNarrowing(q: Narrowing): ParameterizedQuery {
  let expr = flux`true`;
  if (q.system_name !== undefined) expr = flux`${expr} and r.system == ${encodeTag(q.system_name)}`;
  if (q.process_name !== undefined) expr = flux`${expr} and r.name == ${encodeTag(q.process_name)}`;
  return expr;
}

/** The filter narrows by something only `sample` points know (name or pid). */
export const narrowsSamples = (q: Narrowing) => q.process_name !== undefined || q.pid !== undefined;

/** One `pid` point per sample, narrowed by tags and by the pid value (pushed down). */
const samplePids = (q: Narrowing) => {
  const pid = q.pid === undefined ? flux`` : flux` and r._value == ${fluxInteger(q.pid)}`;
  return flux`r._measurement == ${SAMPLE} and r._field == "pid" and ${tagNarrowing(q)}${pid}`;
};

/** One `processes` point per batch, narrowed by system. */
const batches = (q: Narrowing) =>
  flux`r._measurement == ${BATCH} and r._field == "processes" and ${tagNarrowing({ system_name: q.system_name })}`;

/**
 * One yield per range ("r0", "r1", …): how many samples match in it. Without a name or pid
 * narrowing this sums the batch points (a few per system and instant, not one per process).
 */
export function filterCounts(bucket: string, q: Narrowing, ranges: TimeRange[]): ParameterizedQuery {
  const tail = narrowsSamples(q) ? flux`|> group() |> count()` : flux`|> group() |> sum()`;
  const pred = narrowsSamples(q) ? samplePids(q) : batches(q);
  return joined(
    ranges.map((r, i) => flux`${read(bucket, r, pred)} ${tail} |> yield(name: ${`r${i}`})`),
    flux`\n`,
  );
}

/** The batch points (system, instant, number of samples) of `ranges`: where each page lies. */
export function filterBatches(bucket: string, q: Narrowing, ranges: TimeRange[]): ParameterizedQuery {
  return flux`${union(ranges.map((r) => flux`${read(bucket, r, batches(q))} |> group() |> keep(columns: ["_time", "system", "_value"])`))}`;
}

/** The instants of matching samples number offset … offset + limit − 1 of `ranges`, in time order. */
export function filterPageTimes(
  bucket: string,
  q: Narrowing & { limit: number },
  ranges: TimeRange[],
  offset: number,
): ParameterizedQuery {
  const reads = ranges.map(
    (r) => flux`${read(bucket, r, samplePids(q))} |> group() |> keep(columns: ["_time"])`,
  );
  // The identity map keeps the planner from fusing sort and limit into one operator, which is
  // much slower on the many small chunks a pushed-down group() yields.
  return flux`${union(reads)}
  |> group()
  |> sort(columns: ["_time"])
  |> map(fn: (r) => r)
  |> limit(n: ${q.limit}, offset: ${offset})`;
}

/** The series (system, name, slot) and instants of the samples of one pid in `spans`. */
export function filterPidKeys(bucket: string, q: Narrowing, spans: TimeRange[]): ParameterizedQuery {
  return joined(
    spans.map(
      (r, i) =>
        flux`${read(bucket, r, samplePids(q))} |> group() |> keep(columns: ["_time", "system", "name", "slot"]) |> yield(name: ${`k${i}`})`,
    ),
    flux`\n`,
  );
}

export interface SeriesKey {
  system: string;
  name: string;
  slot: string;
}

/**
 * Every field of the samples in `spans` ("s0", "s1", … per span), of the given systems (stored
 * form) or of the given series, or narrowed by tags alone.
 */
export function filterPageRows(
  bucket: string,
  q: Narrowing,
  spans: TimeRange[],
  only: { systems: string[] } | { series: SeriesKey[] } | null,
): ParameterizedQuery {
  let pred = flux`r._measurement == ${SAMPLE} and ${tagNarrowing(q)}`;
  if (only && "systems" in only && only.systems.length > 0) {
    pred = flux`${pred} and (${joined(
      only.systems.map((s) => flux`r.system == ${s}`),
      flux` or `,
    )})`;
  } else if (only && "series" in only && only.series.length > 0) {
    pred = flux`${pred} and (${joined(
      only.series.map((k) => flux`(r.system == ${k.system} and r.name == ${k.name} and r.slot == ${k.slot})`),
      flux` or `,
    )})`;
  }
  return joined(
    spans.map(
      (r, i) =>
        flux`${read(bucket, r, pred)}
  |> group(columns: ["_field"])
  |> keep(columns: ["_time", "system", "name", "slot", "_field", "_value"])
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
 * Small results for one process: the gaps longer than the threshold (each ends one run and starts
 * the next), per pid its first and last sighting (pid is a field: grouped by value), and the
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
pids = samples |> group(columns: ["_value"])
pids |> first() |> keep(columns: ["_time", "_value"]) |> group() |> yield(name: "pid_first")
pids |> last() |> keep(columns: ["_time", "_value"]) |> group() |> yield(name: "pid_last")
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
