/**
 * Reading a Flux result as plain CSV (no annotations, a header line before each table), for
 * history's compaction, which reads every sample of a system-day: chunk by chunk, without an
 * object or a promise per row (the client's row iterator cost ~3 µs of the server's CPU a row,
 * most of the compaction's own time; docs/history.md, "Cost").
 */

/**
 * The text of a CSV answer arriving in chunks, cut at line ends: each piece holds whole lines
 * (a line cut by a chunk, or a UTF-8 character cut by one, waits for the next).
 */
export async function* csvText(chunks: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunks) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const cut = text.lastIndexOf("\n") + 1;
    rest = text.slice(cut);
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because an empty piece holds no line (eachLine calls nothing for it)
    if (cut > 0) yield text.slice(0, cut);
  }
  rest += decoder.decode();
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, as above
  if (rest !== "") yield rest;
}

/** Each line of a piece of CSV text (whole lines), without its "\n" or "\r\n". */
export function eachLine(text: string, line: (text: string, start: number, end: number) => void): void {
  for (let i = 0; i < text.length; ) {
    let nl = text.indexOf("\n", i);
    if (nl < 0) nl = text.length;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent because where nl is i past the first line, text[nl - 1] is the "\n" that ended the line before, not "\r"; at 0, charCodeAt(-1) is NaN
    line(text, i, nl > i && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
    i = nl + 1;
  }
}

/**
 * An integer cell text[start, end) as a number, read digit by digit (no string); anything but
 * an optional "-" and up to 15 digits goes through Number().
 */
export function integerAt(text: string, start: number, end: number): number {
  // The loop is a fast path only: each mutant below that survived sends a cell to Number() that
  // the loop would have read (or reads one it would not have, up to 15 digits, through Number() as
  // soon as a character is no digit), and Number() gives the same value. Those are marked.
  // Stryker disable next-line ConditionalExpression: equivalent in results (see above)
  const negative = text.charCodeAt(start) === 45; // "-"
  // Stryker disable next-line ArithmeticOperator: equivalent in results (see above): the "-" or the character before it is no digit
  const from = negative ? start + 1 : start;
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: equivalent in results (see above) where only cells of at most 15 digits (exact either way) change paths; a longer one read by the loop is killed by influx-csv's 19- and 20-digit cells
  if (end <= from || end - from > 15) return Number(text.slice(start, end));
  let n = 0;
  // Stryker disable next-line EqualityOperator,UpdateOperator: equivalent in results (see above): past the cell (or before it) is a "," or no character, no digit
  for (let k = from; k < end; k++) {
    // Stryker disable next-line ArithmeticOperator: equivalent in results (see above): no character code + 48 is within 0–9
    const digit = text.charCodeAt(k) - 48;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent in results (see above): a digit sent to Number() reads the same
    if (digit < 0 || digit > 9) return Number(text.slice(start, end));
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/**
 * One CSV line's cells (RFC 4180: a cell that starts with `"` runs to its closing quote, `""`
 * inside it is one quote). The values read here never hold a line break: process names are
 * refused with control characters, so a record is always one line.
 */
export function splitCsv(line: string): string[] {
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent in results because the loop below splits a line without quotes the same (a fast path)
  if (!line.includes('"')) return line.split(",");
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = "";
      let from = i + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        // Stryker disable next-line EqualityOperator: equivalent because the search starts past the opening quote, so it is never 0
        if (quote < 0) {
          cell += line.slice(from);
          i = line.length;
          break;
        }
        cell += line.slice(from, quote);
        if (line[quote + 1] === '"') {
          cell += '"';
          from = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      cells.push(cell);
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      cells.push(line.slice(i, end));
      i = end;
    }
    if (i >= line.length) return cells;
    i += 1; // the comma (after a last one, the next pass pushes the empty cell and returns)
  }
}

/**
 * A row of a result: its result's name, time (epoch ms and the nanoseconds below; NaN and 0 in a
 * table without `_time`), value, and field (undefined without `_field`). The value is `value`
 * when the reader made a string of it (a quoted cell, or a line read cell by cell), else the
 * plain cell text[start, end).
 */
export type ResultRow = (
  result: string,
  ms: number,
  ns: number,
  value: string | undefined,
  text: string,
  start: number,
  end: number,
  field: string | undefined,
) => void;

/**
 * The rows of a Flux result read as plain CSV, line by line (`line()`), each handed to `row`.
 * Columns are found by the header before each block of tables; within a table the cells before
 * `_time` / `_value` (result, table) do not change, so a line that starts like the table's previous
 * one is read in place: no array, and no string unless the value is quoted.
 */
export class ResultReader {
  private cols: { result: number; time: number; value: number; field: number } | undefined;
  /** The block is InfluxDB's error table (",error,reference"): its next line says why. */
  private error = -1;
  /** The cells before `_time` (or `_value`) of the current table's lines, when those end them. */
  // Stryker disable next-line StringLiteral: equivalent because the first data line, read after a header, always takes the slow path (the header sets it to "")
  private prefix = "";
  // Stryker disable next-line StringLiteral: equivalent because the slow path sets it before any row is handed over
  private result = "";
  // Stryker disable next-line StringLiteral: equivalent because a head that no time starts with is read afresh, as "" is
  private head = "";
  private seconds = 0;
  private ms = 0;
  private ns = 0;

  constructor(private readonly row: ResultRow) {}

  /** The line text[start, end) (without its line ending). */
  line(text: string, start = 0, end = text.length): void {
    if (start === end) {
      this.cols = undefined;
      return;
    }
    if (this.error >= 0) {
      const message = splitCsv(text.slice(start, end))[this.error];
      throw new Error(`InfluxDB: ${message ?? text.slice(start, end)}`);
    }
    const cols = this.cols;
    if (cols === undefined) {
      const cells = splitCsv(text.slice(start, end));
      if (!cells.includes("_value")) {
        this.error = Math.max(0, cells.indexOf("error"));
        return;
      }
      this.cols = {
        result: cells.indexOf("result"),
        time: cells.indexOf("_time"),
        value: cells.indexOf("_value"),
        field: cells.indexOf("_field"),
      };
      // Stryker disable next-line StringLiteral: equivalent because any text that no data line starts with sends the table's first line down the slow path, as "" does
      this.prefix = "";
      return;
    }
    if (this.prefix !== "" && text.startsWith(this.prefix, start)) {
      let from = start + this.prefix.length;
      // Stryker disable next-line EqualityOperator: equivalent because InfluxDB's CSV starts with the annotation column, so `_time` is never column 0
      if (cols.time >= 0) {
        const comma = text.indexOf(",", from);
        this.time(text, from, comma);
        from = comma + 1;
      }
      if (text.charCodeAt(from) === 34) {
        this.row(this.result, this.ms, this.ns, unquote(text.slice(from, end)), text, from, end, undefined);
      } else this.row(this.result, this.ms, this.ns, undefined, text, from, end, undefined);
      return;
    }
    const cells = splitCsv(text.slice(start, end));
    this.result = cells[cols.result] ?? "";
    // the fast path: [`_time`,] `_value` end the line, and nothing before them is quoted
    // Stryker disable next-line ConditionalExpression,EqualityOperator: `true` and `> 0` are equivalent (`_time` is never column 0; without it the prefix is used only when `_value` ends the line, where slice(0, -1) is slice(0, value)); `false` and `< 0` are killed by influx-csv's "reads lines in place", checked by planting them
    const first = cols.time >= 0 ? cols.time : cols.value;
    // Stryker disable next-line EqualityOperator: `<= 0` is equivalent (`_time` is never column 0); `>= 0` is killed by influx-csv's "reads every line whole where …", checked by planting it
    const untimed = cols.time < 0;
    // Stryker disable next-line EqualityOperator: `<= 0` is equivalent (`_field` is never column 0); `>= 0` is killed as above
    const noField = cols.field < 0;
    const fast = cols.value === cells.length - 1 && (untimed || cols.time === cols.value - 1) && noField;
    const before = cells.slice(0, first).join(",");
    const inPlace = fast && !before.includes('"');
    // Stryker disable next-line StringLiteral: equivalent because any text that no data line starts with sends every line down the slow path, as "" does
    const none = "";
    this.prefix = inPlace ? `${before},` : none;
    // Stryker disable next-line EqualityOperator: equivalent, `_time` is never column 0 (above)
    if (cols.time >= 0) {
      const time = cells[cols.time] as string;
      this.time(time, 0, time.length);
    } else {
      this.ms = Number.NaN;
      this.ns = 0;
    }
    const value = cells[cols.value] as string;
    this.row(this.result, this.ms, this.ns, value, value, 0, value.length, cells[cols.field]);
  }

  /** Reads the RFC 3339 time in text[start, end) (`2026-04-07T03:12:00.000000005Z`) into ms, ns. */
  private time(text: string, start: number, end: number): void {
    const dot = text.charCodeAt(start + 19) === 46; // "."
    // Stryker disable ConditionalExpression,EqualityOperator,ArithmeticOperator: the "T" check and the lengths only guard against shapes InfluxDB does not send (its RFC3339Nano has a "T", 20 characters without a fraction, a fraction of 1–9 digits), so `true` and the off-by-one lengths are equivalent on its answers; the others send every time to the slow path and are killed by influx-csv's Date.parse count
    if (
      text.charCodeAt(start + 10) === 84 && // "T"
      text.charCodeAt(end - 1) === 90 && // "Z"
      (dot ? end - start > 21 : end - start === 20)
    ) {
      // Stryker restore ConditionalExpression,EqualityOperator,ArithmeticOperator
      if (!text.startsWith(this.head, start) || this.head === "") {
        this.head = text.slice(start, start + 19);
        this.seconds = Date.parse(`${this.head}Z`);
      }
      let ms = 0;
      let ns = 0;
      for (let k = 0; k < 9; k++) {
        const at = start + 20 + k;
        const digit = dot && at < end - 1 ? text.charCodeAt(at) - 48 : 0;
        if (k < 3) ms = ms * 10 + digit;
        else ns = ns * 10 + digit;
      }
      this.ms = this.seconds + ms;
      this.ns = ns;
      return;
    }
    // any other shape (an offset instead of Z): Date's own parser, then the digits
    const t = text.slice(start, end);
    this.ms = Date.parse(t);
    this.ns = Number((/\.(\d+)/.exec(t)?.[1] ?? "").padEnd(9, "0").slice(3, 9));
  }
}

/** A quoted CSV cell's text. */
const unquote = (cell: string): string => cell.slice(1, -1).replaceAll('""', '"');
