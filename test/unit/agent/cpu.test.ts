/** CPU percent per process instance: since the previous sample, or since it started. */
import { describe, expect, it } from "vitest";
import { CpuTracker } from "../../../agent/collect/cpu.ts";

describe("CpuTracker", () => {
  it("measures a newcomer over its life, then between samples", () => {
    const cpu = new CpuTracker(400);
    // 10 s of CPU over 100 s of life
    expect(cpu.percent(7, 10, 0, 100)).toBe(10);
    cpu.endSample();
    // 1.5 s more over the next 2 s
    expect(cpu.percent(7, 11.5, 0, 102)).toBe(75);
    cpu.endSample();
    // idle, or the clock did not move: 0, never negative or infinite
    expect(cpu.percent(7, 11.5, 0, 104)).toBe(0);
    cpu.endSample();
    expect(cpu.percent(7, 12, 0, 104)).toBe(0);
  });

  it("caps at the machine's ceiling and rounds to hundredths", () => {
    const cpu = new CpuTracker(200);
    expect(cpu.percent(1, 50, 0, 10)).toBe(200);
    expect(cpu.percent(2, 1, 0, 3)).toBe(33.33);
  });

  it("forgets processes missing from a sample; a reused pid (another start time) starts afresh", () => {
    const cpu = new CpuTracker(100);
    cpu.percent(9, 5, 0, 10);
    cpu.endSample();
    cpu.endSample(); // a sample without it
    expect(cpu.percent(9, 6, 0, 20)).toBe(30); // over its life again: 6 s / 20 s
    expect(cpu.percent(9, 1, 15, 20)).toBe(20); // the pid's next owner, 1 s / 5 s
  });
});
