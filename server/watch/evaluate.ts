/**
 * Watch evaluation (docs/watches.md): every period, the newest facts from the store (what each
 * system sent last, and each watched name's last sighting and instance count) decide each
 * (watch, system)'s state; a change of state is a transition, sent as a webhook event.
 *
 * Everything a state and a transition's `since` depend on comes from the data, never from this
 * server's clock, except whether a system is silent (its last sample is older than 3 of its
 * intervals *now*). So every server on one store computes the same states and the same event ids.
 *
 * A starting server reads WATCH_LOOKBACK_SECONDS of history once; after that each evaluation reads
 * only what arrived since the previous one (plus an overlap for batches delivered late).
 */
import { createHash } from "node:crypto";
import type { Logger } from "../log.ts";
import { runEnded, sampleSpacing } from "../store/runs.ts";
import type { LatestFacts, ProcessStore } from "../store/types.ts";
import { coversSystem, type Watch } from "./file.ts";

type WatchState = "up" | "down" | "never_seen" | "system_silent";
export type TransitionType = "up" | "down" | "never_seen" | "system_silent" | "system_back";

export interface WatchStatus {
  watch: string;
  process_name: string;
  system_name: string;
  state: WatchState;
  /** Data-derived: up since the first sighting, down since the last, silent since the last sample. */
  since: number | null;
  last_seen: number | null;
  /** Processes matching the watch in the system's newest sample. */
  instances: number;
  min_instances: number;
  /** The effective `for` (3 of the system's sampling intervals unless the watch says). */
  for_ms: number;
}

export interface Transition {
  /** Deterministic: a hash of watch, system, type and since (servers on one store agree). */
  id: string;
  type: TransitionType;
  watch: string;
  system_name: string;
  process_name: string;
  /** When this server saw it (its clock; the only field two servers may differ in). */
  at: number;
  since: number | null;
  last_seen: number | null;
  instances: number;
  min_instances: number;
  state: WatchState;
  previous_state: WatchState | null;
}

interface SystemFacts {
  last: number;
  interval_ms: number | undefined;
  /** The first sample of its current stretch of reporting (after silence, or in the lookback). */
  reporting_since: number;
}

interface NameFacts {
  last_seen: number;
  instances: number;
}

interface Memory {
  status: WatchStatus;
  /** The last instant it ran with at least min_instances. */
  last_ok: number | undefined;
}

export interface EvaluatorOptions {
  store: ProcessStore;
  log: Logger;
  now: () => number;
  /** RUN_GAP_SECONDS × 1000: the allowance for samples sent without an interval. */
  defaultGapMs: number;
  lookbackMs: number;
  /** Batches delivered up to this late still count (the overlap of consecutive reads). */
  overlapMs: number;
}

/** Sampling instants ahead of this server's clock still count (an agent's clock may run ahead). */
const FUTURE_MS = 60_000;

export function transitionId(
  watch: string,
  system: string,
  type: TransitionType,
  since: number | null,
): string {
  return createHash("sha256")
    .update(JSON.stringify([watch, system, type, since]))
    .digest("hex")
    .slice(0, 32);
}

export class WatchEvaluator {
  private watches: Watch[] = [];
  /**
   * Systems and names are numbered once, as they come, so that the evaluation of every (watch,
   * system) indexes arrays instead of looking strings up in maps (docs/watches.md, "Cost").
   * A system listed by a watch that never reported has an id and no facts.
   */
  private readonly systemIds = new Map<string, number>();
  private readonly systemNames: string[] = [];
  private readonly systemFacts: (SystemFacts | undefined)[] = [];
  /** Names some watch matched when they came (kept, on any system); its version changes when one is added. */
  private readonly nameIds = new Map<string, number>();
  private readonly nameList: string[] = [];
  /** system id → name id → the name's facts on that system. */
  private readonly facts: (NameFacts | undefined)[][] = [];
  /** Whether any watch matches a name (cached; cleared when watches change or it grows large). */
  private relevant = new Map<string, boolean>();
  private namesVersion = 0;
  private systemsVersion = 0;
  private matchCache = new WeakMap<Watch, { version: number; ids: number[] }>();
  private systemsCache = new WeakMap<Watch, { version: number; ids: number[] }>();
  /** watch name → system id → its state and last good instant. */
  private readonly memory = new Map<string, (Memory | undefined)[]>();
  private cursor: number | undefined;
  private readonly startedAt: number;
  private current: WatchStatus[] = [];
  /** When the states were last evaluated (this server's clock). */
  evaluatedAt: number | undefined;

