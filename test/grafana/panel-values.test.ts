/**
 * Every panel's values, in every scenario, against expectations computed here from the seeded
 * plan — never from a panel's own query — so they hold for any correct query of any layout. What a
 * panel means is read from the panel itself (title, unit, the labels its display name shows) and
 * from the dashboards' documented semantics: "latest sample" stats sum over the system's last
 * sample; instances of one name add up (sum, not mean); a top-N panel shows exactly the N busiest.
 *
 * Names share prefixes (systems web-1 / web-10 and one starting "web-1 (", processes app / app-1 /
 * app-10 and the regex-looking "app.*"), so a variable regex without its anchors, or unescaped,
 * shows up as wrong values. Processes are constant within each 1-minute window, so window means
 * and per-sample values agree whatever the aggregation's time convention.
 * A panel with no expectation here fails the test: a new panel needs its expectation.
 */
import { InfluxDB } from "@influxdata/influxdb-client";
import { beforeAll, describe, expect, it } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { decodeTag } from "../../server/store/influx/tags.ts";
import type { SampleBatch } from "../../server/store/types.ts";
import { freshBucket } from "../support/influx.ts";
import {
  ALL,
  allPanels,
  type Dashboard,
  fluxAsSent,
  loadDashboards,
  type Panel,
  variableQuery,
} from "./grafana.ts";
import { writeWatchTransitions } from "./seed.ts";

// ------------------------------------------------------------------------- the plan

const STEP = 5_000;
const SAMPLES = 60; // 5 minutes: samples 12w … 12w+11 fill window w
const T0 = Date.UTC(2026, 1, 9, 8, 0, 0);
const RANGE = { from: T0, to: T0 + SAMPLES * STEP };
const WINDOWS = 5;
const ODD = 'web-1 (lab) "x\\y" 50%';

interface Proc {
  pid: number;
  name: string;
  cpu: number;
  mem: number;
  /** Absent in these 1-minute windows. */
  absent?: number[];
}
const PLAN: Record<string, { last: number; procs: Proc[] }> = {
  "web-1": {
    last: SAMPLES - 1,
    procs: [
      { pid: 100, name: "app", cpu: 5, mem: 3 },
      { pid: 101, name: "app", cpu: 7, mem: 3, absent: [2] },
      { pid: 110, name: "app-1", cpu: 30, mem: 0.2 },
      { pid: 111, name: "app-10", cpu: 0.5, mem: 8 },
      ...Array.from({ length: 10 }, (_, i) => ({
        pid: 120 + i,
        name: `n${String(i + 1).padStart(2, "0")}`,
        cpu: 0.9 * (i + 1),
        mem: 0.5 * (10 - i),
      })),
    ],
  },
  "web-10": {
    last: SAMPLES - 1,
    procs: [
      { pid: 200, name: "app", cpu: 50, mem: 2 },
      { pid: 201, name: "app-1", cpu: 20, mem: 1 },
      { pid: 202, name: "app-1", cpu: 20, mem: 1 },
      { pid: 203, name: "db-proxy", cpu: 1, mem: 0.5 },
    ],
  },
  "db-1": {
    last: 35, // stops after window 2
    procs: [
      { pid: 500, name: "postgres", cpu: 11, mem: 4 },
      { pid: 501, name: "postgres", cpu: 11, mem: 4 },
      { pid: 502, name: "postgres", cpu: 11, mem: 4 },
      { pid: 503, name: "app", cpu: 4, mem: 1 },
    ],
  },
  [ODD]: {
    last: SAMPLES - 1,
    procs: [
      { pid: 400, name: "app.*", cpu: 3, mem: 1 },
      { pid: 401, name: "app", cpu: 2, mem: 1.5 },
    ],
  },
};
const SCENARIOS = [
  { system: "web-1", process: "app" },
  { system: "web-10", process: "app-1" },
  { system: ODD, process: "app.*" },
];

const windowOf = (i: number) => Math.floor((i * STEP) / 60_000);
const aliveAt = (p: Proc, i: number) => !(p.absent ?? []).includes(windowOf(i));
const systems = Object.keys(PLAN);
const samplesOf = (system: string) =>
  Array.from({ length: (PLAN[system]?.last ?? -1) + 1 }, (_, i) => ({
    i,
    t: T0 + i * STEP,
    procs: (PLAN[system]?.procs ?? []).filter((p) => aliveAt(p, i)),
  }));
