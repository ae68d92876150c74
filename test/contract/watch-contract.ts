/**
 * Expected-process watches over the store contract (issue 13): `latest()` answers the same on
 * every store, and so do the evaluator's states, transitions and event ids, and the down intervals
 * (server/watch/). Registered inside storeContract, so it runs on both stores.
 */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import type { BatchProcess, ProcessStore, SampleBatch } from "../../server/store/types.ts";
import { type Transition, transitionId, WatchEvaluator } from "../../server/watch/evaluate.ts";
import { parseWatches } from "../../server/watch/file.ts";
import { downIntervals } from "../../server/watch/intervals.ts";

const SEC = 1000;
const T0 = Date.parse("2026-03-05T08:00:00Z");
const p = (pid: number, name: string): BatchProcess => ({ pid, name, cpu_percent: 0.5, memory_percent: 0.1 });
const b = (
  system_name: string,
  timestamp: number,
  processes: BatchProcess[],
  interval_ms?: number,
): SampleBatch => ({
  system_name,
  timestamp,
  processes,
  ...(interval_ms === undefined ? {} : { interval_ms }),
});
const RULES = { default_gap_ms: 15 * SEC, crash_loop_restarts: 3, crash_loop_window_ms: 600 * SEC };
/** An evaluator on the store with the contract's settings, its clock read from `now`. */
const evaluatorOn = (store: ProcessStore, now: () => number): WatchEvaluator =>
  new WatchEvaluator({
    store,
    log: createLogger("silent"),
    now,
    defaultGapMs: 15 * SEC,
    lookbackMs: 600 * SEC,
    overlapMs: 10 * SEC,
  });

