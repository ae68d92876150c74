/**
 * `npm start`'s own settings, validated like the server's (config.ts) and kept apart from them:
 * the local agent is start.ts's business, not the API server's.
 */
import { z } from "zod";
import { LOG_LEVELS } from "../agent/log.ts";
import { ConfigError, type Env } from "./config.ts";

const StartSchema = z.object({
  /** Sample this machine with the real agent as a child process (default on). */
  LOCAL_AGENT: z
    .enum(["0", "1", "true", "false"])
    .default("1")
    .transform((v) => v === "1" || v === "true"),
  /** The local agent's token (it reads it itself); also shown in the banner's curl examples. */
  PROCSCOPE_TOKEN: z.string().optional(),
  /** The local agent's log level. */
  PROCSCOPE_LOG_LEVEL: z.enum(LOG_LEVELS).default("warn"),
});

export type StartOptions = z.infer<typeof StartSchema>;

/** `npm start` keeps a week: a machine sampled every 5 s fills ~200 MB a day at 100 processes. */
export const START_DEFAULTS: Env = { RETENTION_DAYS: "7" };

/** Parses start.ts's variables (unset and empty alike mean the default); throws ConfigError. */
export function loadStartOptions(env: Env): StartOptions {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(StartSchema.shape)) {
    const value = env[key];
    if (value) raw[key] = value;
  }
  const parsed = StartSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  return parsed.data;
}
