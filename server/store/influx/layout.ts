/**
 * The bucket's layout (docs/data-layout.md): which measurements hold what, and the check that a
 * bucket written by an older release is not silently mixed with this one.
 */
import { flux, type ParameterizedQuery } from "@influxdata/influxdb-client";

/** One point per process per sample: tags system, name, slot; fields pid, cpu_percent, … */
export const SAMPLE = "sample";
/**
 * The samples again, one series per system: the batch's processes in row order at the sampling
 * instant + 0, 1, 2, … ns; fields name, pid, cpu_percent, … (what the filter's pages read).
 */
export const ROW = "row";
/** One point per batch: tag system; field processes (how many samples the batch holds). */
export const BATCH = "batch";
/** The layout of releases up to 0.1: measurement "process", tags system, name and pid. */
export const OLD_MEASUREMENT = "process";

/** The bucket holds samples in the pid-as-a-tag layout: run `npm run migrate` first. */
export class OldLayoutError extends Error {
  // Stryker disable next-line StringLiteral: equivalent because the store turns an OldLayoutError into a StorageUnavailableError by instanceof, so its name is never seen
  override readonly name = "OldLayoutError";
  constructor(readonly bucket: string) {
    super(
      `InfluxDB bucket "${bucket}" holds samples in the old layout (measurement "${OLD_MEASUREMENT}", pid as a tag). ` +
        `This release writes measurement "${SAMPLE}" with pid as a field and will not mix the two: stop the old ` +
        "servers, then run `npm run migrate` with the same INFLUX_* settings (it converts the samples in place and " +
        "can be re-run), or point INFLUX_BUCKET at a new bucket. See docs/data-layout.md.",
    );
  }
}

/** The measurements in the bucket over all time (read from the index, not from the data). */
export function measurements(bucket: string): ParameterizedQuery {
  return flux`import "influxdata/influxdb/schema"
schema.measurements(bucket: ${bucket}, start: time(v: 0))`;
}
