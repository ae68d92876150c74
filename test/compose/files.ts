/**
 * docker-compose.yml, .env.example and the Dockerfile as the tests read them. There is no Docker
 * engine here: the files are parsed and checked against each other and against the code they run,
 * not started.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../grafana/grafana.ts";

export { repoRoot };

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
  [key: string]: unknown;
}

export interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean> | string[];
  volumes?: (string | { type: string; source?: string; target: string; read_only?: boolean })[];
  ports?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
  pid?: string;
  [key: string]: unknown;
}

export interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

const composeText = readFileSync(join(repoRoot, "docker-compose.yml"), "utf8");
export const compose = parse(composeText) as Compose;
const dockerfileText = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
export const packageJson = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
  allowScripts?: Record<string, boolean>;
};

/** .env.example as compose reads a .env file: KEY=VALUE lines, comments and blank lines skipped. */
export function envExample(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readFileSync(join(repoRoot, ".env.example"), "utf8").split("\n")) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) throw new Error(`.env.example: not KEY=VALUE: ${line}`);
    vars.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  return vars;
}

// Compose interpolation: $VAR, ${VAR}, ${VAR:-default} and friends; $$ is a literal $.
const INTERPOLATION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** The variables a text interpolates. */
export function interpolated(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(INTERPOLATION)) {
    const name = m[1] ?? m[2];
    if (name) names.add(name);
  }
  return names;
}

/** A value with compose's interpolation applied from `vars` (every variable must be defined). */
export function interpolate(text: string, vars: Map<string, string>): string {
  return text.replace(INTERPOLATION, (whole, braced, bare) => {
    if (whole === "$$") return "$";
    const name = (braced ?? bare) as string;
    const value = vars.get(name);
    if (value === undefined) throw new Error(`\${${name}} is not defined`);
    return value;
  });
}

/** A service's environment as a map (compose accepts a mapping or a KEY=VALUE list). */
export function environment(service: Service): Map<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return new Map(
      env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] as [string, string]),
    );
  }
  return new Map(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  /** A bind mount of a host path, as opposed to a named volume. */
  bind: boolean;
}

export function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== "string") {
      const source = v.source ?? "";
      return { source, target: v.target, readOnly: v.read_only === true, bind: v.type === "bind" };
    }
    const [source = "", target = "", mode = ""] = v.split(":");
    const bind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
    return { source, target, readOnly: mode.split(",").includes("ro"), bind };
  });
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function dockerfileInstructions(): { op: string; args: string }[] {
  const joined = dockerfileText
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const space = l.search(/\s/);
      return { op: l.slice(0, space).toUpperCase(), args: l.slice(space + 1).trim() };
    });
}
