/** Tag values as stored in InfluxDB: backslashes and percent signs percent-encoded, exactly reversible. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeTag, encodeTag } from "../../../server/store/influx/tags.ts";

describe("encodeTag / decodeTag", () => {
  it("encodes only % and \\", () => {
    expect(encodeTag("C:\\Windows\\x.exe")).toBe("C:%5CWindows%5Cx.exe");
    expect(encodeTag("100%")).toBe("100%25");
    expect(encodeTag("x\\")).toBe("x%5C");
    expect(encodeTag('plain, spaced = "quoted" 東京 🚀')).toBe('plain, spaced = "quoted" 東京 🚀');
    expect(decodeTag("%255C")).toBe("%5C"); // an encoded "%5C" text stays text
    expect(decodeTag(encodeTag("%5C\\"))).toBe("%5C\\");
  });

  it("round-trips any text, and the encoded form has no backslash", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const encoded = encodeTag(s);
        return decodeTag(encoded) === s && !encoded.includes("\\");
      }),
      { numRuns: 2000 },
    );
  });
});
