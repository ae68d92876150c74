/**
 * The one line-protocol encoder (server/store/influx/line-protocol.ts), byte for byte. That InfluxDB
 * reads these lines back exactly is the contract suite's job (test/contract/); this pins the text.
 */
import { describe, expect, it } from "vitest";
import {
  assignSlots,
  encodeBatch,
  floatValue,
  instantNs,
  intValue,
  rowOrder,
  stringValue,
  tagValue,
} from "../../../server/store/influx/line-protocol.ts";
import type { BatchProcess } from "../../../server/store/types.ts";

const p = (pid: number, name: string, extra: Partial<BatchProcess> = {}): BatchProcess => ({
  pid,
  name,
  cpu_percent: 1.5,
  memory_percent: 0.25,
  ...extra,
});

describe("line protocol values", () => {
  it("escapes tag values: `\\` and `%` percent-encoded, then comma, equals and space", () => {
    expect(tagValue("a b,c=d")).toBe("a\\ b\\,c\\=d");
    expect(tagValue("x\\")).toBe("x%5C");
    expect(tagValue("50% C:\\x")).toBe("50%25\\ C:%5Cx");
    expect(() => tagValue("a\nb")).toThrow(
      expect.objectContaining({
        name: "StorageRefusedError",
        message: "must not contain a line break",
        field: "name",
      }),
    );
  });

  it('quotes strings, escaping `\\` and `"` (a trailing backslash too), keeping newlines', () => {
    expect(stringValue('say "hi" \\')).toBe('"say \\"hi\\" \\\\"');
    expect(stringValue("a\nb")).toBe('"a\nb"');
  });

  it("writes integers in full with an i, floats as shortest decimals, and refuses non-finite", () => {
    expect(intValue(17_179_869_184)).toBe("17179869184i");
    expect(intValue(1e21)).toBe("1000000000000000000000i");
    expect(intValue(0)).toBe("0i");
    expect(intValue(-0.5)).toBe("0i");
    expect(intValue(-42.9)).toBe("-42i");
    expect(intValue(2 ** 60)).toBe("1152921504606846976i");
    expect(floatValue(2)).toBe("2");
    expect(floatValue(12.345678901234)).toBe("12.345678901234");
    expect(() => floatValue(Number.NaN)).toThrow(new RangeError("not a finite number: NaN"));
    expect(() => intValue(Number.POSITIVE_INFINITY)).toThrow(new RangeError("not a finite number: Infinity"));
    expect(() => intValue(Number.NaN)).toThrow(new RangeError("not a finite number: NaN"));
  });

  it("writes an instant as nanosecond digits: ms then six digits of ns", () => {
    expect(instantNs(1_700_000_000_123)).toBe("1700000000123000000");
    expect(instantNs(1_700_000_000_123, 42)).toBe("1700000000123000042");
    expect(instantNs(0, 7)).toBe("7");
    expect(instantNs(0)).toBe("0");
    expect(instantNs(5, 1)).toBe("5000001");
    // before 1970: the sign kept, no zero cut from the digits
    expect(instantNs(-5)).toBe("-5000000");
    expect(instantNs(-5, 12)).toBe("-5000012");
  });
});

describe("slots and row order", () => {
  it("gives same-named processes slots by ascending pid, whatever their order in the batch", () => {
    expect(assignSlots([p(30, "w"), p(1, "init"), p(10, "w"), p(20, "w")])).toEqual([2, 0, 0, 1]);
    expect(assignSlots([p(20, "w"), p(10, "w"), p(30, "w"), p(1, "init")])).toEqual([1, 0, 2, 0]);
  });

  it("refuses one (name, pid) twice, and allows one pid under two names", () => {
    expect(() => assignSlots([p(9, "dup"), p(1, "x"), p(9, "dup")])).toThrow(
      expect.objectContaining({
        name: "StorageRefusedError",
        message: 'process (name "dup", pid 9) appears twice in one batch',
        field: "processes",
      }),
    );
    expect(assignSlots([p(9, "a"), p(9, "b")])).toEqual([0, 0]);
  });

  it("orders rows by name in code-point order, then pid numerically", () => {
    const ps = [p(10, "b"), p(9, "b"), p(100, "b"), p(1, "😀"), p(2, "\uff01"), p(3, "B")];
    expect(rowOrder(ps).map((i) => `${ps[i]?.name}/${ps[i]?.pid}`)).toEqual([
      "B/3",
      "b/9",
      "b/10",
      "b/100",
      "\uff01/2",
      "😀/1",
    ]);
  });
});