  constructor(private readonly opts: EvaluatorOptions) {
    this.startedAt = opts.now();
  }

  /** Replaces the watches; states of watches that remain (same name) are kept. */
  setWatches(watches: Watch[]): void {
    this.watches = watches;
    this.relevant = new Map();
    this.cursor = undefined; // a new watch may need names we did not keep: read the lookback again
    const names = new Set(watches.map((w) => w.name));
    for (const key of this.memory.keys()) if (!names.has(key)) this.memory.delete(key);
  }

  list(): readonly Watch[] {
    return this.watches;
  }

  /** The states as of the last evaluation, by watch then system. */
  status(): readonly WatchStatus[] {
    return this.current;
  }

  private isRelevant(name: string): boolean {
    let r = this.relevant.get(name);
    if (r === undefined) {
      r = this.watches.some((w) => w.process.test(name));
      if (this.relevant.size >= 100_000) this.relevant.clear();
      this.relevant.set(name, r);
    }
    return r;
  }

  private systemId(name: string): number {
    let id = this.systemIds.get(name);
    if (id === undefined) {
      id = this.systemNames.length;
      this.systemIds.set(name, id);
      this.systemNames.push(name);
    }
    return id;
  }

  private system(name: string): SystemFacts | undefined {
    const id = this.systemIds.get(name);
    return id === undefined ? undefined : this.systemFacts[id];
  }

  private merge(facts: LatestFacts): void {
    for (const f of facts.systems) {
      const id = this.systemId(f.system_name);
      const prev = this.systemFacts[id];
      if (!prev) {
        this.systemFacts[id] = { last: f.last, interval_ms: f.interval_ms, reporting_since: f.first };
        this.systemsVersion += 1;
        continue;
      }
      if (f.last < prev.last) continue;
      const { allowance } = sampleSpacing(prev.interval_ms, this.opts.defaultGapMs);
      if (f.first > prev.last && !runEnded(prev.last, f.first, allowance + 1)) {
        // continuous reporting
      } else if (f.first > prev.last) {
        prev.reporting_since = f.first; // it was silent in between: a new stretch (a reboot?)
      }
      prev.last = f.last;
      prev.interval_ms = f.interval_ms;
    }
    for (const f of facts.names) {
      if (!this.isRelevant(f.name)) continue;
      const sid = this.systemId(f.system_name);
      let nid = this.nameIds.get(f.name);
      if (nid === undefined) {
        nid = this.nameList.length;
        this.nameIds.set(f.name, nid);
        this.nameList.push(f.name);
        this.namesVersion += 1;
      }
      let known = this.facts[sid];
      if (!known) {
        known = [];
        this.facts[sid] = known;
      }
      const prev = known[nid];
      if (!prev) known[nid] = { last_seen: f.last_seen, instances: f.instances };
      else if (f.last_seen >= prev.last_seen) {
        prev.last_seen = f.last_seen;
        prev.instances = f.instances;
      }
    }
  }

  /** The names seen on a system (in the lookback and since) that a watch matches. */
  namesOn(watch: Watch, system: string): string[] {
    if (watch.process.exact !== undefined) return [watch.process.exact];
    const id = this.systemIds.get(system);
    const known = id === undefined ? undefined : this.facts[id];
    const out: string[] = [];
    known?.forEach((f, nid) => {
      const name = this.nameList[nid] as string;
      if (f && watch.process.test(name)) out.push(name);
    });
    return out;
  }

  /** The ids of the names a watch matches among those kept (on any system); cached until a new name comes. */
  private matchedNames(watch: Watch): number[] {
    let cached = this.matchCache.get(watch);
    if (!cached || cached.version !== this.namesVersion) {
      const exact = watch.process.exact;
      let ids: number[];
      if (exact !== undefined) {
        const id = this.nameIds.get(exact);
        ids = id === undefined ? [] : [id];
      } else {
        ids = [];
        this.nameList.forEach((n, id) => {
          if (watch.process.test(n)) ids.push(id);
        });
      }
      cached = { version: this.namesVersion, ids };
      this.matchCache.set(watch, cached);
    }
    return cached.ids;
  }

