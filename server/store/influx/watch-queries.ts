/**
 * The Flux behind expected-process watches (server/watch/, docs/watches.md): the newest facts of a
 * range. Values enter through the client library's `flux` tagged template only.
 */
import { flux, fluxExpression, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { TimeRange } from "../types.ts";
import { BATCH, SAMPLE } from "./layout.ts";

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

/**
 * Three yields: "names", each (system, name, slot) series' last point (pushed down to storage; the
 * slots at a name's newest instant are its instance count there); "first" and "last", each
 * system's first and last batch point with the interval it carried (0 = none sent).
 */
export function latestQuery(bucket: string, range: TimeRange): ParameterizedQuery {
  const r = flux`range(start: ${time(range.start)}, stop: ${time(range.stop)})`;
  return flux`from(bucket: ${bucket})
  |> ${r}
  |> filter(fn: (r) => r._measurement == ${SAMPLE} and r._field == "pid")
  |> last()
  |> keep(columns: ["_time", "system", "name"])
  |> group()
  |> yield(name: "names")
batches = from(bucket: ${bucket})
  |> ${r}
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "interval_ms")
batches |> first() |> keep(columns: ["_time", "system"]) |> group() |> yield(name: "first")
batches |> last() |> keep(columns: ["_time", "system", "_value"]) |> group() |> yield(name: "last")`;
}
