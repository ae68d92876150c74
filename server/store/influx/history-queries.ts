/**
 * The Flux behind process history on the raw bucket (docs/history.md): sightings of a name for
 * runs and instances, and a system's sample in force at an instant. Every user-supplied value
 * enters through the client library's `flux` tagged template (escaped as a Flux literal).
 */
import { flux, fluxExpression, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { SightingsQuery } from "../types.ts";
import { BATCH, SAMPLE } from "./layout.ts";
import { encodeTag } from "./tags.ts";

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

/**
 * Two yields for one name in a range:
 * - "seen": the `pid` and `started_at` fields of its samples (tags narrowed, pushed down), one row
 *   per field, paired by (time, system, slot) in TypeScript;
 * - "interval": each system's batch interval only where it changes (every batch point carries
 *   interval_ms, 0 = not sent), so a steady agent costs one row per system, not one per batch.
 */
export function sightingsQuery(bucket: string, q: SightingsQuery): ParameterizedQuery {
  const system = q.system_name === undefined ? flux`` : flux` and r.system == ${encodeTag(q.system_name)}`;
  const range = flux`range(start: ${time(q.range.start)}, stop: ${time(q.range.stop)})`;
  return flux`from(bucket: ${bucket})
  |> ${range}
  |> filter(fn: (r) => r._measurement == ${SAMPLE} and r.name == ${encodeTag(q.process_name)}${system} and (r._field == "pid" or r._field == "started_at"))
  |> group(columns: ["_field"])
  |> keep(columns: ["_time", "system", "slot", "_field", "_value"])
  |> yield(name: "seen")
from(bucket: ${bucket})
  |> ${range}
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "interval_ms"${system})
  |> duplicate(column: "_value", as: "interval")
  |> difference(keepFirst: true)
  |> filter(fn: (r) => not exists r._value or r._value != 0)
  |> keep(columns: ["_time", "system", "interval"])
  |> group()
  |> yield(name: "interval")`;
}

/** The system's last batch point at or before `at` (both fields: processes, interval_ms). */
export function batchAtQuery(bucket: string, system: string, at: number): ParameterizedQuery {
  return flux`from(bucket: ${bucket})
  |> range(start: 0, stop: ${time(at + 1)})
  |> filter(fn: (r) => r._measurement == ${BATCH} and r.system == ${encodeTag(system)})
  |> last()
  |> keep(columns: ["_time", "_field", "_value"])
  |> group()`;
}
