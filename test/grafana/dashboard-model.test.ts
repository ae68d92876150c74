/**
 * grafana/dashboards/*.json against Grafana's dashboard model (the v1 JSON that file provisioning
 * loads), and grafana/provisioning/ against what the dashboards expect of it.
 */
import { describe, expect, it } from "vitest";
import {
  allPanels,
  type GridPos,
  loadDashboardProviders,
  loadDashboards,
  loadDataSources,
  type Panel,
  variableQuery,
} from "./grafana.ts";

const DASHBOARDS = loadDashboards();
const [DATASOURCE] = loadDataSources();
const DS_UID = "procscope-influxdb";

/** Schema versions of the v1 dashboard model: 39 is Grafana 11.0's; 42 is the last v1 version. */
const SCHEMA_VERSIONS = { min: 39, max: 42 };
/** Core panel plugins these dashboards may use. */
const PANEL_TYPES = new Set([
  "stat",
  "timeseries",
  "table",
  "bargauge",
  "gauge",
  "state-timeline",
  "text",
  "row",
]);

const overlap = (a: GridPos, b: GridPos) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The argument text of every call of `fn(` in `flux`, parentheses balanced. */
function callArgs(flux: string, fn: string): string[] {
  const out: string[] = [];
  for (let at = flux.indexOf(`${fn}(`); at !== -1; at = flux.indexOf(`${fn}(`, at + 1)) {
    const open = at + fn.length;
    let depth = 0;
    for (let i = open; i < flux.length; i++) {
      if (flux[i] === "(") depth++;
      else if (flux[i] === ")" && --depth === 0) {
        out.push(flux.slice(open + 1, i));
        break;
      }
    }
  }
  return out;
}

/** Every Flux text of a dashboard: panel targets and query variables. */
function fluxTexts(d: (typeof DASHBOARDS)[number]["dashboard"]): { where: string; flux: string }[] {
  return [
    ...allPanels(d).flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, flux: String(t.query) })),
    ),
    ...(d.templating?.list ?? []).map((v) => ({ where: `variable ${v.name}`, flux: variableQuery(v) ?? "" })),
  ];
}

describe("provisioning", () => {
  it("defines one InfluxDB data source with Flux, a fixed uid and the token from the environment", () => {
    expect(loadDataSources()).toHaveLength(1);
    expect(DATASOURCE).toMatchObject({ type: "influxdb", uid: DS_UID, access: "proxy" });
    expect(DATASOURCE?.jsonData.version).toBe("Flux");
    // Every connection value is a Grafana environment reference, never a literal.
    const envRef = /^\$\{?[A-Z][A-Z0-9_]*\}?$/;
    expect(DATASOURCE?.url).toMatch(envRef);
    expect(DATASOURCE?.jsonData.organization).toMatch(envRef);
    expect(DATASOURCE?.jsonData.defaultBucket).toMatch(envRef);
    expect(DATASOURCE?.secureJsonData?.token).toMatch(envRef);
  });

  it("has a file provider with an absolute path for the dashboards", () => {
    const providers = loadDashboardProviders();
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ type: "file", allowUiUpdates: false });
    expect(providers[0]?.options.path).toMatch(/^\/[^$]+$/);
  });
});