  /** The ids of the systems a watch covers, sorted by name; cached until a new system comes. */
  private systemsOf(watch: Watch): number[] {
    let cached = this.systemsCache.get(watch);
    if (!cached || cached.version !== this.systemsVersion) {
      const known = this.systemNames.filter((s, id) => this.systemFacts[id] && coversSystem(watch, s));
      const listed = !watch.systems.all && "names" in watch.systems ? watch.systems.names : [];
      const ids = [...new Set([...known, ...listed])].sort().map((s) => this.systemId(s));
      cached = { version: this.systemsVersion, ids };
      this.systemsCache.set(watch, cached);
    }
    return cached.ids;
  }

  /**
   * One evaluation: read, decide, and return the transitions (in order per (watch, system)).
   * Rejects when storage cannot be read; the states then stay as they were.
   *
   * The range read is what is new: from the oldest "newest sample" among reporting systems (so a
   * steady fleet costs one sample per system), but never before the previous read minus the overlap.
   */
  async evaluate(): Promise<Transition[]> {
    const now = this.opts.now();
    let start = now - this.opts.lookbackMs;
    if (this.cursor !== undefined) {
      start = this.cursor - this.opts.overlapMs;
      let oldest = Number.POSITIVE_INFINITY;
      for (const sys of this.systemFacts) {
        if (!sys) continue;
        const { allowance } = sampleSpacing(sys.interval_ms, this.opts.defaultGapMs);
        if (now - sys.last <= allowance && sys.last < oldest) oldest = sys.last;
      }
      if (Number.isFinite(oldest)) start = Math.max(start, oldest + 1);
    }
    const facts = await this.opts.store.latest({ start: Math.max(0, start), stop: now + FUTURE_MS });
    this.cursor = now;
    this.opts.log.debug(
      { start, systems: facts.systems.length, names: facts.names.length },
      "watch evaluation: read the newest facts",
    );
    this.merge(facts);

    // per system, once: its facts, allowance, and whether it is silent now
    const bySystem: ({ sys: SystemFacts; allowance: number; silent: boolean } | undefined)[] = [];
    for (let id = 0; id < this.systemNames.length; id++) {
      const sys = this.systemFacts[id];
      if (!sys) continue;
      const { allowance } = sampleSpacing(sys.interval_ms, this.opts.defaultGapMs);
      bySystem[id] = { sys, allowance, silent: now - sys.last > allowance };
    }
    const statuses: WatchStatus[] = [];
    const changes: {
      watch: Watch;
      mem: (Memory | undefined)[];
      sid: number;
      prev: Memory | undefined;
      next: Memory;
    }[] = [];
    for (const watch of this.watches) {
      let mem = this.memory.get(watch.name);
      if (!mem) {
        mem = [];
        this.memory.set(watch.name, mem);
      }
      const nameIds = this.matchedNames(watch);
      const nNames = nameIds.length;
      const min = watch.min_instances;
      const watchFor = watch.for_ms;
      for (const sid of this.systemsOf(watch)) {
        const info = bySystem[sid];
        const known = this.facts[sid];
        // last sighting and instances in the system's newest sample, over the matching names
        let lastSeen: number | null = null;
        let instances = 0;
        let atLast = 0;
        const newest = info ? info.sys.last : Number.NaN;
        if (known) {
          for (let i = 0; i < nNames; i++) {
            const f = known[nameIds[i] as number];
            if (!f) continue;
            if (lastSeen === null || f.last_seen > lastSeen) {
              lastSeen = f.last_seen;
              atLast = f.instances;
            } else if (f.last_seen === lastSeen) atLast += f.instances;
            if (f.last_seen === newest) instances += f.instances;
          }
        }
        const prev = mem[sid];
        let lastOk = prev?.last_ok;
        let state: WatchState;
        let since: number | null;
        let forMs: number;
        if (!info) {
          state = "system_silent";
          since = null;
          forMs = watchFor ?? this.opts.defaultGapMs;
        } else {
          forMs = watchFor ?? info.allowance;
          if (instances >= min) lastOk = info.sys.last;
          else if (lastOk === undefined && lastSeen !== null && atLast >= min) lastOk = lastSeen;
          if (info.silent) {
            state = "system_silent";
            since = info.sys.last;
          } else if (instances >= min) {
            state = "up";
            since = null;
          } else if (lastOk === undefined) {
            state = "never_seen";
            since = info.sys.reporting_since;
          } else if (runEnded(lastOk, info.sys.last, forMs)) {
            state = "down";
            since = lastOk;
          } else {
            state = "up"; // missing, but not for `for` yet
            since = null;
          }
        }
        if (state === "up" && prev?.status.state === "up") since = prev.status.since;
        if (prev && prev.status.state === state) {
          // the common case: nothing changed but the facts
          const st = prev.status;
          st.since = since;
          st.last_seen = lastSeen;
          st.instances = instances;
          st.for_ms = forMs;
          prev.last_ok = lastOk;
          statuses.push(st);
          continue;
        }
        const status: WatchStatus = {
          watch: watch.name,
          process_name: watch.process.source,
          system_name: this.systemNames[sid] as string,
          state,
          since,
          last_seen: lastSeen,
          instances,
          min_instances: min,
          for_ms: forMs,
        };
        statuses.push(status);
        changes.push({ watch, mem, sid, prev, next: { status, last_ok: lastOk } });
      }
    }
    const transitions: Transition[] = [];
    for (const { watch, mem, sid, prev, next } of changes) {
      const { status } = next;
      const events = await this.transitions(watch, prev, status, now);
      // Not yet: a state found at start-up before the grace (`for`) has passed, and "never seen"
      // before the system has reported for `for` (it may just be starting after a reboot).
      if (prev === undefined && status.state !== "up" && now - this.startedAt < status.for_ms) continue;
      if (status.state === "never_seen" && !this.neverSeenDue(status.system_name, status.for_ms)) continue;
      transitions.push(...events);
      mem[sid] = next;
    }
    this.current = statuses;
    this.evaluatedAt = now;
    return transitions;
  }

