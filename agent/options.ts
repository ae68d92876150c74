/** The agent's options: each from its flag, else its environment variable, else its default. */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { NAME_MAX, NO_CONTROL } from "../common/wire.ts";
import { LOG_LEVELS, type LogLevel } from "./log.ts";

export interface Options {
  server: string;
  token: string | undefined;
  systemName: string;
  intervalMs: number;
  once: boolean;
  dryRun: boolean;
  spoolDir: string;
  spoolMaxBytes: number;
  timeoutMs: number;
  logLevel: LogLevel;
}

export type Parsed = { kind: "help"; text: string } | { kind: "run"; options: Options };

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const HELP = `procscope agent: samples this machine's processes and submits them to a procscope server.

Usage: procscope-agent [options]           (Node: dist/agent.js, built by npm install / npm run build)
       deno run -A agent/main.ts [options] (Deno 2: -A, as Deno reads /proc only with --allow-all)
       npm run agent -- [options]          (development: the TypeScript sources through tsx)

Options (each also read from its environment variable; the flag wins):
  --server <url>         PROCSCOPE_SERVER        server base URL (default http://127.0.0.1:8000)
  --token <t>            PROCSCOPE_TOKEN         sent as "Authorization: Bearer <t>"
  --token-file <path>    PROCSCOPE_TOKEN_FILE    read the token from this file (e.g. a systemd
                                                 credential: %d/token); not with --token
  --system-name <n>      PROCSCOPE_SYSTEM_NAME   name of this machine (default: host name)
  --interval <seconds>   PROCSCOPE_INTERVAL      sampling interval (default 5)
  --spool-dir <dir>      PROCSCOPE_SPOOL_DIR     where unsent samples wait on disk
                                                 (default $XDG_STATE_HOME/procscope/spool,
                                                 else ~/.local/state/procscope/spool)
  --spool-max-mb <n>     PROCSCOPE_SPOOL_MAX_MB  spool size cap; the oldest samples go first (default 100)
  --timeout <seconds>    PROCSCOPE_TIMEOUT       per-request timeout (default 10)
  --log-level <level>    PROCSCOPE_LOG_LEVEL     debug, info, warn, error or silent (default info)
  --once                                         take one sample, send it (and any spooled ones), exit:
                                                 0 when it was stored, 1 when not (it stays spooled
                                                 unless the server refused it), 2 on bad options
  --dry-run                                      print each sample's JSON payload on stdout, send nothing
  -h, --help                                     show this help

Logs are JSON lines on stderr.
`;

const FLAGS = {
  server: { type: "string" },
  token: { type: "string" },
  "token-file": { type: "string" },
  "system-name": { type: "string" },
  interval: { type: "string" },
  "spool-dir": { type: "string" },
  "spool-max-mb": { type: "string" },
  timeout: { type: "string" },
  "log-level": { type: "string" },
  once: { type: "boolean" },
  "dry-run": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export type Env = (name: string) => string | undefined;

/**
 * Reads one environment variable. Under Deno a variable the agent was not granted (`--allow-env`)
 * counts as unset, so the agent runs with no env permission when every option comes by flag.
 */
export const processEnv: Env = (name) => {
  try {
    const value = process.env[name];
    return value === "" ? undefined : value;
  } catch {
    return undefined;
  }
};

function positive(name: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min)
    throw new UsageError(`${name} must be a number ≥ ${min}, got "${raw}"`);
  return value;
}

function serverUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--server must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--server must be an http(s) URL, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, "");
}

function systemName(raw: string): string {
  if (raw.length < 1 || raw.length > NAME_MAX || !NO_CONTROL.test(raw)) {
    throw new UsageError(`--system-name must be 1–${NAME_MAX} characters without control characters`);
  }
  return raw;
}

function hostName(host: () => string): string {
  try {
    return host();
  } catch (err) {
    throw new UsageError(`cannot read the host name (${(err as Error).message}); give --system-name`);
  }
}

function defaultSpoolDir(env: Env): string {
  const state =
    env("XDG_STATE_HOME") ?? (env("HOME") ? join(env("HOME") as string, ".local", "state") : undefined);
  if (!state) throw new UsageError("no --spool-dir given and neither XDG_STATE_HOME nor HOME is set");
  return join(state, "procscope", "spool");
}

/** Parses argv (without the runtime and script) and the environment; throws UsageError. */
/** The token from --token, else from the file --token-file names (its whitespace around trimmed). */
function token(inline: string | undefined, file: string | undefined, read: (path: string) => string) {
  if (inline !== undefined && file !== undefined)
    throw new UsageError("give --token or --token-file, not both");
  if (file === undefined) return inline;
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw new UsageError(`--token-file: cannot read ${file} (${(err as Error).message})`);
  }
  const value = text.trim();
  if (value === "" || /[\r\n]/.test(value)) {
    throw new UsageError(`--token-file: ${file} must hold the token alone, on one line`);
  }
  return value;
}

export function parseOptions(
  argv: string[],
  env: Env = processEnv,
  host: () => string = hostname,
  read: (path: string) => string = (path) => readFileSync(path, "utf8"),
): Parsed {
  let values: { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]["type"] extends "string" ? string : boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { kind: "help", text: HELP };
  const pick = (flag: keyof typeof FLAGS, variable: string) => {
    const value = values[flag];
    return typeof value === "string" ? value : env(variable);
  };
  const logLevel = pick("log-level", "PROCSCOPE_LOG_LEVEL") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  const dryRun = values["dry-run"] === true;
  const spoolDir = pick("spool-dir", "PROCSCOPE_SPOOL_DIR");
  return {
    kind: "run",
    options: {
      server: serverUrl(pick("server", "PROCSCOPE_SERVER") ?? "http://127.0.0.1:8000"),
      token: token(pick("token", "PROCSCOPE_TOKEN"), pick("token-file", "PROCSCOPE_TOKEN_FILE"), read),
      systemName: systemName(pick("system-name", "PROCSCOPE_SYSTEM_NAME") ?? hostName(host)),
      intervalMs: positive("--interval", pick("interval", "PROCSCOPE_INTERVAL") ?? "5", 0.1) * 1000,
      once: values.once === true,
      dryRun,
      // A dry run writes nothing, so it needs no spool (nor the permission to find its default).
      spoolDir: spoolDir ?? (dryRun ? "" : defaultSpoolDir(env)),
      spoolMaxBytes: Math.round(
        positive("--spool-max-mb", pick("spool-max-mb", "PROCSCOPE_SPOOL_MAX_MB") ?? "100", 0.01) *
          1024 *
          1024,
      ),
      timeoutMs: positive("--timeout", pick("timeout", "PROCSCOPE_TIMEOUT") ?? "10", 0.1) * 1000,
      logLevel: logLevel as LogLevel,
    },
  };
}
