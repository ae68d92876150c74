/** How deeply JSON nests, counted on the text before parsing it. */
import { describe, expect, it } from "vitest";
import { jsonDepth } from "../../../server/http/body.ts";

describe("jsonDepth", () => {
  it("counts arrays and objects, not brackets inside strings", () => {
    expect(jsonDepth("")).toBe(0);
    expect(jsonDepth("42")).toBe(0);
    expect(jsonDepth('{"a": 1}')).toBe(1);
    expect(jsonDepth('{"processes": [{"pid": 1}]}')).toBe(3);
    expect(jsonDepth('{"name": "[[[{{{"}')).toBe(1);
    expect(jsonDepth('{"name": "a \\" [[[ \\\\", "b": [[]]}')).toBe(3);
    expect(jsonDepth(`${"[".repeat(100_000)}${"]".repeat(100_000)}`)).toBe(100_000);
  });

  it("agrees with the nesting JSON.parse sees", () => {
    const value = { a: [{ b: { c: ["x]", { d: "}}" }] } }] };
    expect(jsonDepth(JSON.stringify(value))).toBe(6);
  });
});
