/**
 * The one line-protocol encoder: a validated batch straight to the text InfluxDB ingests, without
 * Point objects (the client's point builder costs ~14 µs a row and does not escape a trailing
 * backslash). Layout (docs/data-layout.md):
 *
 *   sample,name=<n>,slot=<k>,system=<s> pid=<i>i,cpu_percent=<f>,memory_percent=<f>[,extras] <t>
 *   row,system=<s> name="<n>",pid=<i>i,cpu_percent=<f>,memory_percent=<f>[,extras] <t + j ns>
 *   batch,system=<s> processes=<i>i <t>
 *
 * `slot` keeps processes sharing a name at one instant apart: the same-named processes of a batch
 * in ascending pid order get slots 0, 1, 2, … — deterministic, so a retried batch rewrites exactly
 * the points it wrote, on any server. Series are bounded by systems × names × concurrent same-named
 * processes, however many pids come and go. `pid` is a field.
 *
 * `row` is the same sample again, one series per system: the batch's processes in the API's row
 * order (name by code point, then pid) at the sampling instant + 0, 1, 2, … ns. A page of the
 * filter is then a few exact time ranges of a few series, pivoted into one row per sample inside
 * InfluxDB (pivoting thousands of per-process series costs seconds; see docs/data-layout.md).
 * Both copies merge field by field on a rewrite, as one point would.
 *
 * Optional numeric and string fields are listed in SAMPLE_FIELDS: adding one is one entry there.
 */
import type { BatchProcess, SampleBatch } from "../types.ts";
import { StorageRefusedError } from "../types.ts";
import { BATCH, ROW, SAMPLE } from "./layout.ts";
import { byCodePoint, encodeTag } from "./tags.ts";

/** Timestamps are written in nanoseconds (the `row` copy uses the sub-millisecond digits). */
// Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8 reads `precision=` (empty) as its default, ns (checked: a point written so reads back to the nanosecond)
export const WRITE_PRECISION = "ns";

/** A tag value or tag key: `\` and `%` percent-encoded (tags.ts), then `,` `=` and space escaped. */
export function tagValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new StorageRefusedError("must not contain a line break", "name");
  return encodeTag(value).replace(/[,= ]/g, (c) => `\\${c}`);
}

/** A string field value, quoted: `\` and `"` escaped (a trailing backslash included). */
export function stringValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function floatValue(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  // Number → shortest round-tripping decimal; "1e+21" is valid line protocol for a float.
  return String(value);
}

export function intValue(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const whole = Math.trunc(value);
  // BigInt prints every integer in full and exactly (String(2 ** 60) is "1152921504606847000",
  // String(1e21) "1e+21"); below 2^53 String() is the same and cheaper.
  return Number.isSafeInteger(whole) ? `${whole}i` : `${BigInt(whole)}i`;
}

/**
 * InfluxDB's annotated CSV turns "\n" inside a string into "\r\n" and drops a lone "\r": carriage
 * returns are not stored, and an empty string is not stored at all (it reads back as absent).
 */
const text = (v: string): string | undefined => {
  const out = v.replaceAll("\r", "");
  return out === "" ? undefined : out;
};

type Kind = "int" | "float" | "string";
// Stryker disable next-line StringLiteral: equivalent because a kind neither "int" nor "string" is written as a float
const FLOAT: Kind = "float";
/** The optional per-sample fields, in the order they are written. Add new ones here. */
const SAMPLE_FIELDS: readonly { key: keyof BatchProcess; kind: Kind }[] = [
  { key: "memory_rss", kind: "int" },
  { key: "started_at", kind: "int" },
  { key: "parent_pid", kind: "int" },
  { key: "user", kind: "string" },
  { key: "command", kind: "string" },
  { key: "state", kind: "string" },
  { key: "num_threads", kind: "int" },
  { key: "cpu_user_seconds", kind: FLOAT },
  { key: "cpu_system_seconds", kind: FLOAT },
  { key: "minor_faults", kind: "int" },
  { key: "major_faults", kind: "int" },
  { key: "memory_vms", kind: "int" },
];

function optionalFields(p: BatchProcess): string {
  let out = "";
  for (const { key, kind } of SAMPLE_FIELDS) {
    const v = p[key];
    if (v === undefined || v === null) continue;
    if (kind === "string") {
      const s = text(String(v));
      if (s !== undefined) out += `,${key}=${stringValue(s)}`;
    } else if (typeof v === "number") {
      out += `,${key}=${kind === "int" ? intValue(v) : floatValue(v)}`;
    }
  }
  return out;
}