describe("encodeBatch", () => {
  it("writes each sample, its row copy in row order a nanosecond apart, and the batch point", () => {
    const text = encodeBatch({
      system_name: "web 1",
      timestamp: 1_700_000_000_123,
      processes: [
        p(20, "nginx", { user: "www", command: 'nginx: "worker" \\', memory_rss: 0 }),
        p(10, "nginx", { user: "", state: "S", started_at: 1_600_000_000_000, parent_pid: 1 }),
      ],
    });
    expect(text.split("\n")).toEqual([
      'sample,name=nginx,slot=1,system=web\\ 1 pid=20i,cpu_percent=1.5,memory_percent=0.25,memory_rss=0i,user="www",command="nginx: \\"worker\\" \\\\" 1700000000123000000',
      'sample,name=nginx,slot=0,system=web\\ 1 pid=10i,cpu_percent=1.5,memory_percent=0.25,started_at=1600000000000i,parent_pid=1i,state="S" 1700000000123000000',
      'row,system=web\\ 1 name="nginx",pid=10i,cpu_percent=1.5,memory_percent=0.25,started_at=1600000000000i,parent_pid=1i,state="S" 1700000000123000000',
      'row,system=web\\ 1 name="nginx",pid=20i,cpu_percent=1.5,memory_percent=0.25,memory_rss=0i,user="www",command="nginx: \\"worker\\" \\\\" 1700000000123000001',
      "batch,system=web\\ 1 processes=2i,interval_ms=0i 1700000000123000000",
      "",
    ]);
  });

  it("drops carriage returns and leaves out strings that end up empty", () => {
    const text = encodeBatch({
      system_name: "s",
      timestamp: 1,
      processes: [p(1, "x", { command: "a\r\nb", user: "\r" })],
    });
    expect(text).toContain('command="a\nb"');
    expect(text).not.toContain("user=");
  });
});

describe("encodeBatch, every field", () => {
  it("writes every optional field under its own key and kind, in SAMPLE_FIELDS order, and the interval sent", () => {
    const all = p(7, "app", {
      memory_rss: 1_048_576,
      started_at: 1_600_000_000_000,
      parent_pid: 1,
      user: "u",
      command: "c",
      state: "R",
      num_threads: 12,
      cpu_user_seconds: 3,
      cpu_system_seconds: 0.25,
      minor_faults: 1_000,
      major_faults: 2,
      memory_vms: 2 ** 40,
    });
    const fields =
      'pid=7i,cpu_percent=1.5,memory_percent=0.25,memory_rss=1048576i,started_at=1600000000000i,parent_pid=1i,user="u",command="c",state="R",num_threads=12i,cpu_user_seconds=3,cpu_system_seconds=0.25,minor_faults=1000i,major_faults=2i,memory_vms=1099511627776i';
    expect(
      encodeBatch({ system_name: "s", timestamp: 5, interval_ms: 10_000, processes: [all] }).split("\n"),
    ).toEqual([
      `sample,name=app,slot=0,system=s ${fields} 5000000`,
      `row,system=s name="app",${fields} 5000000`,
      "batch,system=s processes=1i,interval_ms=10000i 5000000",
      "",
    ]);
  });

  it("leaves out a numeric field that is not a number, as the schema would never let through", () => {
    const odd = p(7, "app", { memory_rss: "12" as never, num_threads: true as never });
    expect(encodeBatch({ system_name: "s", timestamp: 5, processes: [odd] }).split("\n")[0]).toBe(
      "sample,name=app,slot=0,system=s pid=7i,cpu_percent=1.5,memory_percent=0.25 5000000",
    );
  });

  it("leaves out fields that are absent or null, whichever they are", () => {
    const none = Object.fromEntries(
      [
        "memory_rss",
        "started_at",
        "parent_pid",
        "user",
        "command",
        "state",
        "num_threads",
        "cpu_user_seconds",
        "cpu_system_seconds",
        "minor_faults",
        "major_faults",
        "memory_vms",
      ].map((k) => [k, null]),
    ) as Partial<BatchProcess>;
    expect(encodeBatch({ system_name: "s", timestamp: 5, processes: [p(7, "app", none)] })).toBe(
      "sample,name=app,slot=0,system=s pid=7i,cpu_percent=1.5,memory_percent=0.25 5000000\n" +
        'row,system=s name="app",pid=7i,cpu_percent=1.5,memory_percent=0.25 5000000\n' +
        "batch,system=s processes=1i,interval_ms=0i 5000000\n",
    );
  });

  it("refuses a batch of a million processes or more before encoding any, as the row copy has six ns digits", () => {
    const processes = new Array<BatchProcess>(1_000_000).fill(p(1, "same"));
    expect(() => encodeBatch({ system_name: "s", timestamp: 5, processes })).toThrow(
      expect.objectContaining({ message: "at most 999 999 processes in one batch", field: "processes" }),
    );
  });
});
