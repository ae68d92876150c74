/**
 * The Flux behind expected-process watches (server/watch/, docs/watches.md): the newest facts of a
 * range, and their reading. Values enter through the client library's `flux` tagged template only.
 */
import { flux, fluxExpression, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { LatestFacts, TimeRange } from "../types.ts";
import { eachLine, splitCsv } from "./csv.ts";
import { BATCH, SAMPLE } from "./layout.ts";
import { decodeTag } from "./tags.ts";

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

/**
 * Three yields: "names", per (system, name, instant) the number of its (system, name, slot) series
 * whose last point (pushed down to storage) is at that instant — at a name's newest instant, that
 * is its instance count there (counted in influxd: one row per name and instant reaches the
 * server, not one per process); "first" and "last", each system's first and last batch point
 * with the interval it carried (0 = none sent).
 */
export function latestQuery(bucket: string, range: TimeRange): ParameterizedQuery {
  const r = flux`range(start: ${time(range.start)}, stop: ${time(range.stop)})`;
  return flux`from(bucket: ${bucket})
  |> ${r}
  |> filter(fn: (r) => r._measurement == ${SAMPLE} and r._field == "pid")
  |> last()
  |> group(columns: ["system", "name", "_time"])
  |> count()
  |> group()
  |> yield(name: "names")
batches = from(bucket: ${bucket})
  |> ${r}
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "interval_ms")
batches |> first() |> keep(columns: ["_time", "system"]) |> group() |> yield(name: "first")
batches |> last() |> keep(columns: ["_time", "system", "_value"]) |> group() |> yield(name: "last")`;
}

/**
 * Calls `onRow` with each data row of a CSV response (plain, as the store's csv() asks, or annotated), its table's column indices and its
 * result (yield) name; lines and cells are cut by csv.ts (the one CSV reader of the InfluxDB store;
 * no value read here holds a line break: names and system names refuse control characters). Read
 * by hand rather than through the client library's row iterator: at one row per (system, name) a
 * period that iterator, with an awaited step per row, was most of the server's evaluation cost. An
 * error table (Flux failed mid-stream) throws its message.
 */
function forEachCsvRow(
  text: string,
  onRow: (values: string[], columns: ReadonlyMap<string, number>, result: string) => void,
): void {
  let columns: Map<string, number> | undefined;
  // Stryker disable next-line ArrayDeclaration: equivalent because InfluxDB's annotated CSV sends #default before every table's header, and plain CSV fills the result cell of each row
  let defaults: string[] = [];
  // Stryker disable next-line UnaryOperator: equivalent because every header sets it before a row is read
  let resultAt = -1;
  eachLine(text, (t, start, end) => {
    if (start === end) {
      columns = undefined; // a blank line ends a table
      // Stryker disable next-line ArrayDeclaration: equivalent, as its initial value (the next table brings its own #default)
      defaults = [];
      return;
    }
    const row = splitCsv(t.slice(start, end));
    if (!columns) {
      if ((row[0] as string).startsWith("#")) {
        // Stryker disable next-line ConditionalExpression: `true` is equivalent because InfluxDB sends #default last of the annotations (#datatype, #group, #default), so it is what stays; `false` is killed by watch-queries' annotated answer
        if (row[0] === "#default") defaults = row;
        return;
      }
      columns = new Map(row.map((label, i) => [label, i]));
      // Stryker disable next-line UnaryOperator: equivalent because InfluxDB's CSV always has a result column
      resultAt = columns.get("result") ?? -1;
      return;
    }
    const error = columns.get("error");
    if (error !== undefined) throw new Error(`InfluxDB query failed: ${row[error]}`);
    // Stryker disable next-line StringLiteral: equivalent because an empty result cell comes only with #default, which has the column (InfluxDB's answers)
    onRow(row, columns, row[resultAt] || (defaults[resultAt] ?? ""));
  });
}

/**
 * LatestFacts from latestQuery's annotated CSV; each distinct timestamp text and system tag is
 * parsed once. A (system, name) may come at several instants (a slot whose process ended
 * earlier): the newest counts.
 */
export function readLatest(csv: string): LatestFacts {
  const parsed = new Map<string, number>();
  const at = (text: string): number => {
    let t = parsed.get(text);
    // Stryker disable next-line ConditionalExpression: equivalent in results because a cache miss parses the same text again
    if (t === undefined) {
      t = Date.parse(text);
      parsed.set(text, t);
    }
    return t;
  };
  const systemNames = new Map<string, string>();
  const systemName = (tag: string): string => {
    let s = systemNames.get(tag);
    // Stryker disable next-line ConditionalExpression: equivalent in results because a cache miss decodes the same tag again
    if (s === undefined) {
      s = decodeTag(tag);
      systemNames.set(tag, s);
    }
    return s;
  };
  const firsts = new Map<string, number>();
  const lasts: { tag: string; last: number; interval: number }[] = [];
  const names = new Map<string, LatestFacts["names"][number]>();
  let meta: ReadonlyMap<string, number> | undefined;
  // Stryker disable next-line ObjectLiteral: equivalent because the first row sets it (meta starts undefined)
  let col = { time: 0, value: 0, system: 0, name: 0 };
  forEachCsvRow(csv, (values, columns, result) => {
    // Stryker disable next-line ConditionalExpression: equivalent in results because reading the same table's columns again gives the same indices
    if (columns !== meta) {
      meta = columns;
      // Stryker disable next-line UnaryOperator: equivalent because the columns a result lacks (name in "first" and "last", _value in "first") are not read for it
      const index = (label: string) => columns.get(label) ?? -1;
      col = { time: index("_time"), value: index("_value"), system: index("system"), name: index("name") };
    }
    const tag = values[col.system] as string;
    const t = at(values[col.time] as string);
    if (result === "names") {
      const name = values[col.name] as string;
      const n = Number(values[col.value]);
      const key = `${tag}\u0000${name}`;
      const seen = names.get(key);
      if (!seen) {
        names.set(key, {
          system_name: systemName(tag),
          // Stryker disable next-line StringLiteral,ConditionalExpression: `true` (and includes("")) are equivalent because decodeTag() leaves a name without "%" as it is (the check saves the call); `false` is killed by watch-queries' `a\b 50%`
          name: name.includes("%") ? decodeTag(name) : name,
          last_seen: t,
          instances: n,
        });
      } else if (
        // Stryker disable next-line EqualityOperator: equivalent because a (system, name) comes once per instant (the query counts per system, name and instant)
        t > seen.last_seen
      ) {
        seen.last_seen = t;
        seen.instances = n;
      }
    } else if (result === "first") firsts.set(tag, t);
    else if (result === "last") lasts.push({ tag, last: t, interval: Number(values[col.value]) });
  });
  const systems = lasts.map(({ tag, last, interval }) => ({
    system_name: systemName(tag),
    first: firsts.get(tag) ?? last,
    last,
    interval_ms: Number.isFinite(interval) && interval > 0 ? interval : undefined,
  }));
  return { systems, names: [...names.values()] };
}