const latest = (system: string) => samplesOf(system).at(-1) as { i: number; t: number; procs: Proc[] };
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Per window (in time order, windows with data only): fn of the processes present then. */
const perWindow = (system: string, fn: (procs: Proc[]) => number | undefined): number[] => {
  const out: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    const inWindow = samplesOf(system).filter((s) => windowOf(s.i) === w);
    if (inWindow.length === 0) continue;
    const v = fn((inWindow[0] as { procs: Proc[] }).procs);
    if (v !== undefined) out.push(v);
  }
  return out;
};
const names = (system: string) => [...new Set(PLAN[system]?.procs.map((p) => p.name))];
/** A name's value on a system: its instances add up. */
const named = (procs: Proc[], name: string, field: "cpu" | "mem") =>
  procs.some((p) => p.name === name)
    ? sum(procs.filter((p) => p.name === name).map((p) => p[field]))
    : undefined;
/** Average over the range of a name's summed value (absent samples count as 0). */
const avgOver = (system: string, name: string, field: "cpu" | "mem") => {
  const s = samplesOf(system);
  return sum(s.map((x) => named(x.procs, name, field) ?? 0)) / s.length;
};
const topNames = (system: string, field: "cpu" | "mem", n: number) =>
  names(system)
    .sort((a, b) => avgOver(system, b, field) - avgOver(system, a, field))
    .slice(0, n);

function batches(): SampleBatch[] {
  return systems.flatMap((system) =>
    samplesOf(system).map((s) => ({
      system_name: system,
      timestamp: s.t,
      processes: s.procs.map((p) => ({
        pid: p.pid,
        name: p.name,
        cpu_percent: p.cpu,
        memory_percent: p.mem,
      })),
    })),
  );
}

// Watch transitions (the `watch` measurement, one point per transition at its `since`): watches and
// systems with shared prefixes (app / app-1 / app-10, web-1 / web-10), states carried in from before
// the range, and one after it that must not count.
const MIN = 60_000;
const TRANSITIONS: { watch: string; system: string; process: string; state: State; at: number }[] = [
  { watch: "app", system: "web-1", process: "app", state: "up", at: T0 - 60 * MIN },
  { watch: "app", system: "web-1", process: "app", state: "down", at: T0 + 2 * MIN },
  { watch: "app", system: "web-1", process: "app", state: "up", at: T0 + 3 * MIN },
  { watch: "app", system: "web-10", process: "app", state: "up", at: T0 - 120 * MIN },
  { watch: "app", system: "web-10", process: "app", state: "down", at: RANGE.to + MIN }, // after the range
  { watch: "app", system: ODD, process: "app", state: "never_seen", at: T0 - 10 * MIN },
  { watch: "app", system: ODD, process: "app", state: "up", at: T0 + MIN },
  { watch: "app-1", system: "web-1", process: "app-1", state: "up", at: T0 - 60 * MIN },
  { watch: "app-1", system: "web-1", process: "app-1", state: "down", at: T0 + 200_000 },
  { watch: "app-1", system: "web-10", process: "app-1", state: "down", at: T0 - 30 * MIN }, // still down
  { watch: "app-10", system: "web-10", process: "app-10", state: "never_seen", at: T0 + 30_000 },
  { watch: "postgres", system: "db-1", process: "postgres", state: "up", at: T0 - 60 * MIN },
  { watch: "postgres", system: "db-1", process: "postgres", state: "system_silent", at: T0 + 35 * STEP },
];
type State = "up" | "down" | "never_seen" | "system_silent";
const WATCH_SCENARIOS = [
  { watch: ALL, system: ALL },
  { watch: ALL, system: "web-1" },
  { watch: "app", system: ALL },
  { watch: "app-1", system: ALL },
  { watch: ALL, system: ODD },
];
/** The transitions a choice of watch and system shows (the exact names; All = every one). */
const chosenTransitions = (c: { watch: string; system: string }) =>
  TRANSITIONS.filter(
    (t) => (c.watch === ALL || t.watch === c.watch) && (c.system === ALL || t.system === c.system),
  ).sort((a, b) => a.at - b.at);
