/**
 * InfluxDB's history (docs/history.md): a second bucket (INFLUX_HISTORY_BUCKET, default
 * "<bucket>-history") with its own retention (HISTORY_RETENTION_DAYS), holding each finished UTC
 * day's samples compacted into stretches (server/store/stretches.ts):
 *
 *   stretch,name=<n>,system=<s> v="<encoded stretch>" <its first instant, ms>
 *   day done=1i|0i <the day's first instant>
 *
 * The server compacts every finished day of the raw bucket that holds samples and is not marked
 * done (at start and every HISTORY_COMPACT_MINUTES): it deletes the day's stretch points, writes
 * the new ones, then marks the day done. The same day gives the same points on any server, so
 * several servers may do it. A batch written into a day this server knows as done first marks the
 * day not done (queries then read that day from raw samples until it is compacted again).
 */
import {
  type Row as FluxRow,
  flux,
  fluxExpression,
  type ParameterizedQuery,
} from "@influxdata/influxdb-client";
import type { Logger } from "../../log.ts";
import { compactSorted, dayOf, decodeStretches, encodeStretches, type Stretch } from "../stretches.ts";
import type { SightingsQuery, StoredHistory, TimeRange } from "../types.ts";
import { BATCH, SAMPLE } from "./layout.ts";
import { stringValue, tagValue } from "./line-protocol.ts";
import { decodeTag, encodeTag } from "./tags.ts";

const DAY = 86_400_000;
const STRETCH = "stretch";
const DAY_MARK = "day";

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

type Row = Record<string, unknown>;
const ms = (v: unknown): number => Date.parse(String(v));

/** (system, day) pairs of the raw bucket that hold batches in the range, with day starts. */
function daysWithData(bucket: string, range: TimeRange): ParameterizedQuery {
  return flux`from(bucket: ${bucket})
  |> range(start: ${time(range.start)}, stop: ${time(range.stop)})
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "processes")
  |> aggregateWindow(every: 1d, fn: count, createEmpty: false, timeSrc: "_start")
  |> keep(columns: ["_time", "system"])
  |> group()`;
}

/**
 * One system's day from the raw bucket: pid and started_at of every sample (one table per field,
 * each series' rows together, in time order), and the intervals.
 */
function daySightings(bucket: string, system: string, day: number): ParameterizedQuery {
  const range = flux`range(start: ${time(day)}, stop: ${time(day + DAY)})`;
  return flux`from(bucket: ${bucket})
  |> ${range}
  |> filter(fn: (r) => r._measurement == ${SAMPLE} and r.system == ${system} and (r._field == "pid" or r._field == "started_at"))
  |> group(columns: ["_field"])
  |> keep(columns: ["_time", "name", "slot", "_field", "_value"])
  |> yield(name: "seen")
from(bucket: ${bucket})
  |> ${range}
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "interval_ms" and r.system == ${system})
  |> keep(columns: ["_time", "_value"])
  |> group()
  |> yield(name: "interval")`;
}

/** The day marks of a range: the latest `done` value per day. */
function dayMarks(bucket: string, range: TimeRange): ParameterizedQuery {
  return flux`from(bucket: ${bucket})
  |> range(start: ${time(range.start)}, stop: ${time(range.stop)})
  |> filter(fn: (r) => r._measurement == ${DAY_MARK} and r._field == "done")
  |> keep(columns: ["_time", "_value"])
  |> group()
  |> yield(name: "days")`;
}

/** A name's stretches (one system or all) of the days overlapping a range, and the day marks. */
function storedStretches(bucket: string, q: SightingsQuery): ParameterizedQuery {
  const range: TimeRange = { start: dayOf(q.range.start), stop: q.range.stop };
  const system = q.system_name === undefined ? flux`` : flux` and r.system == ${encodeTag(q.system_name)}`;
  return flux`from(bucket: ${bucket})
  |> range(start: ${time(range.start)}, stop: ${time(range.stop)})
  |> filter(fn: (r) => r._measurement == ${STRETCH} and r.name == ${encodeTag(q.process_name)}${system} and r._field == "v")
  |> keep(columns: ["_time", "system", "_value"])
  |> group()
  |> yield(name: "stretches")
${dayMarks(bucket, range)}`;
}

