/**
 * Edges of the stored stretch records (server/store/stretches.ts encodeStretches/decodeStretches)
 * that the mutation run of the records found untested (docs/testing.md): the short forms are
 * written only when they lose nothing — any stretch reads back exactly as it was, whichever one of
 * its fields rules the short form out — and a pair is kept from the previous stretch only when it
 * is the same pid and started_at, however many pairs follow.
 */
import { describe, expect, it } from "vitest";
import { decodeStretches, encodeStretches, type Stretch } from "../../../server/store/stretches.ts";
import { oneInstant } from "../../support/history.ts";

const D = Date.UTC(2026, 5, 1);
const H = 3_600_000;
/** A one-instant stretch at D + h hours, every pair seen once then. */
const at = (h: number, pairs: [number, number | null][], iv: number | undefined = 5000): Stretch =>
  oneInstant(D + h * H, pairs, iv);
const roundTrip = (day: Stretch[]) => decodeStretches("s", D, encodeStretches(day));

describe("stretch records, edges", () => {
  it("read back exactly any stretch the short form cannot say, whichever field rules it out", () => {
    const base = at(0, [
      [3, null],
      [4, D - 7],
    ]);
    const t = D + H;
    const off: Partial<Stretch>[] = [
      { samples: 2 },
      { end: t + 1000 },
      { iv_last: 6000 },
      { pids: [[3, null, t - 1000, t, 1]] },
      { pids: [[3, null, t, t + 1000, 1]] },
      { pids: [[3, null, t, t, 2]] },
      // its age (t − started_at) is 2^53 + 1, not a safe integer: written as the absolute instant
      { pids: [[3, t - 2 ** 53 - 1, t, t, 1]] },
    ];
    for (const o of off) {
      const day = [base, { ...at(1, [[3, null]]), ...o }];
      const text = encodeStretches(day);
      expect(JSON.parse(text)[1]).toHaveLength(6); // the whole form
      expect(decodeStretches("s", D, text)).toEqual(day);
    }
  });

  it("keeps a pair of the previous stretch only with the same pid and started_at", () => {
    // the same started_at (none, or the same millisecond), another pid
    const day = [at(0, [[20, null]]), at(1, [[21, null]]), at(2, [[30, D - 5]]), at(3, [[31, D - 5]])];
    expect(roundTrip(day)).toEqual(day);
  });

  it("lists the pairs that follow all of the previous stretch's", () => {
    const day = [
      at(0, [[10, D - 1]]),
      at(1, [[10, D - 1]]),
      at(2, [
        [10, D - 1],
        [11, D - 2],
      ]),
    ];
    const text = encodeStretches(day);
    expect(text).toBe(`[[0,5000,[],[10,1]],[${H},5000],[${2 * H},5000,[0],[11,${2 * H + 2}]]]`);
    expect(decodeStretches("s", D, text)).toEqual(day);
  });
});
