/** The per-token write limit: a token bucket refilled continuously. */
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../server/ratelimit.ts";

describe("RateLimiter", () => {
  it("lets a full minute's worth through at once, then says how long to wait", () => {
    let now = 0;
    const limiter = new RateLimiter(6, () => now);
    expect(Array.from({ length: 6 }, () => limiter.take("a"))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(limiter.take("a")).toBe(10); // one token per 10 s
    now = 4000;
    expect(limiter.take("a")).toBe(6); // 0.4 token refilled: 6 s to go
    now = 10_000;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("b")).toBe(0); // every key has its own bucket
  });

  it("never refills beyond a minute's worth; 0 per minute means no limit", () => {
    let now = 0;
    const limiter = new RateLimiter(2, () => now);
    now = 3_600_000;
    expect([limiter.take("k"), limiter.take("k"), limiter.take("k")]).toEqual([0, 0, 30]);
    const off = new RateLimiter(0, () => now);
    expect(Array.from({ length: 1000 }, () => off.take("k")).every((w) => w === 0)).toBe(true);
  });

  it("waits at least 1 s when a token is almost there", () => {
    let now = 0;
    const limiter = new RateLimiter(60_000, () => now);
    for (let i = 0; i < 60_000; i++) limiter.take("k");
    now = 0.5;
    expect(limiter.take("k")).toBe(1);
  });
});