/** Per "watch on system": its states in the range, the one before the range moved to its start. */
function expectedTimeline(c: { watch: string; system: string }): Map<string, { t: number; state: State }[]> {
  const out = new Map<string, { t: number; state: State }[]>();
  for (const t of chosenTransitions(c)) {
    if (t.at >= RANGE.to) continue;
    const key = `${t.watch} on ${t.system}`;
    const list = out.get(key) ?? [];
    if (t.at < RANGE.from) list.splice(0, list.length, { t: RANGE.from, state: t.state });
    else list.push({ t: t.at, state: t.state });
    out.set(key, list);
  }
  return out;
}
/** The last state of each (watch, system) at the end of the range, when it is not up. */
function expectedDown(c: { watch: string; system: string }) {
  const last = new Map<string, (typeof TRANSITIONS)[number]>();
  for (const t of chosenTransitions(c)) if (t.at < RANGE.to) last.set(`${t.watch}\n${t.system}`, t);
  return [...last.values()]
    .filter((t) => t.state !== "up")
    .map((t) => ({ watch: t.watch, system: t.system, process: t.process, state: t.state, since: t.at }))
    .sort((a, b) => a.since - b.since);
}

// ------------------------------------------------------------------------- running panels

type Row = Record<string, unknown>;
const DASHBOARDS = loadDashboards();
const byUid = (uid: string) => DASHBOARDS.find((d) => d.dashboard.uid === uid)?.dashboard as Dashboard;
const labelsOf = (p: Panel): string[] => {
  const display = String(
    (p.fieldConfig as { defaults?: { displayName?: string } } | undefined)?.defaults?.displayName ?? "",
  );
  return [...display.matchAll(/\$\{__field\.labels\.(\w+)\}/g)].map((m) => m[1] as string);
};
const unitOf = (p: Panel) =>
  (p.fieldConfig as { defaults?: { unit?: string } } | undefined)?.defaults?.unit ?? undefined;
const close = (a: number[], b: number[]) =>
  a.length === b.length && a.every((x, i) => Math.abs(x - (b[i] as number)) < 1e-6);