export interface InfluxHistoryAccess {
  /** The raw bucket's and the history bucket's names. */
  bucket: string;
  historyBucket: string;
  query(q: ParameterizedQuery): Promise<Row[]>;
  /** The same, streamed: rows as the CSV's strings, never all in memory as objects. */
  stream(q: ParameterizedQuery): AsyncIterable<FluxRow>;
  /** Posts line protocol (ms precision) to a bucket. */
  send(bucket: string, body: string): Promise<void>;
  /** Deletes a measurement's points in [start, stop] from a bucket (InfluxDB's delete API). */
  remove(bucket: string, start: number, stop: number, measurement: string): Promise<void>;
  log: Logger;
  now: () => number;
  defaultGapMs: number;
  retentionDays: number;
  historyRetentionDays: number;
  graceMs: number;
}

export class InfluxHistory {
  /** Days this server has seen marked done (refreshed by every compaction pass). */
  private readonly done = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** The day being compacted, and whether a batch for it came meanwhile. */
  private compacting: number | undefined;
  private dirtied = false;

  constructor(private readonly a: InfluxHistoryAccess) {}

  /** Compacts now and every `intervalMs`; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.compactFinished().catch((err: unknown) => {
        this.a.log.warn({ err: (err as Error).message }, "history compaction failed");
      });
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Before a batch is written: a batch for a day known as compacted marks it not done first. */
  async touch(ts: number): Promise<void> {
    const day = dayOf(ts);
    if (day === this.compacting) this.dirtied = true;
    if (!this.done.has(day)) return;
    await this.a.send(this.a.historyBucket, `${DAY_MARK} done=0i ${day}\n`);
    this.done.delete(day);
  }

