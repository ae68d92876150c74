/**
 * readLatest() (server/store/influx/watch-queries.ts) on InfluxDB's own answers to latestQuery():
 * the texts below are what influxd 2.8 sent for three batches (web-1 at T with app ×2 and old,
 * at T + 5 s with app and `a\b 50%`, interval 5 s; `db \ 1` at T + 1 s with pg ×3, no interval),
 * as plain CSV (what the store asks for) and annotated (`#datatype`, `#group`, `#default`: the
 * result name only in `#default`). An error table, a name whose older instant comes later, a
 * system with no "first" row, and odd interval values are edits of them.
 */
import { describe, expect, it } from "vitest";
import { readLatest } from "../../../server/store/influx/watch-queries.ts";

const PLAIN =
  ",result,table,_time,name,system,_value\r\n,names,0,2026-04-07T03:00:00Z,app,web-1,1\r\n,names,0,2026-04-07T03:00:00Z,old,web-1,1\r\n,names,0,2026-04-07T03:00:01Z,pg,db %5C 1,3\r\n,names,0,2026-04-07T03:00:05Z,a%5Cb 50%25,web-1,1\r\n,names,0,2026-04-07T03:00:05Z,app,web-1,1\r\n\r\n,result,table,_time,system\r\n,first,0,2026-04-07T03:00:01Z,db %5C 1\r\n,first,0,2026-04-07T03:00:00Z,web-1\r\n\r\n,result,table,_time,_value,system\r\n,last,0,2026-04-07T03:00:01Z,0,db %5C 1\r\n,last,0,2026-04-07T03:00:05Z,5000,web-1\r\n\r\n";
const ANNOTATED =
  "#datatype,string,long,dateTime:RFC3339,string,string,long\r\n#group,false,false,false,false,false,false\r\n#default,names,,,,,\r\n,result,table,_time,name,system,_value\r\n,,0,2026-04-07T03:00:00Z,app,web-1,1\r\n,,0,2026-04-07T03:00:00Z,old,web-1,1\r\n,,0,2026-04-07T03:00:01Z,pg,db %5C 1,3\r\n,,0,2026-04-07T03:00:05Z,a%5Cb 50%25,web-1,1\r\n,,0,2026-04-07T03:00:05Z,app,web-1,1\r\n\r\n#datatype,string,long,dateTime:RFC3339,string\r\n#group,false,false,false,false\r\n#default,first,,,\r\n,result,table,_time,system\r\n,,0,2026-04-07T03:00:01Z,db %5C 1\r\n,,0,2026-04-07T03:00:00Z,web-1\r\n\r\n#datatype,string,long,dateTime:RFC3339,long,string\r\n#group,false,false,false,false,false\r\n#default,last,,,,\r\n,result,table,_time,_value,system\r\n,,0,2026-04-07T03:00:01Z,0,db %5C 1\r\n,,0,2026-04-07T03:00:05Z,5000,web-1\r\n\r\n";

const T = Date.parse("2026-04-07T03:00:00Z");
const EXPECTED = {
  systems: [
    { system_name: "db \\ 1", first: T + 1000, last: T + 1000, interval_ms: undefined },
    { system_name: "web-1", first: T, last: T + 5000, interval_ms: 5000 },
  ],
  names: [
    { system_name: "web-1", name: "app", last_seen: T + 5000, instances: 1 },
    { system_name: "web-1", name: "old", last_seen: T, instances: 1 },
    { system_name: "db \\ 1", name: "pg", last_seen: T + 1000, instances: 3 },
    { system_name: "web-1", name: "a\\b 50%", last_seen: T + 5000, instances: 1 },
  ],
};

describe("readLatest on influxd's answers", () => {
  it("reads the plain CSV the store asks for: systems with first, last and interval, names decoded with their newest count", () => {
    expect(readLatest(PLAIN)).toEqual(EXPECTED);
  });

  it("reads the annotated CSV the same, the result names coming from #default", () => {
    expect(readLatest(ANNOTATED)).toEqual(EXPECTED);
  });

  it("keeps a name's newest instant whatever order its rows come in", () => {
    // app at T with 2 instances, listed after its row at T + 5 s
    const later = PLAIN.replace(
      ",names,0,2026-04-07T03:00:05Z,app,web-1,1\r\n",
      ",names,0,2026-04-07T03:00:05Z,app,web-1,1\r\n,names,0,2026-04-07T03:00:00Z,app,web-1,2\r\n",
    ).replace(",names,0,2026-04-07T03:00:00Z,app,web-1,1\r\n", "");
    expect(readLatest(later).names[3]).toEqual({
      system_name: "web-1",
      name: "app",
      last_seen: T + 5000,
      instances: 1,
    });
    expect(readLatest(later).names).toHaveLength(4);
  });

  it("a system without a first row starts at its last; an interval of 0, none or not a number is no interval", () => {
    const noFirst = PLAIN.replace(",first,0,2026-04-07T03:00:00Z,web-1\r\n", "");
    expect(readLatest(noFirst).systems[1]).toEqual({
      system_name: "web-1",
      first: T + 5000,
      last: T + 5000,
      interval_ms: 5000,
    });
    for (const v of ["", "-5", "x"]) {
      const odd = PLAIN.replace(
        ",last,0,2026-04-07T03:00:05Z,5000,web-1",
        `,last,0,2026-04-07T03:00:05Z,${v},web-1`,
      );
      expect(readLatest(odd).systems[1]?.interval_ms, JSON.stringify(v)).toBeUndefined();
    }
  });

  it("ignores a result it does not know", () => {
    const other = `${PLAIN},result,table,_time,_value,system\r\n,other,0,2026-04-07T03:00:09Z,7,web-2\r\n\r\n`;
    expect(readLatest(other)).toEqual(EXPECTED);
  });

  it("throws the message of an error table (a query failing mid-stream)", () => {
    const failed = `${PLAIN.slice(0, PLAIN.indexOf("\r\n\r\n") + 4)},error,reference\r\n,"runtime error: out of memory, try less",\r\n\r\n`;
    expect(() => readLatest(failed)).toThrow("InfluxDB query failed: runtime error: out of memory, try less");
  });

  it("reads nothing from an empty answer", () => {
    expect(readLatest("")).toEqual({ systems: [], names: [] });
    expect(readLatest("\r\n")).toEqual({ systems: [], names: [] });
  });
});