/**
 * Slots for the processes of one batch, in input order: per name, ascending pid → 0, 1, 2, …
 * A batch naming the same (name, pid) twice is refused: the two would claim one sample.
 */
export function assignSlots(processes: readonly BatchProcess[]): number[] {
  const byName = new Map<string, number[]>();
  processes.forEach((p, i) => {
    const list = byName.get(p.name);
    if (list) list.push(i);
    else byName.set(p.name, [i]);
  });
  // Stryker disable next-line ArrayDeclaration: equivalent because an array grows as slots are set (the length only sizes it once)
  const slots = new Array<number>(processes.length);
  for (const indexes of byName.values()) {
    // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent in results because the general path below gives a lone name slot 0 too (a fast path)
    if (indexes.length === 1) {
      slots[indexes[0] as number] = 0;
      continue;
    }
    indexes.sort((a, b) => (processes[a] as BatchProcess).pid - (processes[b] as BatchProcess).pid);
    indexes.forEach((index, slot) => {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because at slot 0, indexes[-1] is undefined and so is processes[undefined]
      const prev = slot > 0 ? processes[indexes[slot - 1] as number] : undefined;
      const p = processes[index] as BatchProcess;
      if (prev && prev.pid === p.pid) {
        throw new StorageRefusedError(
          `process (name ${JSON.stringify(p.name)}, pid ${p.pid}) appears twice in one batch`,
          "processes",
        );
      }
      slots[index] = slot;
    });
  }
  return slots;
}

/** Nanoseconds as digits: the epoch-ms instant followed by six digits of `ns` (0 ≤ ns < 10⁶). */
export const instantNs = (ms: number, ns = 0): string => {
  const whole = Math.trunc(ms);
  const digits = `${whole}${String(ns).padStart(6, "0")}`;
  // Stryker disable next-line ConditionalExpression: `false` is equivalent (digits of a positive whole start with no zero); `true` is killed by instantNs(0, 7)
  return whole > 0 ? digits : digits.replace(/^0+(?=\d)/, "");
};

/** The row order within one batch: name by code point, then pid. */
export function rowOrder(processes: readonly BatchProcess[]): number[] {
  return processes
    .map((_, i) => i)
    .sort((a, b) => {
      const x = processes[a] as BatchProcess;
      const y = processes[b] as BatchProcess;
      return x.name === y.name ? x.pid - y.pid : byCodePoint(x.name, y.name);
    });
}

/** The line protocol for one batch (precision: ns): its samples, their row copy, its summary point. */
export function encodeBatch(batch: SampleBatch): string {
  const processes = batch.processes;
  if (processes.length >= 1_000_000) {
    throw new StorageRefusedError("at most 999 999 processes in one batch", "processes");
  }
  const ms = Math.trunc(batch.timestamp);
  const ts = instantNs(ms);
  const system = tagValue(batch.system_name);
  const slots = assignSlots(processes);
  // tag keys in sorted order (name, slot, system): InfluxDB's parser then has nothing to sort
  const suffix = `,system=${system} `;
  // Stryker disable next-line ArrayDeclaration: equivalent because an array grows as fields are set
  const fields = new Array<string>(processes.length);
  let out = "";
  for (let i = 0; i < processes.length; i++) {
    const p = processes[i] as BatchProcess;
    const f = `pid=${intValue(p.pid)},cpu_percent=${floatValue(p.cpu_percent)},memory_percent=${floatValue(p.memory_percent)}${optionalFields(p)}`;
    fields[i] = f;
    out += `${SAMPLE},name=${tagValue(p.name)},slot=${slots[i]}${suffix}${f} ${ts}\n`;
  }
  const row = `${ROW},system=${system} name=`;
  const order = rowOrder(processes);
  for (let j = 0; j < order.length; j++) {
    const i = order[j] as number;
    out += `${row}${stringValue((processes[i] as BatchProcess).name)},${fields[i]} ${instantNs(ms, j)}\n`;
  }
  // interval_ms on every batch point, 0 = not sent: runs read only where it changes (history-queries.ts)
  out += `${BATCH},system=${system} processes=${processes.length}i,interval_ms=${intValue(batch.interval_ms ?? 0)} ${ts}\n`;
  return out;
}
