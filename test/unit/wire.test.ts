/** The wire rules (common/wire.ts) and the two sides that apply them: the server refuses, the agent cleans. */
import { describe, expect, it } from "vitest";
import { cleanLabel, truncate } from "../../agent/payload.ts";
import {
  COMMAND_MAX,
  CONTROL_CHARS,
  DATE,
  isStorableInstant,
  isWellFormed,
  LAST_STORABLE_MS,
  NAME_MAX,
  NO_CONTROL,
  TIME_OF_DAY,
} from "../../common/wire.ts";
import { SubmitIn } from "../../server/schemas.ts";

const submit = (name: string, command = "c") =>
  SubmitIn.safeParse({
    system_name: "s",
    processes: [{ pid: 1, name, command, cpu_percent: 0, memory_percent: 0 }],
  }).success;

describe("wire rules", () => {
  it("control characters, well-formed text, instants, patterns", () => {
    expect(NO_CONTROL.test("tab\there")).toBe(false);
    expect(NO_CONTROL.test("DEL\u007f")).toBe(false);
    expect(NO_CONTROL.test("é 東京 🚀 \u0080")).toBe(true);
    expect("a\nb\u0000c".replace(CONTROL_CHARS, "?")).toBe("a?b?c");
    expect(isWellFormed("🚀")).toBe(true);
    expect(isWellFormed("\ud83d")).toBe(false);
    expect(isWellFormed("x\ude80")).toBe(false);
    expect([isStorableInstant(-1), isStorableInstant(0), isStorableInstant(LAST_STORABLE_MS)]).toEqual([
      false,
      true,
      true,
    ]);
    expect(isStorableInstant(LAST_STORABLE_MS + 1)).toBe(false);
    expect(new Date(LAST_STORABLE_MS).toISOString()).toBe("2262-04-11T23:47:16.853Z");
    expect(["00:00", "23:59:59", "24:00", "7:00"].map((t) => TIME_OF_DAY.test(t))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(["2026-01-15", "2026-1-15"].map((d) => DATE.test(d))).toEqual([true, false]);
  });

  it("what the server refuses, the agent cleans into something it accepts", () => {
    const long = "n".repeat(NAME_MAX + 1);
    expect(submit(long)).toBe(false);
    expect(submit(cleanLabel(long))).toBe(true);
    expect(cleanLabel(long)).toHaveLength(NAME_MAX);
    expect(submit("kworker\n/0")).toBe(false);
    expect(submit(cleanLabel("kworker\n/0"))).toBe(true);
    // a surrogate pair at the cut is not split into a lone surrogate
    const emoji = `${"e".repeat(NAME_MAX - 1)}🚀`;
    expect(submit(cleanLabel(emoji))).toBe(true);
    expect(submit("x", "c".repeat(COMMAND_MAX + 1))).toBe(false);
    expect(submit("x", truncate("c".repeat(COMMAND_MAX + 1), COMMAND_MAX))).toBe(true);
  });
});
