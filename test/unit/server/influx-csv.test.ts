/**
 * Flux results read as plain CSV (server/store/influx/csv.ts), what history's compaction parses
 * itself: cells with quotes and commas, chunks cut anywhere (inside a line, inside a UTF-8
 * character, between "\r" and "\n"), tables with and without `_time`, InfluxDB's error table, and
 * RFC 3339 times to the nanosecond.
 */
import { describe, expect, it, vi } from "vitest";
import { csvText, eachLine, integerAt, ResultReader, splitCsv } from "../../../server/store/influx/csv.ts";

async function* chunked(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

async function linesOf(text: string, size: number): Promise<string[]> {
  const out: string[] = [];
  for await (const piece of csvText(chunked(text, size))) {
    // every piece but the last ends a line
    eachLine(piece, (t, start, end) => out.push(t.slice(start, end)));
  }
  return out;
}

type Seen = [string, number, number, string, string | undefined];
function read(lines: string[]): Seen[] {
  const seen: Seen[] = [];
  const reader = new ResultReader((result, ms, ns, value, text, start, end, field) =>
    seen.push([result, ms, ns, value ?? text.slice(start, end), field]),
  );
  // lines in place, inside one text as eachLine hands them over
  const text = `${lines.join("\r\n")}\r\n`;
  eachLine(text, (t, start, end) => reader.line(t, start, end));
  return seen;
}

describe("splitCsv", () => {
  it("splits plain cells, keeping empty ones at either end and in between", () => {
    expect(splitCsv(",_result,0,x")).toEqual(["", "_result", "0", "x"]);
    expect(splitCsv("a,,b,")).toEqual(["a", "", "b", ""]);
    expect(splitCsv("")).toEqual([""]);
  });

  it('reads quoted cells: commas inside, "" as one quote, quoted cells anywhere in the line', () => {
    expect(splitCsv(',name,0,"a,b"')).toEqual(["", "name", "0", "a,b"]);
    expect(splitCsv(',name,0,"say ""hi"", then go"')).toEqual(["", "name", "0", 'say "hi", then go']);
    expect(splitCsv('"x",y,"",z')).toEqual(["x", "y", "", "z"]);
    expect(splitCsv('"a""",b,')).toEqual(['a"', "b", ""]);
    // an unterminated quote runs to the end of the line
    expect(splitCsv('a,"b,c')).toEqual(["a", "b,c"]);
  });
});

describe("csvText and eachLine", () => {
  const text = ',result,table,_value\r\n,name,0,größe→😀\r\n,name,0,"a,""b"""\r\n\r\n,x\r\ntail';
  const want = [",result,table,_value", ",name,0,größe→😀", ',name,0,"a,""b"""', "", ",x", "tail"];

  it("gives every line without its ending, however the bytes are cut into chunks", async () => {
    for (const size of [1, 2, 3, 5, 7, 64, 4096]) expect(await linesOf(text, size)).toEqual(want);
  });

  it("gives nothing for an empty answer, and the last line without a line ending", async () => {
    expect(await linesOf("", 8)).toEqual([]);
    expect(await linesOf("a\n", 8)).toEqual(["a"]);
    expect(await linesOf("a\r\nb", 1)).toEqual(["a", "b"]);
  });
});

describe("integerAt", () => {
  it("reads integers in place, and anything else as Number() does", () => {
    const at = (s: string) => integerAt(`x,${s},y`, 2, 2 + s.length);
    expect([at("0"), at("7"), at("4242"), at("1775531519000"), at("-15"), at("999999999999999")]).toEqual([
      0, 7, 4242, 1775531519000, -15, 999999999999999,
    ]);
    // 16 digits and more, or not digits: Number() (exact where it is, NaN where it is not a number)
    expect([at("1234567890123456"), at("1e3"), at("1.5"), at("-"), at("")]).toEqual([
      1234567890123456,
      1000,
      1.5,
      Number.NaN,
      0,
    ]);
  });
});

describe("ResultReader", () => {
  it("reads timed tables: nanoseconds below the millisecond, trailing zeros dropped, whole seconds", () => {
    const seen = read([
      ",result,table,_time,_value",
      ",pid,0,2026-04-07T03:12:00Z,500",
      ",pid,0,2026-04-07T03:12:00.000000001Z,501",
      ",pid,0,2026-04-07T03:12:00.5Z,502",
      ",pid,0,2026-04-07T03:12:00.123456789Z,503",
      ",pid,0,2026-04-07T03:12:01.00000002Z,504",
      ",pid,0,2026-04-07T03:12:01.999Z,505",
    ]);
    const t = Date.UTC(2026, 3, 7, 3, 12);
    expect(seen).toEqual([
      ["pid", t, 0, "500", undefined],
      ["pid", t, 1, "501", undefined],
      ["pid", t + 500, 0, "502", undefined],
      ["pid", t + 123, 456_789, "503", undefined],
      ["pid", t + 1000, 20, "504", undefined],
      ["pid", t + 1999, 0, "505", undefined],
    ]);
  });

  it("reads times before 1970 and in other shapes through Date", () => {
    const seen = read([
      ",result,table,_time,_value",
      ",pid,0,1969-12-31T23:59:59.9Z,1",
      ",pid,0,2026-04-07T05:12:00.000000007+02:00,2",
    ]);
    expect(seen).toEqual([
      ["pid", -100, 0, "1", undefined],
      ["pid", Date.UTC(2026, 3, 7, 3, 12), 7, "2", undefined],
    ]);
  });

  it("reads untimed tables, quoted values, a new table under the same header, and fields", () => {
    const seen = read([
      ",result,table,_value",
      ",name,0,plain",
      ',name,0,"with,comma"',
      ',name,0,"""quoted"""',
      ",name,1,next table",
      "",
      ",result,table,_time,_value,_field",
      ",batch,0,2026-04-07T03:12:00Z,300,processes",
      ",batch,1,2026-04-07T03:12:00Z,5000,interval_ms",
      "",
      ",result,table,_value",
      ",started_at,0,1775531519000",
    ]);
    const t = Date.UTC(2026, 3, 7, 3, 12);
    expect(seen).toEqual([
      ["name", Number.NaN, 0, "plain", undefined],
      ["name", Number.NaN, 0, "with,comma", undefined],
      ["name", Number.NaN, 0, '"quoted"', undefined],
      ["name", Number.NaN, 0, "next table", undefined],
      ["batch", t, 0, "300", "processes"],
      ["batch", t, 0, "5000", "interval_ms"],
      ["started_at", Number.NaN, 0, "1775531519000", undefined],
    ]);
  });

  it("reads columns wherever the header puts them, a quoted cell before the value too", () => {
    const seen = read([
      ",result,table,_value,_time,system",
      ',"we""ird",0,"a,b",2026-04-07T03:12:00.001Z,s1',
      ',"we""ird",0,c,2026-04-07T03:12:00.002Z,s1',
    ]);
    const t = Date.UTC(2026, 3, 7, 3, 12);
    expect(seen).toEqual([
      ['we"ird', t + 1, 0, "a,b", undefined],
      ['we"ird', t + 2, 0, "c", undefined],
    ]);
  });

  it("throws InfluxDB's error table as an error with its message", () => {
    expect(() => read([",error,reference", ",runtime error: out of memory,"])).toThrow(
      "InfluxDB: runtime error: out of memory",
    );
  });
});

describe("the fast paths: same values, no strings", () => {
  /** What the reader hands over, as it hands it: `value` undefined where it read the cell in place. */
  function raw(lines: string[]): [string, number, number, string | undefined, string, string | undefined][] {
    const seen: [string, number, number, string | undefined, string, string | undefined][] = [];
    const reader = new ResultReader((result, ms, ns, value, text, start, end, field) =>
      seen.push([result, ms, ns, value, text.slice(start, end), field]),
    );
    const text = `${lines.join("\r\n")}\r\n`;
    eachLine(text, (t, start, end) => reader.line(t, start, end));
    return seen;
  }
  const t = Date.UTC(2026, 3, 7, 3, 12);

  it("reads lines in place after a table's first, where [_time,] _value end the line and nothing before is quoted", () => {
    expect(
      raw([
        ",result,table,_time,_value",
        ",pid,0,2026-04-07T03:12:00Z,500",
        ",pid,0,2026-04-07T03:12:00.25Z,501",
        ',pid,0,2026-04-07T03:12:01Z,"a,""b"""',
        ",pid,1,2026-04-07T03:12:02Z,7",
        ",pid,1,2026-04-07T03:12:03Z,8",
        "",
        ",result,table,_value",
        ",n,0,x",
        ",n,0,y",
      ]),
    ).toEqual([
      ["pid", t, 0, "500", "500", undefined],
      ["pid", t + 250, 0, undefined, "501", undefined],
      ["pid", t + 1000, 0, 'a,"b"', '"a,""b"""', undefined],
      // a new table: its first line read whole, the next in place
      ["pid", t + 2000, 0, "7", "7", undefined],
      ["pid", t + 3000, 0, undefined, "8", undefined],
      ["n", Number.NaN, 0, "x", "x", undefined],
      ["n", Number.NaN, 0, undefined, "y", undefined],
    ]);
  });

  it("reads every line whole where a column follows _value, _time is not next to it, a _field is there, or a cell before is quoted", () => {
    const whole = (header: string, a: string, b: string) => raw([header, a, b]).map((r) => r[3]);
    expect(
      whole(
        ",result,table,_time,_value,system",
        ",r,0,2026-04-07T03:12:00Z,1,s",
        ",r,0,2026-04-07T03:12:01Z,2,s",
      ),
    ).toEqual(["1", "2"]);
    expect(
      whole(",result,table,_time,x,_value", ",r,0,2026-04-07T03:12:00Z,q,1", ",r,0,2026-04-07T03:12:01Z,q,2"),
    ).toEqual(["1", "2"]);
    expect(
      whole(
        ",result,table,_field,_time,_value",
        ",r,0,f,2026-04-07T03:12:00Z,1",
        ",r,0,f,2026-04-07T03:12:01Z,2",
      ),
    ).toEqual(["1", "2"]);
    expect(whole(",result,table,_value", ',"r",0,1', ',"r",0,2')).toEqual(["1", "2"]);
  });

  it("parses each second of the times once (Date.parse), and only the other shapes every time", () => {
    const parse = vi.spyOn(Date, "parse");
    try {
      const rows = raw([
        ",result,table,_time,_value",
        ",pid,0,2026-04-07T03:12:00Z,1",
        ",pid,0,2026-04-07T03:12:00.5Z,2",
        ",pid,0,2026-04-07T03:12:00.123456789Z,3",
        ",pid,0,2026-04-07T03:12:01.000000001Z,4",
        ",pid,0,2026-04-07T03:12:01Z,5",
      ]);
      expect(rows.map((r) => [r[1] - t, r[2]])).toEqual([
        [0, 0],
        [500, 0],
        [123, 456_789],
        [1000, 1],
        [1000, 0],
      ]);
      expect(parse).toHaveBeenCalledTimes(2);
      parse.mockClear();
      const other = raw([
        ",result,table,_time,_value",
        ",pid,0,2026-04-07T05:12:00.123456789+02:00,1",
        ",pid,0,2026-04-07T05:12:00+02:00,2",
        ",pid,0,2026-04-07T03:12:00.5,3",
        ",pid,0,2026-04-07T05:12:00.1234567+02:00,4",
      ]);
      expect(other.map((r) => [r[1] - t, r[2]])).toEqual([
        [123, 456_789],
        [0, 0],
        [500 + new Date(2026, 3, 7).getTimezoneOffset() * 60_000, 0],
        [123, 456_700],
      ]);
      expect(parse).toHaveBeenCalledTimes(4);
    } finally {
      parse.mockRestore();
    }
  });

  it("integerAt reads long cells as Number() does, not digit by digit (which rounds at each step)", () => {
    const at = (s: string) => integerAt(`x,${s},y`, 2, 2 + s.length);
    for (const s of [
      "99999999999999999999",
      "12345678901234567891",
      "1234567890123456789",
      "-1234567890123456789",
    ])
      expect(at(s), s).toBe(Number(s));
    expect(integerAt("-15", 0, 3)).toBe(-15);
  });

  it("eachLine gives an empty first line, and a last one without its line ending", () => {
    const lines: string[] = [];
    eachLine("\nabc\r\n\r\nd\r", (text, start, end) => lines.push(text.slice(start, end)));
    expect(lines).toEqual(["", "abc", "", "d"]);
  });

  it("a header without _value and without error makes its next line an error; a line too short for the error column is the message whole", () => {
    expect(() => raw([",result,table,other", "boom,0,x"])).toThrow(/^InfluxDB: boom$/);
    expect(() => raw([",error,reference", "oops"])).toThrow(/^InfluxDB: oops$/);
  });

  it("a table without a result column gives rows of result ''", () => {
    expect(raw([",table,_value", ",0,1"])).toEqual([["", Number.NaN, 0, "1", "1", undefined]]);
  });
});