describe("every Grafana panel's values, against the plan", () => {
  let conn: InfluxConnection;
  let db: InfluxDB;
  const checked = new Set<string>();

  beforeAll(async () => {
    conn = await freshBucket("panels");
    db = new InfluxDB({ url: conn.url, token: conn.token, timeout: 60_000 });
    const store = new InfluxStore({
      ...conn,
      retentionDays: 30,
      timeoutMs: 30_000,
      log: createLogger("silent"),
    });
    await store.init();
    const all = batches();
    for (let k = 0; k < all.length; k += 8) await Promise.all(all.slice(k, k + 8).map((b) => store.write(b)));
    await store.close();
    await writeWatchTransitions(conn, TRANSITIONS);
  }, 180_000);

  async function query(q: string, values: Record<string, string>): Promise<Row[]> {
    const flux = fluxAsSent(q, values, {
      from: RANGE.from,
      to: RANGE.to,
      intervalMs: 60_000,
      organization: conn.org,
      defaultBucket: conn.bucket,
    });
    return db.getQueryApi(conn.org).collectRows<Row>(flux);
  }
  const panelRows = async (_d: Dashboard, p: Panel, values: Record<string, string>) =>
    (
      await Promise.all((p.targets ?? []).filter((t) => !t.hide).map((t) => query(String(t.query), values)))
    ).flat();
  /** A time series panel as series (keyed by the labels its display name shows, decoded) → values in time order. */
  const series = (p: Panel, rows: Row[]): Map<string, number[]> => {
    const labels = labelsOf(p);
    const out = new Map<string, { t: number; v: number }[]>();
    for (const r of rows) {
      const key = labels.map((l) => decodeTag(String(r[l]))).join(" | ");
      out.set(key, [...(out.get(key) ?? []), { t: Date.parse(String(r._time)), v: Number(r._value) }]);
    }
    return new Map([...out].map(([k, pts]) => [k, pts.sort((a, b) => a.t - b.t).map((x) => x.v)]));
  };
  const expectSeries = (got: Map<string, number[]>, want: Map<string, number[]>, what: string) => {
    expect([...got.keys()].sort(), `${what}: series`).toEqual([...want.keys()].sort());
    for (const [k, v] of want) {
      const g = got.get(k) as number[];
      expect(close(g, v), `${what}: ${k}: got ${JSON.stringify(g)}, want ${JSON.stringify(v)}`).toBe(true);
    }
  };
  const stat = (rows: Row[]) => Number(rows[0]?._value);

  it("fleet overview", async () => {
    const d = byUid("procscope-fleet");
    const mark = (p: Panel) => checked.add(`${d.uid}: ${p.title}`);
    for (const p of allPanels(d).filter((x) => x.targets?.length)) {
      const rows = await panelRows(d, p, {});
      const title = p.title;
      if (title === "Systems reporting") {
        expect(stat(rows), title).toBe(systems.length);
      } else if (title.startsWith("Processes running (latest sample")) {
        expect(stat(rows), title).toBe(sum(systems.map((s) => latest(s).procs.length)));
      } else if (title === "Distinct process names") {
        expect(stat(rows), title).toBe(new Set(systems.flatMap(names)).size);
      } else if (title === "Processes per system") {
        expectSeries(
          series(p, rows),
          new Map(systems.map((s) => [s, perWindow(s, (procs) => procs.length)])),
          title,
        );
      } else if (title === "Systems reporting over time") {
        const want = Array.from(
          { length: WINDOWS },
          (_, w) => systems.filter((s) => (PLAN[s]?.last ?? 0) >= w * 12).length,
        );
        expect(series(p, rows).size, title).toBe(1);
        expect([...series(p, rows).values()][0], title).toEqual(want);
      } else if (title === "Last seen per system") {
        expect(rows.length, title).toBe(systems.length);
        for (const s of systems) {
          const row = rows.find((r) =>
            Object.values(r).some((v) => typeof v === "string" && decodeTag(v) === s),
          );
          expect(row, `${title}: ${s}`).toBeDefined();
          const values = Object.values(row as Row);
          expect(
            values.some((v) => typeof v === "string" && Date.parse(v) === latest(s).t),
            `${title}: ${s} last seen`,
          ).toBe(true);
          expect(values, `${title}: ${s} processes`).toContain(latest(s).procs.length);
        }
        // most recent first
        const times = rows.map((r) =>
          Math.max(...Object.values(r).map((v) => (typeof v === "string" ? Date.parse(v) || 0 : 0))),
        );
        expect(times, `${title}: order`).toEqual([...times].sort((a, b) => b - a));
      } else if (title === "Busiest processes") {
        const pairs = systems.flatMap((s) => names(s).map((n) => ({ s, n, avg: avgOver(s, n, "cpu") })));
        pairs.sort((a, b) => b.avg - a.avg);
        const want = pairs.slice(0, 15);
        expect(rows.length, `${title}: top 15`).toBe(want.length);
        for (const [k, w] of want.entries()) {
          const r = rows[k] as Row;
          const numbers = Object.values(r).filter((v) => typeof v === "number") as number[];
          const strings = Object.values(r)
            .filter((v) => typeof v === "string")
            .map((v) => decodeTag(v as string));
          expect(strings, `${title} #${k + 1}`).toEqual(expect.arrayContaining([w.s, w.n]));
          expect(
            numbers.some((v) => Math.abs(v - w.avg) < 1e-6),
            `${title} #${k + 1} ${w.s}/${w.n}: avg ${w.avg} in ${JSON.stringify(r)}`,
          ).toBe(true);
        }
      } else if (title === "Busiest processes: CPU % over time") {
        expect(unitOf(p)).toBe("percent");
        const pairs = systems.flatMap((s) => names(s).map((n) => ({ s, n, avg: avgOver(s, n, "cpu") })));
        pairs.sort((a, b) => b.avg - a.avg);
        const labels = labelsOf(p);
        const want = new Map(
          pairs
            .slice(0, 10)
            .map(({ s, n }) => [
              labels.map((l) => (l === "system" ? s : n)).join(" | "),
              perWindow(s, (procs) => named(procs, n, "cpu")),
            ]),
        );
        expectSeries(series(p, rows), want, title);
      } else continue;
      mark(p);
    }
  });

  for (const scenario of SCENARIOS) {
    it(`system view: ${scenario.system} / ${scenario.process}`, async () => {
      const d = byUid("procscope-system");
      // The variables as Grafana fills them: the stored values the variable queries list.
      const variable = (name: string) => d.templating?.list.find((v) => v.name === name);
      const systemValues = (await query(variableQuery(variable("system") as never) as string, {})).map((r) =>
        String(r._value),
      );
      expect(systemValues.map(decodeTag).sort(), "system variable").toEqual([...systems].sort());
      const system = systemValues.find((v) => decodeTag(v) === scenario.system) as string;
      const processValues = (
        await query(variableQuery(variable("process") as never) as string, { system })
      ).map((r) => String(r._value));
      expect(processValues.map(decodeTag).sort(), "process variable").toEqual(names(scenario.system).sort());
      const process = processValues.find((v) => decodeTag(v) === scenario.process) as string;
      const values = { system, process };
      const s = scenario.system;
      const last = latest(s);
      const samples = samplesOf(s);

      for (const p of allPanels(d).filter((x) => x.targets?.length)) {
        const rows = await panelRows(d, p, values);
        const title = p.title;
        const what = `${s}: ${title}`;
        if (title === "Processes (latest sample)") {
          expect(stat(rows), what).toBe(last.procs.length);
        } else if (title.startsWith("CPU % (latest sample")) {
          expect(unitOf(p)).toBe("percent");
          expect(stat(rows), what).toBeCloseTo(sum(last.procs.map((x) => x.cpu)), 6);
        } else if (title.startsWith("Memory % (latest sample")) {
          expect(unitOf(p)).toBe("percent");
          expect(stat(rows), what).toBeCloseTo(sum(last.procs.map((x) => x.mem)), 6);
        } else if (title === "Last sample") {
          expect(stat(rows), what).toBe(last.t);
        } else if (title === "Top processes by CPU %" || title === "Top processes by memory %") {
          const field = title.includes("CPU") ? "cpu" : "mem";
          expect(unitOf(p)).toBe("percent");
          const want = new Map(
            topNames(s, field, 10).map((n) => [n, perWindow(s, (procs) => named(procs, n, field))]),
          );
          expectSeries(series(p, rows), want, what);
        } else if (title === "Current processes") {
          const want = last.procs.map((x) => ({
            name: x.name,
            pid: x.pid,
            cpu_percent: x.cpu,
            memory_percent: x.mem,
          }));
          const got = rows.map((r) => ({
            name: decodeTag(String(r.name)),
            pid: Number(r.pid),
            cpu_percent: r.cpu_percent,
            memory_percent: r.memory_percent,
          }));
          const order = (a: { pid: number }, b: { pid: number }) => a.pid - b.pid;
          expect(got.sort(order), what).toEqual(want.sort(order));
          // busiest first
          const cpus = rows.map((r) => Number(r.cpu_percent));
          expect(cpus, `${what}: order`).toEqual([...cpus].sort((a, b) => b - a));
        } else if (title.startsWith("Observed running duration of")) {
          // Sightings of the name, runs split by gaps over 15 s.
          const seen = samples
            .filter((x) => x.procs.some((q) => q.name === scenario.process))
            .map((x) => x.t);
          let observed = 0;
          let runs = seen.length ? 1 : 0;
          for (let k = 1; k < seen.length; k++) {
            const gap = ((seen[k] as number) - (seen[k - 1] as number)) / 1000;
            if (gap <= 15) observed += gap;
            else runs += 1;
          }
          expect(rows[0], what).toMatchObject({ observed, runs });
        } else if (title.startsWith("Instances of")) {
          const got = [...series(p, rows).values()];
          expect(got.length, what).toBe(1);
          expect(got[0], what).toEqual(
            perWindow(s, (procs) => procs.filter((q) => q.name === scenario.process).length || undefined),
          );
        } else if (title.startsWith("CPU % of") && title.endsWith("per pid")) {
          const mine = PLAN[s]?.procs.filter((q) => q.name === scenario.process) ?? [];
          const want = new Map(
            mine.map((q) => [
              String(q.pid),
              perWindow(s, (procs) => procs.find((x) => x.pid === q.pid)?.cpu),
            ]),
          );
          expectSeries(series(p, rows), want, what);
        } else if (title.startsWith("Runs of")) {
          // one row per system; a 1-minute window is "running" (1) when a sample of the name is in it
          const seenIn = (w: number) =>
            samples.some((x) => windowOf(x.i) === w && x.procs.some((q) => q.name === scenario.process));
          const want = new Map([[s, Array.from({ length: WINDOWS }, (_, w) => (seenIn(w) ? 1 : 0))]]);
          expectSeries(series(p, rows), want, what);
        } else if (title.startsWith("Restarts of")) {
          // instances (pid; no started_at in this plan) first seen after the name's first sample
          const seen = samples.filter((x) => x.procs.some((q) => q.name === scenario.process));
          const first = new Map<number, number>();
          for (const x of seen)
            for (const q of x.procs)
              if (q.name === scenario.process && !first.has(q.pid)) first.set(q.pid, x.i);
          const restarts = [...first.values()].filter((i) => i > (seen[0]?.i ?? 0)).length;
          expect(
            rows.map((r) => r.restarts),
            what,
          ).toEqual([restarts]);
        } else continue;
        checked.add(`${d.uid}: ${title}`);
      }
    });
  }
  for (const scenario of WATCH_SCENARIOS) {
    const label = (v: string) => (v === ALL ? "all" : v);
    it(`watches: watch ${label(scenario.watch)}, system ${label(scenario.system)}`, async () => {
      const d = byUid("procscope-watches");
      const variable = (name: string) => d.templating?.list.find((v) => v.name === name);
      // The pickers list every watch and system with a transition up to the end of the range.
      const listed = async (name: string) =>
        (await query(variableQuery(variable(name) as never) as string, {})).map((r) => String(r._value));
      const watchValues = await listed("watch");
      const systemValues = await listed("system");
      expect(watchValues.map(decodeTag).sort(), "watch variable").toEqual(
        [...new Set(TRANSITIONS.map((t) => t.watch))].sort(),
      );
      expect(systemValues.map(decodeTag).sort(), "system variable").toEqual(
        [...new Set(TRANSITIONS.map((t) => t.system))].sort(),
      );
      const pick = (stored: string[], want: string) =>
        want === ALL ? ALL : (stored.find((v) => decodeTag(v) === want) as string);
      const values = {
        watch: pick(watchValues, scenario.watch),
        system: pick(systemValues, scenario.system),
      };
      const what = (title: string) => `${title} (${JSON.stringify(scenario)})`;

      for (const p of allPanels(d).filter((x) => x.targets?.length)) {
        const rows = await panelRows(d, p, values);
        const title = p.title;
        if (title === "Watch states") {
          // one row per "watch on system" (the display name's labels), its states in time order
          expect(labelsOf(p), what(title)).toEqual(["watch", "system"]);
          const got = new Map<string, { t: number; state: State }[]>();
          for (const r of rows) {
            const key = `${decodeTag(String(r.watch))} on ${decodeTag(String(r.system))}`;
            got.set(key, [
              ...(got.get(key) ?? []),
              { t: Date.parse(String(r._time)), state: r._value as State },
            ]);
          }
          for (const list of got.values()) list.sort((a, b) => a.t - b.t);
          expect(new Map([...got].sort()), what(title)).toEqual(
            new Map([...expectedTimeline(scenario)].sort()),
          );
          // every state is one the value mappings colour
          const mapped = Object.keys(
            (p.fieldConfig as { defaults: { mappings: { options: Record<string, unknown> }[] } }).defaults
              .mappings[0]?.options ?? {},
          );
          expect(mapped.sort(), what(title)).toEqual(["down", "never_seen", "system_silent", "up"]);
        } else if (title === "Currently down") {
          const got = rows.map((r) => ({
            watch: decodeTag(String(r.watch)),
            system: decodeTag(String(r.system)),
            process: decodeTag(String(r.process)),
            state: r.state,
            since: Date.parse(String(r.since)),
          }));
          expect(got, what(title)).toEqual(expectedDown(scenario));
        } else continue;
        checked.add(`${d.uid}: ${title}`);
      }
    });
  }
  it("every panel with a query has its expectation above (runs last)", () => {
    const missing = DASHBOARDS.flatMap(({ dashboard }) =>
      allPanels(dashboard)
        .filter((p) => p.targets?.length)
        .map((p) => `${dashboard.uid}: ${p.title}`),
    ).filter((k) => !checked.has(k));
    expect(missing, "panels without an expectation").toEqual([]);
  });
});
