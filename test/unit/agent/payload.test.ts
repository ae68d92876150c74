/** What the agent sends always passes the server's own schema. */
import { describe, expect, it } from "vitest";
import type { ProcessSample } from "../../../agent/collect/types.ts";
import { cleanLabel, toPayload, truncate } from "../../../agent/payload.ts";
import { SubmitIn } from "../../../server/schemas.ts";

const proc = (over: Partial<ProcessSample>): ProcessSample => ({
  pid: 42,
  parent_pid: 1,
  name: "x",
  cpu_percent: 1.5,
  memory_percent: 0.123456789,
  memory_rss: 4096,
  started_at: 1_700_000_000_000,
  user: "root",
  command: "x --flag",
  state: "sleeping",
  ...over,
});

describe("toPayload", () => {
  it("keeps a sample's timestamp and every field the server knows", () => {
    const payload = toPayload("box", { timestamp: 123, skipped: 0, processes: [proc({})] });
    expect(payload).toEqual({
      system_name: "box",
      timestamp: 123,
      processes: [
        {
          pid: 42,
          parent_pid: 1,
          name: "x",
          cpu_percent: 1.5,
          memory_percent: 0.1235,
          memory_rss: 4096,
          started_at: 1_700_000_000_000,
          user: "root",
          command: "x --flag",
          state: "sleeping",
        },
      ],
    });
  });

  it("carries the sampling interval in whole milliseconds (at least 1) when given", () => {
    const sample = { timestamp: 1, skipped: 0, processes: [proc({})] };
    expect(toPayload("box", sample, 5000).interval_ms).toBe(5000);
    expect(toPayload("box", sample, 100.4).interval_ms).toBe(100);
    expect(toPayload("box", sample, 0.2).interval_ms).toBe(1);
    expect(toPayload("box", sample)).not.toHaveProperty("interval_ms");
    expect(SubmitIn.safeParse(toPayload("box", sample, 2500)).error).toBeUndefined();
  });

  it("turns what the server refuses into what it accepts", () => {
    const long = "é".repeat(300);
    const payload = toPayload("box", {
      timestamp: 1,
      skipped: 0,
      processes: [
        proc({ name: "a\u0000b\u007f", user: "u\tv", command: "c".repeat(5000), state: "s".repeat(40) }),
        proc({ pid: 43, name: "", user: undefined, command: undefined, started_at: undefined }),
        proc({ pid: 44, name: long }),
      ],
    });
    expect(SubmitIn.safeParse(payload).error).toBeUndefined();
    expect(payload.processes.map((p) => p.name)).toEqual(["a\uFFFDb\uFFFD", "pid 43", "é".repeat(255)]);
    expect(payload.processes[0]?.command).toHaveLength(4096);
    expect(payload.processes[1]).not.toHaveProperty("user");
  });

  it("cuts text without splitting a surrogate pair", () => {
    expect(truncate("ab😀", 3)).toBe("ab");
    expect(truncate("ab😀", 4)).toBe("ab😀");
    expect(cleanLabel("\n".repeat(300))).toHaveLength(255);
  });
});