export function watchContract(store: () => ProcessStore): void {
  describe("watches: latest facts, states, transitions", () => {
    it("latest(): each system's first and last batch and interval; each name's last sighting and instances there", async () => {
      const s = store();
      const odd = 'w\\x "q"=1,2 \u00e9%5C';
      await s.write(b("a", T0, [p(1, "nginx"), p(2, "nginx"), p(3, odd)], 5000));
      await s.write(b("a", T0 + 5 * SEC, [p(1, "nginx"), p(3, odd)], 5000));
      await s.write(b("a", T0 + 5 * SEC, [p(1, "nginx"), p(3, odd)], 5000)); // a retry: same facts
      await s.write(b("a", T0 + 10 * SEC, [p(9, "sshd")]));
      await s.write(b("b", T0 + 2 * SEC, [p(4, "nginx"), p(5, "nginx"), p(6, "nginx")], 2000));
      await s.write(b("c", T0 - 60 * SEC, [p(7, "nginx")], 5000)); // before the range
      const got = await s.latest({ start: T0, stop: T0 + 60 * SEC });
      const systems = [...got.systems].sort((x, y) => x.system_name.localeCompare(y.system_name));
      expect(systems).toEqual([
        { system_name: "a", first: T0, last: T0 + 10 * SEC, interval_ms: undefined },
        { system_name: "b", first: T0 + 2 * SEC, last: T0 + 2 * SEC, interval_ms: 2000 },
      ]);
      const names = [...got.names].sort(
        (x, y) => x.system_name.localeCompare(y.system_name) || x.name.localeCompare(y.name),
      );
      expect(names).toEqual(
        [
          { system_name: "a", name: "nginx", last_seen: T0 + 5 * SEC, instances: 1 },
          { system_name: "a", name: "sshd", last_seen: T0 + 10 * SEC, instances: 1 },
          { system_name: "a", name: odd, last_seen: T0 + 5 * SEC, instances: 1 },
          { system_name: "b", name: "nginx", last_seen: T0 + 2 * SEC, instances: 3 },
        ].sort((x, y) => x.system_name.localeCompare(y.system_name) || x.name.localeCompare(y.name)),
      );
      // a system and names that need CSV quoting and tag encoding, read back as written
      const sys = 's,"1" %25\\ \u00e9';
      await s.write(b(sys, T0 + 20 * SEC, [p(1, 'n,"x"'), p(2, 'n,"x"'), p(3, "%5C\\")], 1000));
      await s.write(b(sys, T0 + 21 * SEC, [p(1, 'n,"x"'), p(3, "%5C\\")], 1000));
      const odd2 = await s.latest({ start: T0 + 20 * SEC, stop: T0 + 60 * SEC });
      expect(odd2.systems).toEqual([
        { system_name: sys, first: T0 + 20 * SEC, last: T0 + 21 * SEC, interval_ms: 1000 },
      ]);
      expect([...odd2.names].sort((x, y) => x.name.localeCompare(y.name))).toEqual(
        [
          { system_name: sys, name: 'n,"x"', last_seen: T0 + 21 * SEC, instances: 1 },
          { system_name: sys, name: "%5C\\", last_seen: T0 + 21 * SEC, instances: 1 },
        ].sort((x, y) => x.name.localeCompare(y.name)),
      );
      expect(await s.latest({ start: T0 + 11 * SEC, stop: T0 + 20 * SEC })).toEqual({
        systems: [],
        names: [],
      });
    });

    it("a process killed, then started again: down after `for` (3 intervals), up at its first sample back; exact ids", async () => {
      const s = store();
      let now = T0;
      const ev = evaluatorOn(s, () => now);
      ev.setWatches(
        parseWatches(
          "watches:\n  - process_name: nginx\n    systems: [web-1]\n  - name: workers\n    process_name: /worker-\\d+/\n    systems: /web-.*/\n    min_instances: 2\n    for: 7s\n",
          "w.yaml",
        ),
      );
      const all: Transition[] = [];
      // every 5 s: nginx until T0+20 s, then gone until T0+60 s, then back; two workers, one dies at T0+30 s
      const step = async (t: number) => {
        now = t;
        const procs = [p(100, "bash")];
        if (t <= T0 + 20 * SEC || t >= T0 + 60 * SEC) procs.push(p(1, "nginx"));
        procs.push(p(11, "worker-1"));
        if (t < T0 + 30 * SEC) procs.push(p(12, "worker-2"));
        await s.write(b("web-1", t, procs, 5000));
        all.push(...(await ev.evaluate()));
      };
      for (let t = T0; t <= T0 + 70 * SEC; t += 5 * SEC) await step(t);
      const state = () => ev.status().map((x) => [x.watch, x.state, x.since, x.instances]);
      expect(state()).toEqual([
        ["nginx", "up", T0 + 60 * SEC, 1],
        ["workers", "down", T0 + 25 * SEC, 1],
      ]);
      expect(all.map((t) => [t.type, t.watch, t.since, t.id])).toEqual([
        ["down", "nginx", T0 + 20 * SEC, transitionId("nginx", "web-1", "down", T0 + 20 * SEC)],
        ["down", "workers", T0 + 25 * SEC, transitionId("workers", "web-1", "down", T0 + 25 * SEC)],
        ["up", "nginx", T0 + 60 * SEC, transitionId("nginx", "web-1", "up", T0 + 60 * SEC)],
      ]);
      // nginx: its last sighting T0+20; down once the newest sample is 15 s later (T0+35)
      const down = all[0] as Transition;
      expect(down.at).toBe(T0 + 35 * SEC);
      expect([down.state, down.previous_state, down.last_seen, down.instances]).toEqual([
        "down",
        "up",
        T0 + 20 * SEC,
        0,
      ]);
      // for: 7s → down at the first sample at least 7 s after the last with 2 workers (T0+25 → T0+35)
      expect((all[1] as Transition).at).toBe(T0 + 35 * SEC);
      // the same from history: one interval, edges one interval wide
      const intervals = await downIntervals(
        s,
        {
          system_name: "web-1",
          names: ["nginx"],
          min_instances: 1,
          for_ms: 15 * SEC,
          range: { start: T0, stop: T0 + 71 * SEC },
        },
        RULES,
      );
      expect(intervals).toEqual([
        {
          start_earliest: T0 + 20 * SEC,
          start_latest: T0 + 25 * SEC,
          end_earliest: T0 + 55 * SEC,
          end_latest: T0 + 60 * SEC,
          system_silent: false,
        },
      ]);
    });

    it("a reload keeps the states of the watches that remain (no repeated event), drops the removed, evaluates the new", async () => {
      const s = store();
      let now = T0;
      const ev = evaluatorOn(s, () => now);
      ev.setWatches(
        parseWatches(
          "watches:\n  - process_name: nginx\n    systems: all\n  - process_name: cron\n    systems: all\n",
          "w.yaml",
        ),
      );
      const all: Transition[] = [];
      // two systems; nginx stops on web-2 after T0+10 s; a late system (web-0) starts at T0+40 s
      const step = async (t: number) => {
        now = t;
        await s.write(b("web-1", t, [p(1, "nginx"), p(2, "cron"), p(3, "worker-1")], 5000));
        await s.write(
          b("web-2", t, t <= T0 + 10 * SEC ? [p(1, "nginx"), p(2, "cron")] : [p(2, "cron")], 5000),
        );
        if (t >= T0 + 40 * SEC) await s.write(b("web-0", t, [p(4, "worker-7")], 5000));
        all.push(...(await ev.evaluate()));
      };
      for (let t = T0; t <= T0 + 30 * SEC; t += 5 * SEC) await step(t);
      expect(all.map((t) => [t.type, t.watch, t.system_name, t.since])).toEqual([
        ["down", "nginx", "web-2", T0 + 10 * SEC],
      ]);
      ev.setWatches(
        parseWatches(
          "watches:\n  - process_name: nginx\n    systems: all\n  - name: workers\n    process_name: /worker-\\d+/\n    systems: all\n",
          "w.yaml",
        ),
      );
      for (let t = T0 + 35 * SEC; t <= T0 + 60 * SEC; t += 5 * SEC) await step(t);
      // nginx on web-2 stays down without a second event; web-0 (new) never ran nginx; workers: web-2 never ran one
      expect(all.map((t) => [t.type, t.watch, t.system_name, t.since])).toEqual([
        ["down", "nginx", "web-2", T0 + 10 * SEC],
        ["never_seen", "workers", "web-2", T0],
        ["never_seen", "nginx", "web-0", T0 + 40 * SEC], // once web-0 has reported for `for`
      ]);
      expect(ev.status().map((x) => [x.watch, x.system_name, x.state, x.since, x.instances])).toEqual([
        ["nginx", "web-0", "never_seen", T0 + 40 * SEC, 0],
        ["nginx", "web-1", "up", null, 1],
        ["nginx", "web-2", "down", T0 + 10 * SEC, 0],
        ["workers", "web-0", "up", null, 1],
        ["workers", "web-1", "up", null, 1],
        ["workers", "web-2", "never_seen", T0, 0],
      ]);
    });

    it("a silent system is system_silent (not down), and system_back when it reports again; never_seen after `for`", async () => {
      const s = store();
      let now = T0;
      const ev = evaluatorOn(s, () => now);
      ev.setWatches(parseWatches("watches:\n  - process_name: cron\n    systems: all\n", "w.yaml"));
      const all: Transition[] = [];
      const at = async (t: number, write: boolean, withCron: boolean) => {
        now = t;
        if (write) await s.write(b("db", t, withCron ? [p(1, "cron"), p(2, "init")] : [p(2, "init")], 5000));
        all.push(...(await ev.evaluate()));
      };
      for (let t = T0; t <= T0 + 20 * SEC; t += 5 * SEC) await at(t, true, true);
      await at(T0 + 40 * SEC, false, false); // nothing since T0+20: silent (more than 15 s)
      expect(ev.status()[0]?.state).toBe("system_silent");
      // reboot: it reports again, without cron, for 15 s → system_back, then down (it had run before)
      for (let t = T0 + 45 * SEC; t <= T0 + 60 * SEC; t += 5 * SEC) await at(t, true, false);
      expect(all.map((t) => [t.type, t.since])).toEqual([
        ["system_silent", T0 + 20 * SEC],
        ["system_back", T0 + 45 * SEC],
        ["down", T0 + 20 * SEC],
      ]);
      // down intervals: the gap is partly silent, partly not: down, not silent throughout
      const intervals = await downIntervals(
        s,
        {
          system_name: "db",
          names: ["cron"],
          min_instances: 1,
          for_ms: 15 * SEC,
          range: { start: T0, stop: T0 + 61 * SEC },
        },
        RULES,
      );
      expect(intervals).toEqual([
        {
          start_earliest: T0 + 20 * SEC,
          start_latest: T0 + 25 * SEC,
          end_earliest: null,
          end_latest: null,
          system_silent: false,
        },
      ]);

      // a second server started later on the same store: same states, and "never seen" for a new system
      await s.write(b("fresh", T0 + 60 * SEC, [p(3, "init")], 5000));
      const other = evaluatorOn(s, () => now);
      other.setWatches(parseWatches("watches:\n  - process_name: cron\n    systems: all\n", "w.yaml"));
      await other.evaluate();
      expect(other.status().map((x) => [x.system_name, x.state, x.since])).toEqual([
        ["db", "down", T0 + 20 * SEC],
        ["fresh", "never_seen", T0 + 60 * SEC],
      ]);
      const later: Transition[] = [];
      for (let t = T0 + 65 * SEC; t <= T0 + 75 * SEC; t += 5 * SEC) {
        now = t;
        await s.write(b("fresh", t, [p(3, "init")], 5000));
        later.push(...(await other.evaluate()));
      }
      // after its start-up grace (`for`) it announces what it found: the same id as the first server's "down"
      expect(later.map((t) => [t.type, t.system_name, t.since, t.id])).toEqual([
        ["down", "db", T0 + 20 * SEC, (all[2] as Transition).id],
        ["never_seen", "fresh", T0 + 60 * SEC, transitionId("cron", "fresh", "never_seen", T0 + 60 * SEC)],
      ]);
    });
  });
}