describe("dashboards", () => {
  it("exist: a fleet overview, a per-system view and the watches", () => {
    expect(DASHBOARDS.map((d) => d.file)).toEqual(
      expect.arrayContaining(["fleet-overview.json", "system.json", "watches.json"]),
    );
  });

  it("have unique uids and titles", () => {
    const uids = DASHBOARDS.map((d) => d.dashboard.uid);
    const titles = DASHBOARDS.map((d) => d.dashboard.title);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(titles).size).toBe(titles.length);
  });

  for (const { file, dashboard: d } of DASHBOARDS) {
    describe(file, () => {
      const panels = allPanels(d);
      const variables = d.templating?.list ?? [];

      it("has the dashboard fields Grafana needs, and a recent v1 schema version", () => {
        expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
        expect(d.title.trim()).not.toBe("");
        expect(Number.isInteger(d.schemaVersion)).toBe(true);
        expect(d.schemaVersion).toBeGreaterThanOrEqual(SCHEMA_VERSIONS.min);
        expect(d.schemaVersion).toBeLessThanOrEqual(SCHEMA_VERSIONS.max);
        // Provisioned dashboards carry no database id; Grafana assigns one.
        expect(d.id ?? null).toBeNull();
        expect(d.time).toMatchObject({ from: expect.any(String), to: expect.any(String) });
        expect(d.tags).toContain("procscope");
        expect(panels.length).toBeGreaterThan(0);
      });

      it("has unique positive panel ids and unique, non-empty titles", () => {
        const ids = panels.map((p) => p.id);
        expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
        const titles = panels.map((p) => p.title);
        expect(titles.every((t) => typeof t === "string" && t.trim() !== "")).toBe(true);
        expect(new Set(titles).size).toBe(titles.length);
      });

      it("uses known panel types", () => {
        for (const p of panels) expect(PANEL_TYPES, p.title).toContain(p.type);
      });

      it("lays panels out inside 24 columns without overlaps", () => {
        const top = d.panels;
        for (const p of panels) {
          const g = p.gridPos;
          for (const k of ["x", "y", "w", "h"] as const)
            expect(Number.isInteger(g[k]), `${p.title} ${k}`).toBe(true);
          expect(g.x, p.title).toBeGreaterThanOrEqual(0);
          expect(g.y, p.title).toBeGreaterThanOrEqual(0);
          expect(g.w, p.title).toBeGreaterThanOrEqual(1);
          expect(g.h, p.title).toBeGreaterThanOrEqual(1);
          expect(g.x + g.w, `${p.title} ends past column 24`).toBeLessThanOrEqual(24);
        }
        for (let i = 0; i < top.length; i++) {
          for (let j = i + 1; j < top.length; j++) {
            const [a, b] = [top[i] as Panel, top[j] as Panel];
            expect(overlap(a.gridPos, b.gridPos), `"${a.title}" overlaps "${b.title}"`).toBe(false);
          }
        }
      });

      it("queries the provisioned data source from every panel, target and variable", () => {
        for (const p of panels.filter((x) => x.type !== "row" && x.type !== "text")) {
          expect(p.datasource, p.title).toEqual({ type: "influxdb", uid: DS_UID });
          expect(p.targets?.length, p.title).toBeGreaterThan(0);
          const refIds = (p.targets ?? []).map((t) => t.refId);
          expect(new Set(refIds).size, `${p.title}: refIds`).toBe(refIds.length);
          for (const t of p.targets ?? []) {
            expect(t.datasource, p.title).toEqual({ type: "influxdb", uid: DS_UID });
            expect(String(t.query ?? "").trim(), p.title).not.toBe("");
          }
        }
        for (const v of variables) {
          expect(v.type, v.name).toBe("query");
          expect(v.datasource, v.name).toEqual({ type: "influxdb", uid: DS_UID });
          expect(variableQuery(v)?.trim(), v.name).toBeTruthy();
          expect(v.definition, `${v.name}: definition is what the editor shows`).toBe(variableQuery(v));
          // Refresh on dashboard load (1) or on time range change (2): never a stale list.
          expect([1, 2], v.name).toContain(v.refresh);
        }
        expect(new Set(variables.map((v) => v.name)).size).toBe(variables.length);
      });

      it("lets the time picker drive every query: Grafana's Flux variables, never a fixed range or bucket", () => {
        for (const { where, flux } of fluxTexts(d)) {
          const ranges = callArgs(flux, "range");
          const tagValues = callArgs(flux, "schema.tagValues");
          expect(ranges.length + tagValues.length, `${where}: reads no time range`).toBeGreaterThan(0);
          // start and stop are Grafana's, or a variable of the query computed from them (such as
          // one instant inside the range).
          const bound = (args: string, arg: string, macro: string) => {
            const value = new RegExp(`\\b${arg}: (\\w+(?:\\.\\w+)?)`).exec(args)?.[1];
            if (value === `v.${macro}`) return true;
            return Boolean(value && new RegExp(`^${value} = .*\\bv\\.${macro}\\b`, "m").test(flux));
          };
          for (const args of [...ranges, ...tagValues]) {
            expect(bound(args, "start", "timeRangeStart"), `${where}: ${args}`).toBe(true);
            expect(bound(args, "stop", "timeRangeStop"), `${where}: ${args}`).toBe(true);
          }
          const buckets = [...flux.matchAll(/bucket: ([^,)\s]+)/g)].map((m) => m[1]);
          expect(buckets.length, `${where}: names no bucket`).toBeGreaterThan(0);
          for (const b of buckets) expect(b, where).toBe("v.defaultBucket");
        }
      });

      it("aggregates every time series with aggregateWindow over v.windowPeriod", () => {
        for (const p of panels.filter((x) => x.type === "timeseries")) {
          for (const t of p.targets ?? []) {
            const windows = callArgs(String(t.query), "aggregateWindow");
            expect(windows.length, p.title).toBeGreaterThan(0);
            for (const w of windows) expect(w, p.title).toMatch(/every: v\.windowPeriod/);
          }
        }
      });

      it("uses only its own template variables, each inside a Flux regex with the :regex format", () => {
        const names = new Set(variables.map((v) => v.name));
        const texts = [...fluxTexts(d).map((x) => x.flux), ...panels.map((p) => p.title)];
        for (const text of texts) {
          for (const m of text.matchAll(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g)) {
            const name = (m[1] ?? m[3]) as string;
            if (name.startsWith("__")) continue;
            expect(names, `${m[0]} in ${text.slice(0, 60)}`).toContain(name);
          }
        }
        for (const { where, flux } of fluxTexts(d)) {
          for (const m of flux.matchAll(/\$\{?\w+(?::\w+)?\}?/g)) {
            expect(m[0], where).toMatch(/^\$\{\w+:regex\}$/);
            expect(flux.slice(0, m.index), `${where}: ${m[0]} opens an anchored regex`).toMatch(/=~ \/\^$/);
            expect(flux.slice(m.index + m[0].length), `${where}: ${m[0]} closes it`).toMatch(/^\$\//);
          }
        }
      });

      it("links only to provisioned dashboards and their variables", () => {
        const json = JSON.stringify(d);
        for (const m of json.matchAll(/\/d\/([\w-]+)\/[\w-]*\?([^"]*)/g)) {
          const target = DASHBOARDS.find((x) => x.dashboard.uid === m[1]);
          expect(target, `link to unknown dashboard ${m[1]}`).toBeDefined();
          const targetVars = new Set((target?.dashboard.templating?.list ?? []).map((v) => v.name));
          for (const v of (m[2] as string).matchAll(/var-(\w+)=/g)) expect(targetVars).toContain(v[1]);
        }
      });
    });
  }
});
