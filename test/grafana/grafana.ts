/**
 * What Grafana does to a dashboard's Flux before InfluxDB sees it, reproduced for the tests, and the
 * provisioned files read from disk. Two steps, as in Grafana 11/12:
 *
 * 1. the browser replaces template variables (`${system:regex}`) in the query text
 *    (public/app/plugins/datasource/influxdb/datasource.ts `applyTemplateVariables`, formats from
 *    @grafana/scenes formatRegistry.ts, `escapeRegex` from @grafana/data);
 * 2. the server replaces the Flux macros `v.timeRangeStart`, `v.timeRangeStop`, `v.windowPeriod`,
 *    `v.defaultBucket`... (pkg/tsdb/influxdb/flux/macros.go `interpolateFluxSpecificVariables`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";

export const repoRoot = resolve(import.meta.dirname, "..", "..");
const grafanaDir = join(repoRoot, "grafana");
export const dashboardsDir = join(grafanaDir, "dashboards");

interface DataSourceRef {
  type?: string;
  uid?: string;
}

interface Target {
  refId?: string;
  query?: string;
  datasource?: DataSourceRef;
  hide?: boolean;
  [key: string]: unknown;
}

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
  [key: string]: unknown;
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string | { query?: string; refId?: string };
  definition?: string;
  [key: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Variable[] };
  [key: string]: unknown;
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

export function loadDashboards(): DashboardFile[] {
  return readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(join(dashboardsDir, file), "utf8")) as Dashboard,
    }));
}

/** Every panel, the panels inside (collapsed) rows included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** The Flux text of a query variable (Grafana accepts a bare string or `{ query }`). */
export function variableQuery(v: Variable): string | undefined {
  return typeof v.query === "string" ? v.query : v.query?.query;
}

export interface ProvisionedDataSource {
  name: string;
  type: string;
  uid: string;
  url: string;
  access?: string;
  isDefault?: boolean;
  jsonData: { version?: string; organization?: string; defaultBucket?: string; timeInterval?: string };
  secureJsonData?: { token?: string };
}

export function loadDataSources(): ProvisionedDataSource[] {
  const dir = join(grafanaDir, "provisioning", "datasources");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap(
      (f) =>
        (parse(readFileSync(join(dir, f), "utf8")) as { datasources: ProvisionedDataSource[] }).datasources,
    );
}

export interface DashboardProvider {
  name: string;
  type: string;
  options: { path: string };
  [key: string]: unknown;
}

export function loadDashboardProviders(): DashboardProvider[] {
  const dir = join(grafanaDir, "provisioning", "dashboards");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap(
      (f) => (parse(readFileSync(join(dir, f), "utf8")) as { providers: DashboardProvider[] }).providers,
    );
}

/** Grafana's `escapeRegex` (@grafana/data, text/string.ts): what the `:regex` format applies. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

/** The formats the dashboards may use; anything else fails the test rather than being guessed. */
/** A variable set to "All" (Grafana's $__all), and the custom all value our dashboards give it. */
export const ALL = "$__all";
export const ALL_VALUE = ".*";

const FORMATS: Record<string, (value: string) => string> = {
  regex: escapeRegex,
};

// Grafana's variable syntaxes: $name, [[name]], [[name:fmt]], ${name}, ${name.path}, ${name:fmt}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/**
 * Step 1, the browser: template variables replaced. Every variable a Flux query uses must name a
 * format (a bare `$system` would paste the raw tag value into Flux); an unknown variable throws.
 */
export function replaceTemplateVariables(text: string, values: Record<string, string>): string {
  return text.replace(VARIABLE, (match, v1, v2, f2, v3, _path, f3) => {
    const name = (v1 ?? v2 ?? v3) as string;
    if (name.startsWith("__")) return match; // Grafana's own ($__interval): the server's step
    const value = values[name];
    if (value === undefined) throw new Error(`unknown template variable ${match}`);
    // "All" of a variable with a custom all value: Grafana inserts that value as it is, unformatted
    if (value === ALL) return ALL_VALUE;
    const format = (f2 ?? f3) as string | undefined;
    if (!format) throw new Error(`${match} names no format: use \${${name}:regex} inside a Flux regex`);
    const formatter = FORMATS[format];
    if (!formatter) throw new Error(`${match}: format "${format}" is not one the tests reproduce`);
    return formatter(value);
  });
}

/** Go's time.Duration.String() for a whole number of milliseconds ("1m0s", "10s", "500ms"). */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, "")}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

/** Go's time.RFC3339Nano in UTC: no fraction when it is zero, trailing zeros trimmed. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : "Z"));
}

export interface MacroContext {
  from: number;
  to: number;
  intervalMs: number;
  organization: string;
  defaultBucket: string;
  /** The query's own bucket option (Grafana sends "" unless the query sets one). */
  bucket?: string;
}

/** Step 2, Grafana's server: macros.go, line for line (including its `anything.name` matching). */
export function interpolateFluxMacros(flux: string, ctx: MacroContext): string {
  const matches = [...flux.matchAll(/([a-zA-Z]+)\.([a-zA-Z]+)/gm)];
  let out = flux;
  for (const m of matches) {
    const whole = m[0];
    switch (m[2]) {
      case "timeRangeStart":
        out = out.replaceAll(whole, rfc3339Nano(ctx.from));
        break;
      case "timeRangeStop":
        out = out.replaceAll(whole, rfc3339Nano(ctx.to));
        break;
      case "windowPeriod":
        out = out.replaceAll(whole, goDuration(ctx.intervalMs));
        break;
      case "bucket":
        out = out.replaceAll(whole, `"${ctx.bucket ?? ""}"`);
        break;
      case "defaultBucket":
        out = out.replaceAll(whole, `"${ctx.defaultBucket}"`);
        break;
      case "organization":
        out = out.replaceAll(whole, `"${ctx.organization}"`);
        break;
    }
  }
  // macros.go then replaces $__interval and $__interval_ms: the dashboards use v.windowPeriod
  // instead, and replaceTemplateVariables leaves `$__...` in place, so a query using them fails here.
  return out;
}

/** Both steps: the Flux text InfluxDB receives for a panel or variable query. */
export function fluxAsSent(query: string, values: Record<string, string>, ctx: MacroContext): string {
  return interpolateFluxMacros(replaceTemplateVariables(query, values), ctx);
}
