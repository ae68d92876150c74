/** The watches file (server/watch/file.ts): what it accepts, and one message per problem naming file, entry and field. */
import { describe, expect, it } from "vitest";
import { coversSystem, parseDuration, parseWatches, WatchesFileError } from "../../../server/watch/file.ts";

const problems = (text: string): string[] => {
  try {
    parseWatches(text, "w.yaml");
  } catch (err) {
    if (err instanceof WatchesFileError) return err.problems;
    throw err;
  }
  return [];
};

describe("watches file", () => {
  it("reads exact names, regular expressions (whole-name), system lists, patterns and all, defaults", () => {
    const [a, b, c] = parseWatches(
      [
        "watches:",
        "  - process_name: nginx",
        "    systems: all",
        "  - name: pg",
        "    process_name: '/postgres(: .*)?/'",
        "    systems: [db-1, db-2]",
        "    min_instances: 3",
        "    for: 1m30s",
        "  - process_name: /JAVA/i",
        "    systems: /web-\\d+/",
        "    for: 20",
      ].join("\n"),
      "w.yaml",
    );
    expect([a?.name, a?.min_instances, a?.for_ms, a?.process.exact]).toEqual([
      "nginx",
      1,
      undefined,
      "nginx",
    ]);
    expect([a?.process.test("nginx"), a?.process.test("nginx2")]).toEqual([true, false]);
    expect([b?.name, b?.min_instances, b?.for_ms]).toEqual(["pg", 3, 90_000]);
    expect(
      ["postgres", "postgres: wal writer", "postgresql", "xpostgres"].map((n) => b?.process.test(n)),
    ).toEqual([true, true, false, false]);
    expect(c?.process.test("java")).toBe(true);
    expect(c?.for_ms).toBe(20_000);
    expect(["web-1", "web-12", "web-x", "aweb-1"].map((s) => coversSystem(c as never, s))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(["db-1", "db-3"].map((s) => coversSystem(b as never, s))).toEqual([true, false]);
    expect(coversSystem(a as never, "anything")).toBe(true);
    expect(parseWatches("", "w.yaml")).toEqual([]);
  });

  it("durations", () => {
    expect(["500ms", "30s", "2m", "1h30m", "1d", "1.5s"].map(parseDuration)).toEqual([
      500, 30_000, 120_000, 5_400_000, 86_400_000, 1500,
    ]);
    expect(["", "5", "5x", "s", "1m 2s", "-1s"].map(parseDuration)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("names every problem: file, line, entry, field", () => {
    expect(
      problems(
        [
          "watches:",
          "  - process_name: ok",
          "    systems: all",
          "  - process_name: /a(/",
          "    systems: all",
          "  - process_name: b",
          "    systems: /[/",
          "    typo: 1",
          "  - systems: all",
          "  - process_name: c",
          "    systems: []",
          "    for: soon",
          "    min_instances: 1.5",
          "  - process_name: ok",
          "    systems: all",
        ].join("\n"),
      ),
    ).toEqual([
      "w.yaml:4: entry 2 (/a(/): field process_name: invalid regular expression /a(/: Invalid regular expression: /^(?:a()$/u: Unterminated group",
      "w.yaml:6: entry 3 (b): field systems: invalid regular expression /[/: Invalid regular expression: /^(?:[)$/u: Unterminated character class",
      "w.yaml:6: entry 3 (b): unknown field typo (allowed: name, process_name, systems, min_instances, for)",
      "w.yaml:9: entry 4: field process_name: Invalid input: expected string, received undefined",
      "w.yaml:10: entry 5 (c): field systems: Too small: expected array to have >=1 items",
      "w.yaml:10: entry 5 (c): field min_instances: Invalid input: expected int, received number",
      'w.yaml:10: entry 5 (c): field for: "soon" is not a duration like 30s, 2m or 1h30m',
      'w.yaml:14: entry 6 (ok): field name: "ok" is also entry 1\'s name; give each watch a distinct name',
    ]);
    expect(problems("watches: [a\n")).toEqual([
      "w.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    expect(problems("watch:\n  - process_name: x\n")).toEqual([
      'w.yaml: Unrecognized key: "watch" (expected a top-level "watches:" list)',
    ]);
    expect(problems("watches:\n  - nginx\n")).toEqual([
      "w.yaml:2: entry 1: Invalid input: expected object, received string",
    ]);
  });
});
