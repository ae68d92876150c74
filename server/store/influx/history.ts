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
import { flux, fluxExpression, type ParameterizedQuery } from "@influxdata/influxdb-client";
import type { Logger } from "../../log.ts";
import { compactSorted, dayOf, decodeStretches, encodeStretches, type Stretch } from "../stretches.ts";
import type { SightingsQuery, StoredHistory, TimeRange } from "../types.ts";
import { csvText, eachLine, integerAt, ResultReader } from "./csv.ts";
import { BATCH, ROW } from "./layout.ts";
import { tagValue } from "./line-protocol.ts";
import { byCodePoint, decodeTag, encodeTag } from "./tags.ts";

const DAY = 86_400_000;
const STRETCH = "stretch";
const DAY_MARK = "day";
/**
 * Rows (processes over a day's batches) compaction reads per query: as many systems as fit, at
 * least one (see daySightings): an hourly 300-process system-day is 7 200 rows, a 5 s one 5 million.
 */
const ROWS_PER_READ = 100_000;

const time = (ms: number) => fluxExpression(`time(v: ${Math.trunc(ms)} * 1000000)`);

type Row = Record<string, unknown>;
/** A system with samples in a day, and its rows that day (Σ processes over its batches). */
export type SystemDay = { system: string; rows: number };
const ms = (v: unknown): number => Date.parse(String(v));

/** (system, day) pairs of the raw bucket that hold batches in the range, with day starts and rows (Σ processes). */
function daysWithData(bucket: string, range: TimeRange): ParameterizedQuery {
  return flux`from(bucket: ${bucket})
  |> range(start: ${time(range.start)}, stop: ${time(range.stop)})
  |> filter(fn: (r) => r._measurement == ${BATCH} and r._field == "processes")
  |> aggregateWindow(every: 1d, fn: sum, createEmpty: false, timeSrc: "_start")
  |> keep(columns: ["_time", "system", "_value"])
  |> group()`;
}

/**
 * Some systems' day from the raw bucket, read from their `row` series (one series per system: each
 * batch's processes at its instant + j ns, j = 0 … processes − 1, in row order: name by code
 * point, then pid; docs/data-layout.md) rather than from the hundreds of `sample` series: one
 * field of one system per yield (`name3`: system 3's names) — without `_time` (formatting and
 * parsing the time of every row was half of InfluxDB's and the server's work) or, `timed`, with
 * it — and each system's batch points (processes, interval_ms), which say which instant each
 * untimed row belongs to. Several systems in one query: InfluxDB compiles a Flux program for
 * every query (~4 ms of its CPU, more than a system-day's rows cost it to read). Yields may arrive
 * in any order; each field is one table in time order.
 */
