/**
 * byCodePoint sorts names as InfluxDB and SQLite do (UTF-8 bytes = code points), judged by an
 * independent oracle (Buffer.compare of the UTF-8 forms), with the edges where UTF-16 order and
 * code-point order part: U+D7FF, U+E000, U+FFFF against astral characters (surrogate pairs).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byCodePoint } from "../../../server/store/influx/tags.ts";

const oracle = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe("byCodePoint", () => {
  it("orders the units around the surrogates as their code points", () => {
    const ascending = [
      "",
      "a",
      "\ud7ff",
      "\ue000",
      "\ue000a",
      "\uffff",
      "\u{10000}",
      "\u{1f680}",
      "\u{10ffff}",
    ];
    for (const [i, a] of ascending.entries()) {
      for (const [j, b] of ascending.entries()) {
        expect(Math.sign(byCodePoint(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
          Math.sign(i - j),
        );
        expect(oracle(a, b)).toBe(Math.sign(i - j));
      }
    }
  });

  it("agrees with UTF-8 byte order on any well-formed text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        return Math.sign(byCodePoint(a, b)) === oracle(a, b);
      }),
      { numRuns: 2000 },
    );
  });
});
