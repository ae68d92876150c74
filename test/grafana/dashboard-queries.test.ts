/**
 * Every panel query and every variable query of grafana/dashboards/*.json, run against the real
 * test InfluxDB holding a seeded fleet, after the substitutions Grafana makes (see grafana.ts).
 * Each must return rows without error, in the shape its panel type needs; a few values are
 * checked against the seed plan; and a table of panel → rows is printed for the record.
 */
import { InfluxDB } from "@influxdata/influxdb-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { processRuns } from "../../server/history/query.ts";
import { decodeTag } from "../../server/store/influx/tags.ts";
import { freshBucket } from "../support/influx.ts";
import {
  ALL,
  ALL_VALUE,
  allPanels,
  type Dashboard,
  escapeRegex,
  fluxAsSent,
  goDuration,
  interpolateFluxMacros,
  loadDashboards,
  type MacroContext,
  type Panel,
  replaceTemplateVariables,
  rfc3339Nano,
  variableQuery,
} from "./grafana.ts";
import {
  batches,
  latestCounts,
  ODD_PROCESS,
  ODD_SYSTEM,
  RANGE,
  SAMPLE_MS,
  seedFleet,
  seedStore,
  T0,
  writeWatchTransitions,
} from "./seed.ts";

type Row = Record<string, unknown>;
interface Result {
  rows: Row[];
  /** Rows per Flux table (a table is one Grafana frame: one series, or one table). */
  tables: Row[][];
}

const DASHBOARDS = loadDashboards();
const byUid = (uid: string): Dashboard => {
  const found = DASHBOARDS.find((d) => d.dashboard.uid === uid);
  if (!found) throw new Error(`no dashboard with uid ${uid}`);
  return found.dashboard;
};
const panelNamed = (d: Dashboard, title: string): Panel => {
  const found = allPanels(d).find((p) => p.title === title);
  if (!found) throw new Error(`${d.uid} has no panel "${title}"`);
  return found;
};

const displayName = (p: Panel): string =>
  String((p.fieldConfig as { defaults?: { displayName?: string } } | undefined)?.defaults?.displayName ?? "");
const overriddenFields = (p: Panel): string[] =>
  (
    (p.fieldConfig as { overrides?: { matcher: { id: string; options: string } }[] } | undefined)
      ?.overrides ?? []
  )
    .filter((o) => o.matcher.id === "byName")
    .map((o) => o.matcher.options);

/** Two choices of the template variables: plain names, and names that need every escape. */
const SCENARIOS = {
  plain: { system: "web-01", process: "backup.sh" },
  odd: { system: ODD_SYSTEM, process: ODD_PROCESS },
} as const;
type Scenario = keyof typeof SCENARIOS;

