/** Stored facts → the API's JSON: durations as the old service wrote them, sample rows. */
import { describe, expect, it } from "vitest";
import { humanDuration, iso, sampleJson } from "../../../server/format.ts";

describe("humanDuration (Python's str(timedelta))", () => {
  it.each([
    [0, "0:00:00"],
    [59.99, "0:00:59"],
    [3661, "1:01:01"],
    [86_399, "23:59:59"],
    [86_400, "1 day, 0:00:00"],
    [2 * 86_400 + 3600 + 5, "2 days, 1:00:05"],
    [400 * 86_400, "400 days, 0:00:00"],
    [-5, "0:00:00"],
  ])("%s s → %s", (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe("sampleJson", () => {
  it("writes instants as ISO-8601 and leaves out what was never sent", () => {
    expect(
      sampleJson({
        system_name: "s",
        pid: 1,
        name: "n",
        cpu_percent: 1.5,
        memory_percent: 0.25,
        timestamp: 0,
      }),
    ).toEqual({
      system_name: "s",
      pid: 1,
      name: "n",
      cpu_percent: 1.5,
      memory_percent: 0.25,
      timestamp: "1970-01-01T00:00:00.000Z",
    });
    expect(
      sampleJson({
        system_name: "s",
        pid: 1,
        name: "n",
        cpu_percent: 0,
        memory_percent: 0,
        timestamp: 1000,
        started_at: 500,
        memory_rss: 0,
        user: "",
        parent_pid: 0,
      }),
    ).toMatchObject({ started_at: iso(500), memory_rss: 0, user: "", parent_pid: 0 });
  });
});