function daySightings(
  bucket: string,
  systems: readonly string[],
  day: number,
  timed: boolean,
): ParameterizedQuery {
  const range = flux`range(start: ${time(day)}, stop: ${time(day + DAY)})`;
  const columns = timed ? flux`["_time", "_value"]` : flux`["_value"]`;
  let out = flux``;
  systems.forEach((system, i) => {
    const field = (name: string) => flux`from(bucket: ${bucket})
  |> ${range}
  |> filter(fn: (r) => r._measurement == ${ROW} and r.system == ${system} and r._field == ${name})
  |> keep(columns: ${columns})
  |> yield(name: ${`${name}${i}`})
`;
    out = flux`${out}${field("name")}${field("pid")}${field("started_at")}from(bucket: ${bucket})
  |> ${range}
  |> filter(fn: (r) => r._measurement == ${BATCH} and r.system == ${system} and (r._field == "processes" or r._field == "interval_ms"))
  |> keep(columns: ["_time", "_field", "_value"])
  |> yield(name: ${`batch${i}`})
`;
  });
  return out;
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
  /** The same as plain CSV (a header line before each table, no annotations), chunks as they arrive. */
  csv(q: ParameterizedQuery): AsyncIterable<Uint8Array>;
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
  // Stryker disable next-line BooleanLiteral: equivalent because compactDay() sets it before every day
  private dirtied = false;

  constructor(private readonly a: InfluxHistoryAccess) {}

  /** Compacts now and every `intervalMs`; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent in results: a second timer, or one started after stop(), only starts more passes, and passes run one at a time (`running`) and stop before their first day once stopped
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
    // Stryker disable next-line ConditionalExpression: equivalent in results: clearInterval(undefined) does nothing, and a timer left ticking starts passes that stop before their first day (stopped) and, unref'd, keep no process alive
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
      // Survives mutation testing, explained: `if (true)` also counts a day marked 0 (being
      // compacted, or written to since) as done here, and this set only decides whether a batch for
      // the day writes a 0 mark: it writes one more 0 over a 0, the same state (compaction and
      // read() go by the marks in the bucket); `if (false)` is killed. One line: not marked.
      if (v === 1) this.done.add(day);
      else this.done.delete(day);
    }
    const pairs = await this.a.query(daysWithData(this.a.bucket, range));
    const todo = new Map<number, SystemDay[]>();
    for (const r of pairs) {
      const day = ms(r._time);
      if (done.get(day) === 1 || day + DAY > range.stop) continue;
      const list = todo.get(day) ?? [];
      list.push({ system: String(r.system), rows: Number(r._value) });
      todo.set(day, list);
    }
    // Stryker disable next-line MethodExpression,ArrowFunction,ArithmeticOperator: equivalent in results: each day is compacted on its own, in any order
    for (const day of [...todo.keys()].sort((x, y) => x - y)) {
      if (this.stopped) return;
      // Stryker disable next-line ArrayDeclaration: equivalent because every day listed has its systems in todo
      await this.compactDay(day, todo.get(day) ?? []);
    }
  }

  /** One day: its stretch points replaced, then the day marked done (unless written to meanwhile). */
  private async compactDay(day: number, systems: SystemDay[]): Promise<void> {
    this.compacting = day;
    this.dirtied = false;
    // Stryker disable next-line ArrowFunction: equivalent because a day left in `compacting` only lets a batch set `dirtied`, which the next compactDay() resets before it reads it
    await this.compactInto(day, systems).finally(() => this.clearCompacting());
  }

  // Stryker disable next-line BlockStatement: equivalent, as the line above says
  private clearCompacting(): void {
    this.compacting = undefined;
  }

  private async compactInto(day: number, systems: SystemDay[]): Promise<void> {
    const { historyBucket } = this.a;
    // Survives mutation testing, explained: with the 0 mark left out, the day's old mark stays
    // while its points are replaced; that differs only if another server marks the day done
    // (1) meanwhile and this one then fails before its own 1 — not exercised by the suite.
    await this.a.send(historyBucket, `${DAY_MARK} done=0i ${day}\n`);
    this.done.delete(day);
    await this.a.remove(historyBucket, day, day + DAY - 1, STRETCH);
    const queue = readGroups(systems);
    const worker = async () => {
      for (let group = queue.shift(); group !== undefined; group = queue.shift()) {
        const lines = await this.encodeDay(group, day);
        // Stryker disable next-line EqualityOperator: equivalent in results: one more write of nothing, which InfluxDB accepts
        for (let i = 0; i < lines.length; i += 5000) {
          // Stryker disable next-line MethodExpression: equivalent in results: the same points written again overwrite themselves
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

  /**
   * Line protocol for some systems' day: one point per system and name, its stretches of the day.
   * The rows are read untimed and placed by the batch points; a system whose rows do not add up
   * (a process without started_at, rows left over from a larger batch at the same instant) is
   * read again with times.
   */
  private async encodeDay(group: readonly string[], day: number): Promise<string[]> {
    const read = async (systems: readonly string[], timed: boolean) =>
      readDay(this.a.csv(daySightings(this.a.bucket, systems, day, timed)), systems.length);
    // Stryker disable next-line BooleanLiteral: equivalent in results: rows read with their times are placed the same (byPlace ignores the times), only dearer
    const untimed = await read(group, false);
    const lines: string[] = [];
    for (let i = 0; i < group.length; i++) {
      const stored = group[i] as string;
      const days = untimed[i] as Day;
      const byName = byPlace(days) ?? byTime((await read([stored], true))[0] as Day);
      const system = decodeTag(stored);
      for (const [name, sightings] of byName) {
        // Stryker disable next-line ArrowFunction,ArithmeticOperator,LogicalOperator,MethodExpression,ConditionalExpression: equivalent because the rows come in (instant, pid) order already — byPlace checks each batch's row order, byTime takes them in time order, and a batch's rows are written in row order (name, then pid); the sort only guards compactSorted's precondition
        sightings.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        const stretches = compactSorted(system, sightings, days.intervals, this.a.defaultGapMs);
        lines.push(
          // a record is numbers, commas, brackets, minus signs and null: nothing a string field escapes
          `${STRETCH},name=${tagValue(name)},system=${tagValue(system)} v="${encodeStretches(stretches)}" ${(stretches[0] as Stretch).start}\n`,
        );
      }
    }
    return lines;
  }

  async read(q: SightingsQuery): Promise<StoredHistory> {
    const rows = await this.a.query(storedStretches(this.a.historyBucket, q));
    const marks = latestMarks(rows.filter((r) => r.result === "days"));
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because the query reads marks from range.start's day on, and every such day ends after range.start
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

/**
 * The day's systems in the groups compaction reads together (one Flux program to compile per
 * group), systems in the order given: each group at most the day's rows over the reads it needs
 * (≤ `rowsPerRead`, and at least two reads when it has two systems: one per worker, InfluxDB
 * reads some while this process compacts others), unless one system alone has more.
 */
export function readGroups(systems: readonly SystemDay[], rowsPerRead = ROWS_PER_READ): string[][] {
  const total = systems.reduce((sum, s) => sum + s.rows, 0);
  const budget = total / Math.max(Math.min(2, systems.length), Math.ceil(total / rowsPerRead));
  const groups: string[][] = [];
  let rows = Number.POSITIVE_INFINITY;
  for (const { system, rows: n } of systems) {
    const group = groups[groups.length - 1];
    if (group && rows + n <= budget) {
      group.push(system);
      rows += n;
    } else {
      groups.push([system]);
      rows = n;
    }
  }
  return groups;
}

/** One field of a system's `row` series: times (ms, and the nanoseconds below) when read, values. */
interface Field {
  ms: number[];
  ns: number[];
  /** pid and started_at as numbers; name as its index in Day.names. */
  v: number[];
}

const newField = (): Field => ({ ms: [], ns: [], v: [] });

export interface Day {
  names: string[];
  name: Field;
  pid: Field;
  started_at: Field;
  /** Processes per batch instant, and the interval each batch carried (undefined: not sent). */
  counts: Map<number, number>;
  intervals: Map<number, number | undefined>;
}

/** Per name, its sightings [instant, pid, started_at]. */
type Sightings = Map<string, [number, number, number | null][]>;

const newDay = (): Day => ({
  // Stryker disable next-line ArrayDeclaration: equivalent because names are only looked up by the ids readDay gives them
  names: [],
  name: newField(),
  pid: newField(),
  started_at: newField(),
  counts: new Map(),
  intervals: new Map(),
});

/** What the rows of one yield go to: a system's day, and its field (none: the batch points). */
interface Target {
  day: Day;
  field: Field | undefined;
  /** The name field's: ids by name, and the last name read (consecutive rows often share it). */
  ids: Map<string, number> | undefined;
  last: string;
  lastId: number;
}

/** Some systems' day as daySightings' CSV gives it (in the group's order), streamed and parsed chunk by chunk. */
async function readDay(chunks: AsyncIterable<Uint8Array>, systems: number): Promise<Day[]> {
  const days = Array.from({ length: systems }, newDay);
  // a yield's name (`pid3`: system 3's pids) → its target, looked up once per table, not per row
  const targets = new Map<string, Target>();
  days.forEach((day, i) => {
    const target = (field: Field | undefined, names = false): Target => ({
      day,
      field,
      ids: names ? new Map() : undefined,
      // Stryker disable next-line StringLiteral: equivalent because lastId −1 keeps the in-place match from using it
      last: "",
      // Stryker disable next-line UnaryOperator: equivalent because a name is never empty, so "" never matches a cell
      lastId: -1,
    });
    targets.set(`name${i}`, target(day.name, true));
    targets.set(`pid${i}`, target(day.pid));
    targets.set(`started_at${i}`, target(day.started_at));
    targets.set(`batch${i}`, target(undefined));
  });
  // Stryker disable next-line StringLiteral: equivalent: the first row looks its target up either way
  let result = "";
  let at: Target | undefined;
  const reader = new ResultReader((name, ms, ns, value, text, start, end, fieldName) => {
    // Stryker disable next-line ConditionalExpression: equivalent in results: a look-up for every row finds the same target
    if (name !== result) {
      result = name;
      at = targets.get(name);
    }
    // Stryker disable next-line ConditionalExpression: equivalent because daySightings' CSV holds only the yields named in targets
    if (at === undefined) return;
    const f = at.field;
    if (f === undefined) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because both read an integer cell the same (batch rows keep _field, so ResultReader always hands their value over)
      const n = value === undefined ? integerAt(text, start, end) : Number(value);
      if (fieldName === "processes") at.day.counts.set(ms, n);
      // 0: not sent (compactSorted takes an interval ≤ 0 as not sent)
      else at.day.intervals.set(ms, n);
      return;
    }
    let v: number;
    if (at.ids !== undefined) {
      // Survives mutation testing, explained: the whole condition made `false` (never the in-place
      // match) is equivalent in results, the map gives the same id; made `true` it is killed. A
      // directive cannot tell the two apart (one line), so neither is marked.
      if (
        value === undefined &&
        // Stryker disable next-line ArithmeticOperator: equivalent in results: the in-place match is a fast path; without it the map gives the same id
        end - start === at.last.length &&
        // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because lastId is −1 only while last is "", which no cell is
        at.lastId >= 0 &&
        // Stryker disable next-line MethodExpression: equivalent in results (a fast path, as above): the text ending at a cell's start is the line's prefix, never the name before
        text.startsWith(at.last, start)
      ) {
        v = at.lastId;
      } else {
        const text_ = value ?? text.slice(start, end);
        let id = at.ids.get(text_);
        // Stryker disable next-line ConditionalExpression: equivalent in results: a name given a second id is still the same text, and byPlace and byTime group by the text
        if (id === undefined) {
          id = at.day.names.length;
          at.ids.set(text_, id);
          at.day.names.push(text_);
        }
        at.last = text_;
        at.lastId = id;
        v = id;
      }
    } else {
      // Survives mutation testing, explained (as above, neither variant marked): the condition
      // made `true` reads the cell from the text when the reader also made a string of it, the
      // same number; made `false` it is killed.
      v = value === undefined ? integerAt(text, start, end) : Number(value);
    }
    // untimed rows (ms NaN) keep no times: byPlace needs none. Survives mutation testing, explained:
    // `true` keeps NaN times for untimed rows, which only byPlace reads, and it ignores times;
    // `false` is killed.
    if (!Number.isNaN(ms)) {
      f.ms.push(ms);
      f.ns.push(ns);
    }
    f.v.push(v);
  });
  const line = reader.line.bind(reader);
  for await (const text of csvText(chunks)) eachLine(text, line);
  return days;
}

/**
 * Untimed rows placed by the batch points: the k-th row of each field is row j of the batch
 * holding it, batches in time order. Only when name and pid have exactly Σ processes rows (no row
 * left over from an earlier, larger batch at an instant), started_at as many or none (every
 * process sent it, or none did), and each batch's rows are in row order; otherwise undefined
 * (read them with times).
 */
export function byPlace(day: Day): Sightings | undefined {
  const instants = [...day.counts.keys()].sort((x, y) => x - y);
  let total = 0;
  for (const t of instants) total += day.counts.get(t) as number;
  const { name, pid, started_at: started } = day;
  // started_at: sent by every process, or by none (an old client: all null)
  const starts = started.v.length === total;
  if (name.v.length !== total || pid.v.length !== total || (!starts && started.v.length > 0))
    return undefined;
  const out: Sightings = new Map();
  let k = 0;
  for (const t of instants) {
    const n = day.counts.get(t) as number;
    for (let j = 0; j < n; j++, k++) {
      const text = day.names[name.v[k] as number] as string;
      const p = pid.v[k] as number;
      if (j > 0) {
        const order = byCodePoint(day.names[name.v[k - 1] as number] as string, text);
        if (order > 0 || (order === 0 && (pid.v[k - 1] as number) >= p)) return undefined;
      }
      const list = out.get(text);
      const sighting: [number, number, number | null] = [t, p, starts ? (started.v[k] as number) : null];
      if (list) list.push(sighting);
      else out.set(text, [sighting]);
    }
  }
  return out;
}

/** Whether row k of a field comes before (ms, ns). */
const before = (f: Field, k: number, ms: number, ns: number): boolean =>
  (f.ms[k] as number) < ms || (f.ms[k] === ms && (f.ns[k] as number) < ns);

/** The field in time order (it is already, unless the result came in several tables). */
function ordered(f: Field): Field {
  // Stryker disable BooleanLiteral,LogicalOperator,ConditionalExpression,EqualityOperator,UpdateOperator,ArithmeticOperator: equivalent in results: these lines only decide whether to skip the sort below, and sorting rows already in order leaves them as they are (a check that runs past the end or compares the wrong neighbours ends false: before() is false for a missing row); the variants that skip the sort of rows out of order (the loop never run, `if (true)`) are killed by influx-history-place.test.ts, checked by planting them
  let sorted = true;
  for (let k = 1; k < f.ms.length && sorted; k++)
    sorted = before(f, k - 1, f.ms[k] as number, f.ns[k] as number);
  if (sorted) return f;
  // Stryker restore BooleanLiteral,LogicalOperator,ConditionalExpression,EqualityOperator,UpdateOperator,ArithmeticOperator
  const order = f.ms
    .map((_, k) => k)
    .sort((a, b) => (f.ms[a] as number) - (f.ms[b] as number) || (f.ns[a] as number) - (f.ns[b] as number));
  return {
    ms: order.map((k) => f.ms[k] as number),
    ns: order.map((k) => f.ns[k] as number),
    v: order.map((k) => f.v[k] as number),
  };
}

/**
 * Timed rows matched by their point's time: name, pid and started_at of one `row` point share
 * it (started_at is missing where the agent did not send it), and a point at j ≥ the batch's
 * `processes` is left over from an earlier, larger batch at that instant and not part of the
 * sample (as for processes-at).
 */
export function byTime(day: Day): Sightings {
  const names = ordered(day.name);
  const pids = ordered(day.pid);
  const starts = ordered(day.started_at);
  const out: Sightings = new Map();
  let a = 0;
  let c = 0;
  for (let i = 0; i < pids.ms.length; i++) {
    const ms = pids.ms[i] as number;
    const ns = pids.ns[i] as number;
    if (ns >= (day.counts.get(ms) ?? Number.POSITIVE_INFINITY)) continue;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because before() is false for a row past the end (its time is undefined), so the bound only saves a call; the variants that never advance (`false`, `>=`) are killed by influx-history-place.test.ts, checked by planting them
    while (a < names.ms.length && before(names, a, ms, ns)) a++;
    if (names.ms[a] !== ms || names.ns[a] !== ns) continue;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because before() is false for a row past the end (its time is undefined), so the bound only saves a call; the variants that never advance (`false`, `>=`) are killed by influx-history-place.test.ts, checked by planting them
    while (c < starts.ms.length && before(starts, c, ms, ns)) c++;
    const started = starts.ms[c] === ms && starts.ns[c] === ns ? (starts.v[c] as number) : null;
    const text = day.names[names.v[a] as number] as string;
    const list = out.get(text);
    const sighting: [number, number, number | null] = [ms, pids.v[i] as number, started];
    if (list) list.push(sighting);
    else out.set(text, [sighting]);
  }
  return out;
}