  /**
   * Compacts the finished days of `range` (default: the days raw samples and history both still
   * keep) that hold samples and are not marked done; one pass at a time.
   */
  compactFinished(range?: TimeRange): Promise<void> {
    this.running ??= this.pass(range).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(asked?: TimeRange): Promise<void> {
    const now = this.a.now();
    const range = asked
      ? { start: dayOf(asked.start), stop: asked.stop }
      : {
          start: dayOf(now - Math.min(this.a.retentionDays, this.a.historyRetentionDays) * DAY) + DAY,
          stop: dayOf(now - this.a.graceMs),
        };
    if (range.start >= range.stop) return;
    const marks = await this.a.query(dayMarks(this.a.historyBucket, range));
    const done = latestMarks(marks);
    for (const [day, v] of done) {
      if (v === 1) this.done.add(day);
      else this.done.delete(day);
    }
    const pairs = await this.a.query(daysWithData(this.a.bucket, range));
    const todo = new Map<number, string[]>();
    for (const r of pairs) {
      const day = ms(r._time);
      if (done.get(day) === 1 || day + DAY > range.stop) continue;
      const list = todo.get(day) ?? [];
      list.push(String(r.system));
      todo.set(day, list);
    }
    for (const day of [...todo.keys()].sort((x, y) => x - y)) {
      if (this.stopped) return;
      await this.compactDay(day, todo.get(day) ?? []);
    }
  }

  /** One day: its stretch points replaced, then the day marked done (unless written to meanwhile). */
  private async compactDay(day: number, systems: string[]): Promise<void> {
    this.compacting = day;
    this.dirtied = false;
    try {
      await this.compactInto(day, systems);
    } finally {
      this.compacting = undefined;
    }
  }

  private async compactInto(day: number, systems: string[]): Promise<void> {
    const { historyBucket } = this.a;
    await this.a.send(historyBucket, `${DAY_MARK} done=0i ${day}\n`);
    this.done.delete(day);
    await this.a.remove(historyBucket, day, day + DAY - 1, STRETCH);
    // two systems at a time: InfluxDB reads one while this process compacts the other
    const queue = [...systems];
    const worker = async () => {
      for (let stored = queue.shift(); stored !== undefined; stored = queue.shift()) {
        const rows = this.a.stream(daySightings(this.a.bucket, stored, day));
        const lines = await encodeDay(decodeTag(stored), rows, this.a.defaultGapMs);
        for (let i = 0; i < lines.length; i += 5000) {
          await this.a.send(historyBucket, lines.slice(i, i + 5000).join(""));
        }
      }
    };
    await Promise.all([worker(), worker()]);
    // a batch for this day came meanwhile: the day stays not done (the next pass redoes it)
    if (this.dirtied) return;
    await this.a.send(historyBucket, `${DAY_MARK} done=1i ${day}\n`);
    this.done.add(day);
  }

  async read(q: SightingsQuery): Promise<StoredHistory> {
    const rows = await this.a.query(storedStretches(this.a.historyBucket, q));
    const marks = latestMarks(rows.filter((r) => r.result === "days"));
    const days = [...marks].filter(([d, v]) => v === 1 && d + DAY > q.range.start).map(([d]) => d);
    const stretches: Stretch[] = [];
    if (days.length > 0) {
      for (const r of rows) {
        if (r.result !== "stretches") continue;
        stretches.push(...decodeStretches(decodeTag(String(r.system)), ms(r._time), String(r._value)));
      }
    }
    return {
      days,
      stretches,
      raw_from: this.a.now() - this.a.retentionDays * DAY,
    };
  }
}

/** The latest `done` value per day (a day marked 0 after 1 is not done). */
function latestMarks(rows: Row[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of rows) out.set(ms(r._time), Number(r._value));
  return out;
}

const ascending = (t: readonly number[]): boolean => t.every((v, i) => i === 0 || (t[i - 1] as number) < v);

/** One series of daySightings: a (name, slot)'s pid or started_at values, in time order. */
interface Series {
  name: string;
  t: number[];
  v: number[];
}

/**
 * Line protocol for one system's day (the rows of daySightings, streamed): one point per name,
 * its stretches of the day. Rows are read by column index (no object per row), each distinct
 * timestamp text is parsed once, and a (name, slot)'s started_at values are matched to its pid
 * values by time (both series are in time order; started_at is missing where the agent did not
 * send it).
 */
async function encodeDay(
  system: string,
  rows: AsyncIterable<FluxRow>,
  defaultGapMs: number,
): Promise<string[]> {
  const intervals = new Map<number, number | undefined>();
  const pids = new Map<string, Series>();
  const starts = new Map<string, Series>();
  const parsed = new Map<string, number>();
  const at = (text: string): number => {
    let t = parsed.get(text);
    if (t === undefined) {
      t = Date.parse(text);
      parsed.set(text, t);
    }
    return t;
  };
  let meta: FluxRow["tableMeta"] | undefined;
  let col = { time: 0, value: 0, name: 0, slot: 0, field: 0 };
  let interval = false;
  let key = "";
  let series: Series | undefined;
  for await (const { values, tableMeta } of rows) {
    if (tableMeta !== meta) {
      meta = tableMeta;
      const index = (label: string) => tableMeta.column(label, false).index;
      // the result's name is the column's default (annotation), not in the rows
      const result = tableMeta.column("result", false);
      interval = (values[result.index] || result.defaultValue) === "interval";
      col = {
        time: index("_time"),
        value: index("_value"),
        name: index("name"),
        slot: index("slot"),
        field: index("_field"),
      };
      key = "";
    }
    if (interval) {
      const iv = Number(values[col.value]);
      intervals.set(at(values[col.time] as string), iv > 0 ? iv : undefined);
      continue;
    }
    const name = values[col.name] as string;
    const k = `${name}\u0000${values[col.slot]}\u0000${values[col.field]}`;
    if (k !== key) {
      key = k;
      const into = values[col.field] === "pid" ? pids : starts;
      const seriesKey = `${name}\u0000${values[col.slot]}`;
      series = into.get(seriesKey);
      if (!series) {
        series = { name, t: [], v: [] };
        into.set(seriesKey, series);
      }
    }
    const one = series as Series;
    one.t.push(at(values[col.time] as string));
    one.v.push(Number(values[col.value]));
  }
  // per name, its sightings [instant, pid, started_at] over all its slots
  const byName = new Map<string, [number, number, number | null][]>();
  for (const [seriesKey, p] of pids) {
    const st = starts.get(seriesKey);
    const list = byName.get(p.name) ?? [];
    if (st && !(ascending(p.t) && ascending(st.t))) {
      // not one time-ordered run of rows per series: match by time instead
      const byTime = new Map(st.t.map((t, i) => [t, st.v[i] as number]));
      for (let i = 0; i < p.t.length; i++) {
        list.push([p.t[i] as number, p.v[i] as number, byTime.get(p.t[i] as number) ?? null]);
      }
    } else {
      let j = 0;
      for (let i = 0; i < p.t.length; i++) {
        const t = p.t[i] as number;
        while (st && j < st.t.length && (st.t[j] as number) < t) j++;
        const started = st && st.t[j] === t ? (st.v[j] as number) : null;
        list.push([t, p.v[i] as number, started]);
      }
    }
    byName.set(p.name, list);
  }
  const lines: string[] = [];
  for (const [stored, sightings] of byName) {
    sightings.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const name = decodeTag(stored);
    const stretches = compactSorted(system, sightings, intervals, defaultGapMs);
    lines.push(
      `${STRETCH},name=${tagValue(name)},system=${tagValue(system)} v=${stringValue(encodeStretches(stretches))} ${(stretches[0] as Stretch).start}\n`,
    );
  }
  return lines;
}