  /** A system that is reporting without the process is "never seen" once it has reported for `for`. */
  private neverSeenDue(system: string, forMs: number): boolean {
    const sys = this.system(system);
    return sys !== undefined && sys.last - sys.reporting_since >= forMs;
  }

  /**
   * The events of a change from `prev` to `status` (none when the state is the same). Filling in
   * an `up`'s since: after down or never seen, the first instant (after the last one it ran) at
   * which it ran again, read exactly from the store; after silence, the system's first sample back.
   */
  private async transitions(
    watch: Watch,
    prev: Memory | undefined,
    status: WatchStatus,
    now: number,
  ): Promise<Transition[]> {
    const before = prev?.status.state ?? null;
    if (status.state === "up" && status.since === null) {
      const sys = this.system(status.system_name);
      if (before === "system_silent" && sys) status.since = sys.reporting_since;
      else if (before === "down" || before === "never_seen") {
        status.since = await this.firstRunning(watch, status.system_name, prev?.last_ok, now);
      }
    }
    if (before === status.state) return [];
    if (before === null && status.state === "up") return [];
    const event = (type: TransitionType, since: number | null): Transition => ({
      id: transitionId(watch.name, status.system_name, type, since),
      type,
      watch: watch.name,
      system_name: status.system_name,
      process_name: status.process_name,
      at: now,
      since,
      last_seen: status.last_seen,
      instances: status.instances,
      min_instances: status.min_instances,
      state: status.state,
      previous_state: before,
    });
    if (before === "system_silent") {
      const back = this.system(status.system_name)?.reporting_since ?? null;
      const out = [event("system_back", back)];
      if (status.state !== "up") out.push(event(status.state, status.since));
      return out;
    }
    return [event(status.state, status.since)];
  }

  /** The first instant after `after` with at least min_instances matching processes (exact, from sightings). */
  private async firstRunning(
    watch: Watch,
    system: string,
    after: number | undefined,
    now: number,
  ): Promise<number | null> {
    const start = (after ?? now - this.opts.lookbackMs) + 1;
    const names = this.namesOn(watch, system);
    const counts = new Map<number, number>();
    try {
      for (const name of names) {
        const seen = await this.opts.store.sightings({
          process_name: name,
          system_name: system,
          range: { start, stop: now + FUTURE_MS },
        });
        for (const s of seen) counts.set(s.timestamp, (counts.get(s.timestamp) ?? 0) + 1);
      }
    } catch (err) {
      this.opts.log.warn(
        { err: String(err), watch: watch.name, system },
        "watch: cannot read when it came back",
      );
      return null;
    }
    const ok = [...counts].filter(([, n]) => n >= watch.min_instances).map(([t]) => t);
    return ok.length ? Math.min(...ok) : null;
  }
}
