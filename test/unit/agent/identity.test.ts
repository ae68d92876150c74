/** User and command line read once per process instance, re-read on a staggered beat. */
import { describe, expect, it } from "vitest";
import { type Identity, IdentityCache } from "../../../agent/collect/identity.ts";

describe("IdentityCache", () => {
  const identity = (command: string): Identity => ({ uid: 1000, command, argv0: command });

  it("loads once per instance and re-reads every n-th sample, staggered by pid", () => {
    const cache = new IdentityCache(3);
    const loads: number[] = [];
    const get = (pid: number, comm: string) =>
      cache.get(pid, 100, comm, () => {
        loads.push(pid);
        return identity(`cmd ${pid} #${loads.length}`);
      });
    const seen: string[] = [];
    for (let sample = 0; sample < 6; sample++) {
      seen.push(get(4, "comm").command);
      get(5, "comm");
      cache.endSample();
    }
    // pid 4 is due when (4 + sample) % 3 === 0: samples 2 and 5; pid 5 at 1 and 4.
    expect(loads).toEqual([4, 5, 5, 4, 5, 4]);
    expect(seen).toEqual(["cmd 4 #1", "cmd 4 #1", "cmd 4 #4", "cmd 4 #4", "cmd 4 #4", "cmd 4 #6"]);
  });

  it("re-reads when start time or comm change (exec, reused pid) and forgets processes not seen", () => {
    const cache = new IdentityCache(1000);
    let n = 0;
    const load = () => identity(`v${++n}`);
    expect(cache.get(1, 100, "a", load).command).toBe("v1");
    cache.endSample();
    expect(cache.get(1, 100, "a", load).command).toBe("v1");
    expect(cache.get(1, 100, "b", load).command).toBe("v2");
    expect(cache.get(1, 200, "b", load).command).toBe("v3");
    cache.endSample();
    cache.endSample(); // pid 1 not in this sample
    expect(cache.get(1, 200, "b", load).command).toBe("v4");
  });
});
