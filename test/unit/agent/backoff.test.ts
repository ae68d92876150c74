/** Exponential backoff with jitter: each wait in [d/2, d], d doubling up to the cap. */
import { describe, expect, it } from "vitest";
import { Backoff } from "../../../agent/backoff.ts";

describe("Backoff", () => {
  it("doubles up to the cap, the jitter spanning half of each step", () => {
    const top = new Backoff(1000, 30_000, () => 1);
    expect(Array.from({ length: 7 }, () => top.next())).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(top.attempts).toBe(7);
    const bottom = new Backoff(1000, 30_000, () => 0);
    expect(Array.from({ length: 3 }, () => bottom.next())).toEqual([500, 1000, 2000]);
    const middle = new Backoff(1000, 30_000, () => 0.5);
    expect(middle.next()).toBe(750);
  });

  it("starts over after reset()", () => {
    const b = new Backoff(200, 1000, () => 1);
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(200);
  });
});
