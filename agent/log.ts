/** Structured logs: one JSON object per line on stderr, so stdout stays free for `--dry-run`. */

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

type Fields = Record<string, unknown>;
type Write = (msg: string, fields?: Fields) => void;

export interface Logger {
  debug: Write;
  info: Write;
  warn: Write;
  error: Write;
}

export function createLogger(level: LogLevel, out: (line: string) => void = (l) => process.stderr.write(l)) {
  const at =
    (lvl: Exclude<LogLevel, "silent">): Write =>
    (msg, fields) => {
      if (RANK[lvl] < RANK[level]) return;
      out(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields })}\n`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } satisfies Logger;
}

/** An error's message without its stack, for a log field. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}