describe("Grafana's substitutions as reproduced here", () => {
  it("match macros.go's own test case", () => {
    // pkg/tsdb/influxdb/flux/macros_test.go: epoch range, 1 s interval.
    const out = interpolateFluxMacros(
      "v.timeRangeStart, something.timeRangeStop, XYZ.bucket, uuUUu.defaultBucket, aBcDefG.organization, window.windowPeriod, a91{}.bucket",
      {
        from: 0,
        to: 0,
        intervalMs: 1000,
        organization: "grafana1",
        bucket: "grafana2",
        defaultBucket: "grafana3",
      },
    );
    expect(out).toBe(
      '1970-01-01T00:00:00Z, 1970-01-01T00:00:00Z, "grafana2", "grafana3", "grafana1", 1s, a91{}.bucket',
    );
  });

  it("format durations and times as Go does", () => {
    expect([500, 1000, 10_000, 60_000, 90_000, 3_600_000, 5_400_000].map(goDuration)).toEqual([
      "500ms",
      "1s",
      "10s",
      "1m0s",
      "1m30s",
      "1h0m0s",
      "1h30m0s",
    ]);
    expect(rfc3339Nano(Date.UTC(2026, 0, 5, 10))).toBe("2026-01-05T10:00:00Z");
    expect(rfc3339Nano(Date.UTC(2026, 0, 5, 10, 0, 0, 120))).toBe("2026-01-05T10:00:00.12Z");
  });

  it("escape a :regex value as @grafana/data's escapeRegex, and refuse unformatted variables", () => {
    expect(escapeRegex('a.b/c\\d$e(f)[g]{h}|i*+?^"%')).toBe(
      'a\\.b\\/c\\\\d\\$e\\(f\\)\\[g\\]\\{h\\}\\|i\\*\\+\\?\\^"%',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    expect(replaceTemplateVariables("/^${system:regex}$/", { system: "a.b" })).toBe("/^a\\.b$/");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    expect(() => replaceTemplateVariables('r.system == "${system}"', { system: "x" })).toThrow(
      /names no format/,
    );
    expect(() => replaceTemplateVariables("$nope", {})).toThrow(/unknown template variable/);
  });
});

describe("dashboard queries on a seeded InfluxDB", () => {
  let conn: InfluxConnection;
  let db: InfluxDB;
  /** The stored (encoded) tag values each scenario's variables take, as the variable queries list them. */
  const chosen = {} as Record<Scenario, { system: string; process: string }>;
  const report: { dashboard: string; panel: string; type: string; plain: number; odd: number }[] = [];

  const macros = (): MacroContext => ({
    from: RANGE.from,
    to: RANGE.to,
    intervalMs: 60_000,
    organization: conn.org,
    defaultBucket: conn.bucket,
  });

  async function run(query: string, values: Record<string, string>): Promise<Result> {
    const flux = fluxAsSent(query, values, macros());
    let rows: Row[];
    try {
      rows = await db.getQueryApi(conn.org).collectRows<Row>(flux);
    } catch (err) {
      throw new Error(`query failed: ${(err as Error).message}\n--- Flux as sent ---\n${flux}`);
    }
    const tables = new Map<string, Row[]>();
    for (const r of rows) {
      const key = `${String(r.result)}/${String(r.table)}`;
      tables.set(key, [...(tables.get(key) ?? []), r]);
    }
    return { rows, tables: [...tables.values()] };
  }

  // The watches dashboard's watch picker stays at All here (panel-values.test.ts picks watches).
  const runPanel = (panel: Panel, values: Record<string, string>) =>
    Promise.all(
      (panel.targets ?? [])
        .filter((t) => !t.hide)
        .map((t) => run(String(t.query), { watch: ALL, ...values })),
    );

  async function variableValues(
    d: Dashboard,
    name: string,
    values: Record<string, string>,
  ): Promise<string[]> {
    const v = d.templating?.list.find((x) => x.name === name);
    const query = v && variableQuery(v);
    if (!query) throw new Error(`${d.uid} has no query variable ${name}`);
    const { rows } = await run(query, values);
    return rows.map((r) => String(r._value));
  }

  beforeAll(async () => {
    conn = await freshBucket("grafana");
    db = new InfluxDB({ url: conn.url, token: conn.token, timeout: 60_000 });
    const written = await seedFleet(conn);
    await writeWatchTransitions(conn);
    expect(written).toBe(batches().reduce((n, b) => n + b.processes.length, 0));

    // The variable chain as Grafana runs it: system from its query, process from its query given
    // the system. Values are the stored tag values; the scenario picks by decoded name.
    const system = byUid("procscope-system");
    const systems = await variableValues(system, "system", {});
    for (const [scenario, want] of Object.entries(SCENARIOS) as [
      Scenario,
      { system: string; process: string },
    ][]) {
      const sys = systems.find((s) => decodeTag(s) === want.system);
      if (!sys) throw new Error(`the system variable does not list ${want.system}: ${systems.join(", ")}`);
      const processes = await variableValues(system, "process", { system: sys });
      const proc = processes.find((p) => decodeTag(p) === want.process);
      if (!proc)
        throw new Error(`the process variable does not list ${want.process}: ${processes.join(", ")}`);
      chosen[scenario] = { system: sys, process: proc };
    }
  }, 180_000);

  afterAll(() => {
    if (report.length === 0) return;
    const plain = `rows (${SCENARIOS.plain.system}, ${SCENARIOS.plain.process})`;
    const header = ["dashboard", "panel", "type", plain, "rows (odd system and process names)"];
    const lines = report.map((r) => [r.dashboard, r.panel, r.type, String(r.plain), String(r.odd)]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
    const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
    console.log(
      [
        `Dashboard queries on ${batches().length} seeded samples (${RANGE.from}–${RANGE.to}, window 1m):`,
        fmt(header),
        fmt(widths.map((w) => "-".repeat(w))),
        ...lines.map(fmt),
      ].join("\n"),
    );
  });

  it("variables list the seeded systems and each system's process names", async () => {
    const system = byUid("procscope-system");
    const systems = (await variableValues(system, "system", {})).map(decodeTag).sort();
    expect(systems).toEqual(["db-01", ODD_SYSTEM, "web-01"].sort());
    const names = (await variableValues(system, "process", { system: chosen.plain.system }))
      .map(decodeTag)
      .sort();
    expect(names).toEqual(["backup.sh", "nginx", "node", "systemd", ODD_PROCESS].sort());
    const odd = (await variableValues(system, "process", { system: chosen.odd.system }))
      .map(decodeTag)
      .sort();
    expect(odd).toEqual([ODD_PROCESS, "python", "systemd"].sort());
  });

  for (const { file, dashboard } of DASHBOARDS) {
    for (const panel of allPanels(dashboard).filter((p) => p.targets?.length)) {
      it(`${file}: "${panel.title}" returns rows in the shape a ${panel.type} panel needs`, async () => {
        const counts: Record<Scenario, number> = { plain: 0, odd: 0 };
        const columns = new Set<string>();
        for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
          const results = await runPanel(panel, chosen[scenario]);
          for (const { rows, tables } of results) {
            expect(rows.length, `${scenario}: no rows`).toBeGreaterThan(0);
            counts[scenario] += rows.length;
            if (panel.type === "timeseries" || panel.type === "state-timeline") {
              // Grafana makes a time series frame of a table with _time and _value, one per table;
              // its labels are the table's other columns, which the display name refers to.
              const labels = [...displayName(panel).matchAll(/\$\{__field\.labels\.(\w+)\}/g)].map(
                (m) => m[1],
              );
              for (const t of tables) {
                expect(Object.keys(t[0] as Row)).toEqual(
                  expect.arrayContaining(["_time", "_value", ...labels]),
                );
                const times = t.map((r) => Date.parse(String(r._time)));
                expect(times, "points in time order").toEqual([...times].sort((a, b) => a - b));
                expect(new Set(times).size, "one point per time").toBe(times.length);
              }
            } else {
              // Tables and stats: one Flux table, so one frame rather than a frame picker.
              expect(tables, `${scenario}: tables`).toHaveLength(1);
              for (const column of Object.keys(rows[0] as Row)) columns.add(column);
            }
          }
        }
        // Every column a field override names exists (a column whose values are all null on a
        // system, such as the state of processes whose agent never sent one, is left out there).
        if (panel.type !== "timeseries" && panel.type !== "state-timeline")
          expect([...columns]).toEqual(expect.arrayContaining(overriddenFields(panel)));
        report.push({ dashboard: file, panel: panel.title, type: panel.type, ...counts });
      });
    }
  }

  it("fleet overview: the numbers follow from the seed", async () => {
    const fleet = byUid("procscope-fleet");
    const one = async (title: string) => (await runPanel(panelNamed(fleet, title), {}))[0] as Result;

    expect((await one("Systems reporting")).rows.map((r) => r._value)).toEqual([3]);
    const latest = latestCounts();
    const total = Object.values(latest).reduce((a, b) => a + b, 0);
    expect((await one("Processes running (latest sample of each system)")).rows.map((r) => r._value)).toEqual(
      [total],
    );
    expect((await one("Distinct process names")).rows.map((r) => r._value)).toEqual([7]);

    // Per system, the last interval's process count is the latest sample's.
    const perSystem = await one("Processes per system");
    expect(perSystem.tables).toHaveLength(3);
    for (const t of perSystem.tables) {
      const system = decodeTag(String(t[0]?.system));
      expect(t.at(-1)?._value, system).toBe(latest[system]);
    }
    // db-01 stops 200 s before the end: three systems at first, two in the last intervals.
    const reporting = (await one("Systems reporting over time")).rows.map((r) => r._value);
    expect([reporting[0], reporting.at(-1)]).toEqual([3, 2]);

    const lastSeen = (await one("Last seen per system")).rows;
    // Most recent first: web-01 and the odd system share the last sample time, db-01 is older.
    expect(lastSeen.map((r) => decodeTag(String(r.system))).slice(2)).toEqual(["db-01"]);
    expect(
      lastSeen
        .map((r) => decodeTag(String(r.system)))
        .slice(0, 2)
        .sort(),
    ).toEqual([ODD_SYSTEM, "web-01"].sort());
    const db01 = lastSeen.find((r) => r.system === "db-01");
    expect(Date.parse(String(db01?.last_seen))).toBe(T0 + 199 * SAMPLE_MS);
    expect(db01?.processes).toBe(4);

    const busiest = (await one("Busiest processes")).rows;
    expect(
      busiest.slice(0, 3).map((r) => [decodeTag(String(r.system)), r.process, r.avg_cpu_percent]),
    ).toEqual([
      [ODD_SYSTEM, "python", 50],
      ["web-01", "node", 44.5],
      ["db-01", "postgres", 30],
    ]);
    // backup.sh ran half the time at 25 %: 12.5 on average, not the 50 two pids' means would add to.
    expect(busiest.find((r) => r.process === "backup.sh")?.avg_cpu_percent).toBe(12.5);
  });

  it("system view: latest sample, top processes, uptime and observed duration follow from the seed", async () => {
    const system = byUid("procscope-system");
    const values = chosen.plain;
    const one = async (title: string) => (await runPanel(panelNamed(system, title), values))[0] as Result;
    const last = T0 + 239 * SAMPLE_MS;

    expect((await one("Processes (latest sample)")).rows.map((r) => r._value)).toEqual([5]);
    // systemd 0.1 + nginx 1.5 + nginx 10+239%4 + node 40+239%10 + odd 3
    expect((await one("CPU % (latest sample, all processes)")).rows[0]?._value).toBeCloseTo(
      0.1 + 1.5 + 13 + 49 + 3,
    );
    expect((await one("Memory % (latest sample, all processes)")).rows[0]?._value).toBeCloseTo(
      0.2 + 0.5 + 1.2 + 6.5 + 0.8,
    );
    expect((await one("Last sample")).rows.map((r) => r._value)).toEqual([last]);

    const cpu = await one("Top processes by CPU %");
    const names = cpu.tables.map((t) => decodeTag(String(t[0]?.name))).sort();
    expect(names).toEqual(["backup.sh", "nginx", "node", "systemd", ODD_PROCESS].sort());
    // The two nginx pids add up: 1.5 + (10..13), so every interval averages 13.
    const nginx = cpu.tables.find((t) => t[0]?.name === "nginx") as Row[];
    for (const r of nginx) expect(r._value).toBeCloseTo(13);

    const current = (await one("Current processes")).rows;
    expect(current.map((r) => decodeTag(String(r.name)))).toEqual([
      "node",
      "nginx",
      ODD_PROCESS,
      "nginx",
      "systemd",
    ]);
    const node = current.find((r) => r.name === "node");
    expect(node?.uptime).toBe((last - (T0 - 3_600_000)) / 1000);
    expect(node?.memory_rss).toBe(512 * 2 ** 20);
    const odd = current.find((r) => decodeTag(String(r.name)) === ODD_PROCESS);
    expect(odd?.uptime ?? null).toBeNull(); // no started_at reported: an empty cell

    // Observed duration agrees with the API's own computation (InfluxStore.duration).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    const observed = (await one("Observed running duration of ${process}")).rows[0] as Row;
    const facts = await seedStore(conn).duration({
      system_name: "web-01",
      process_name: "backup.sh",
      range: { start: RANGE.from, stop: RANGE.to },
      gap_ms: 15_000,
    });
    const apiSeconds = (facts?.runs ?? []).reduce((s, r) => s + (r.end - r.start), 0) / 1000;
    expect(apiSeconds).toBe(590);
    expect(observed).toMatchObject({ observed: apiSeconds, runs: facts?.runs.length });
    expect(facts?.runs).toHaveLength(2);

    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    const instances = (await one("Instances of ${process} running")).rows;
    expect(Math.max(...instances.map((r) => Number(r._value)))).toBe(1);

    // pid is a field, yet the panel still draws one series per pid: backup.sh ran as 300, then 301.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    const perPid = (await one("CPU % of ${process} per pid")).tables;
    expect(perPid.map((t) => t[0]?.pid).sort()).toEqual(["300", "301"]);
    for (const t of perPid) {
      expect(t.every((r) => r._value === 25)).toBe(true);
      // samples 0–59 and 120–179 (5 s apart) in 1-minute windows: 5 windows each
      expect(t).toHaveLength(5);
    }

    // Runs as a state timeline: running in the 1-minute windows of samples 0–59 and 120–179 only.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    const timeline = (await one("Runs of ${process}")).rows;
    expect(timeline.map((r) => r._value)).toEqual([
      ...Array(5).fill(1),
      ...Array(5).fill(0),
      ...Array(5).fill(1),
      ...Array(5).fill(0),
    ]);
    expect(timeline.map((r) => Date.parse(String(r._time)) - T0)).toEqual(
      Array.from({ length: 20 }, (_, k) => (k + 1) * 60_000),
    );
    expect(new Set(timeline.map((r) => decodeTag(String(r.system))))).toEqual(new Set(["web-01"]));
    // Restarts agree with the API's (GET /api/process-runs/): pid 301 started after pid 300's run.
    const apiRuns = await processRuns(
      seedStore(conn),
      { process_name: "backup.sh", system_name: "web-01", range: { start: RANGE.from, stop: RANGE.to } },
      { default_gap_ms: 15_000, crash_loop_restarts: 3, crash_loop_window_ms: 600_000 },
    );
    expect(apiRuns.map((r) => [r.runs.length, r.restarts])).toEqual([[2, 1]]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    expect((await one("Restarts of ${process}")).rows.map((r) => r.restarts)).toEqual([1]);

    // System "All": the timeline has one row per system that ran the process (systemd: all three;
    // db-01 stopped reporting after sample 199), each running exactly in the windows of its samples.
    const systemVar = system.templating?.list?.find((v) => v.name === "system") as Record<string, unknown>;
    expect([systemVar.includeAll, systemVar.allValue]).toEqual([true, ALL_VALUE]);
    const all = await runPanel(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
      panelNamed(system, "Runs of ${process}"),
      { system: ALL, process: "systemd" },
    );
    const got = new Map<string, unknown[]>();
    for (const r of (all[0] as Result).rows) {
      const key = decodeTag(String(r.system));
      got.set(key, [...(got.get(key) ?? []), [Date.parse(String(r._time)) - T0, r._value]]);
    }
    const want = new Map<string, unknown[]>();
    for (const b of batches()) {
      if (!b.processes.some((p) => p.name === "systemd")) continue;
      const list = want.get(b.system_name) ?? Array.from({ length: 20 }, (_, k) => [(k + 1) * 60_000, 0]);
      (list[Math.floor((b.timestamp - T0) / 60_000)] as unknown[])[1] = 1;
      want.set(b.system_name, list);
    }
    expect(want.size).toBe(3);
    expect(new Map([...got].sort())).toEqual(new Map([...want].sort()));
    expect(got.get("db-01")?.filter((x) => (x as number[])[1] === 1)).toHaveLength(17);
  });

  it("no query fails on an empty bucket (Grafana shows 'No data', not an error)", async () => {
    const empty = await freshBucket("grafana-empty");
    const saved = conn;
    conn = empty;
    try {
      for (const { dashboard } of DASHBOARDS) {
        for (const v of dashboard.templating?.list ?? []) {
          const q = variableQuery(v);
          if (q) await run(q, { system: "none" });
        }
        for (const panel of allPanels(dashboard)) await runPanel(panel, { system: "none", process: "none" });
      }
    } finally {
      conn = saved;
    }
  });
});
