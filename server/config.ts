/**
 * Server configuration from the environment, validated once at start-up. Every bad value is
 * reported, each with its variable's name; a secret's value never appears in a message.
 */
import { z } from "zod";
import { TokenRegistry } from "./auth.ts";
import { isValidZone } from "./timewindow.ts";
import { loadWatches, type Watch, WatchesFileError } from "./watch/file.ts";

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const flag = z
  .enum(["0", "1", "true", "false", ""])
  .default("0")
  .transform((v) => v === "1" || v === "true");

const EnvSchema = z.object({
  PORT: int(8000, 0, 65535),
  HOST: z.string().min(1).default("127.0.0.1"),
  INFLUX_URL: z.url().optional(),
  INFLUX_TOKEN: z.string().min(1).optional(),
  INFLUX_ORG: z.string().min(1).default("procscope"),
  INFLUX_BUCKET: z.string().min(1).default("procscope"),
  /** The bucket run and instance history is kept in (default "<INFLUX_BUCKET>-history"). */
  INFLUX_HISTORY_BUCKET: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  TZ: z
    .string()
    .default("UTC")
    .refine((zone) => isValidZone(zone), "not a known IANA time zone"),
  RETENTION_DAYS: int(30, 1, 36_500),
  /** Run and instance history (docs/history.md) outlives raw samples: kept this many days. */
  HISTORY_RETENTION_DAYS: int(400, 1, 36_500),
  /**
   * How often this server compacts finished UTC days into history; 0: never (another server does;
   * the embedded store then keeps raw samples until they are compacted).
   */
  HISTORY_COMPACT_MINUTES: int(10, 0, 1440),
  MAX_BODY_BYTES: int(5 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  MAX_BATCH_PROCESSES: int(10_000, 1, 1_000_000),
  MAX_PAGE_SIZE: int(10_000, 1, 1_000_000),
  DEFAULT_PAGE_SIZE: int(1000, 1, 1_000_000),
  MAX_QUERY_DAYS: int(366, 1, 36_500),
  /** Calls one tRPC batch may carry. */
  MAX_BATCH_CALLS: int(10, 1, 1000),
  /** Sample rows one request may return, all calls of a batch together. */
  MAX_ROWS_PER_REQUEST: int(10_000, 1, 1_000_000),
  /** Bytes of sample data one request's answer may carry (estimated before serialising). */
  MAX_RESPONSE_BYTES: int(16 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
  STORAGE_TIMEOUT_MS: int(10_000, 100, 600_000),
  /** A gap between samples longer than this ends a run (default: three 5 s sampling intervals). */
  RUN_GAP_SECONDS: int(15, 1, 86_400),
  /** A crash loop (GET /api/process-runs/): at least this many restarts … */
  CRASH_LOOP_RESTARTS: int(3, 1, 1000),
  /** … within this many seconds. */
  CRASH_LOOP_WINDOW_SECONDS: int(600, 1, 86_400 * 30),
  REQUEST_TIMEOUT_MS: int(30_000, 1000, 600_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PUBLIC_URL: z.url().optional(),
  /** The built-in console at / (CONSOLE=0 turns it off). */
  CONSOLE: z
    .enum(["0", "1", "true", "false"])
    .default("1")
    .transform((v) => v === "1" || v === "true"),
  /** `name:scopes:token` entries, comma- or newline-separated; scopes `read`, `write`, `read+write`. */
  API_TOKENS: z.string().optional(),
  API_TOKENS_FILE: z.string().optional(),
  ALLOW_UNAUTHENTICATED: flag,
  /** Per API token (or for all unauthenticated clients together); 0 turns the limit off. */
  WRITE_RATE_PER_MINUTE: int(6000, 0, 10_000_000),
  /** Expected processes (docs/watches.md): a YAML file of watches; unset = no watches. */
  WATCHES_FILE: z.string().optional(),
  /** Where transitions are POSTed (comma-separated http(s) URLs), signed with WEBHOOK_SECRET. */
  WEBHOOK_URLS: z.string().default(""),
  WEBHOOK_SECRET: z.string().min(16).optional(),
  /** How often watches are evaluated. */
  WATCH_EVALUATION_MS: int(5000, 100, 600_000),
  /** How far back a starting server looks for each process (older: never_seen). */
  WATCH_LOOKBACK_SECONDS: int(900, 10, 7 * 86_400),
  /** Events kept per webhook receiver while it fails (the oldest are dropped beyond). */
  WEBHOOK_QUEUE_MAX: int(10_000, 1, 1_000_000),
  /** How long an event is retried before it is dropped (at least an hour by default). */
  WEBHOOK_RETRY_SECONDS: int(3600, 1, 7 * 86_400),
  /** Comma-separated origins allowed by CORS; empty = CORS off. */
  CORS_ORIGINS: z.string().default(""),
});

export type Config = z.infer<typeof EnvSchema> & {
  tokens: TokenRegistry;
  corsOrigins: string[];
  webhookUrls: string[];
  /** WATCHES_FILE's watches, read and validated at start-up; undefined without the file. */
  watches?: Watch[] | undefined;
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Variables as the environment has them; unset and empty mean the same. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses the environment; throws ConfigError listing every bad variable (never its value).
 * `defaults` replace the built-in defaults of the variables the environment leaves unset (the
 * entry point's own, e.g. `npm start` keeping 7 days rather than 30).
 */
export function loadConfig(env: Env = process.env, defaults: Env = {}): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = env[key] || defaults[key];
    if (value !== undefined && value !== "") raw[key] = value;
  }
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  let tokens: TokenRegistry;
  try {
    tokens = TokenRegistry.parse(parsed.data.API_TOKENS, parsed.data.API_TOKENS_FILE);
  } catch (err) {
    throw new ConfigError([`API_TOKENS: ${(err as Error).message}`]);
  }
  const corsOrigins = parsed.data.CORS_ORIGINS.split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  const webhookUrls = parsed.data.WEBHOOK_URLS.split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  const badUrls = webhookUrls.flatMap((u, i) => {
    const scheme = URL.canParse(u) ? new URL(u).protocol : undefined;
    return scheme === "http:" || scheme === "https:"
      ? []
      : [`WEBHOOK_URLS: entry ${i + 1} is not an http(s) URL${scheme ? ` (scheme ${scheme})` : ""}`];
  });
  if (badUrls.length > 0) throw new ConfigError(badUrls);
  if (webhookUrls.length > 0 && !parsed.data.WEBHOOK_SECRET) {
    throw new ConfigError(["WEBHOOK_SECRET: required when WEBHOOK_URLS is set (events are signed with it)"]);
  }
  const config: Config = { ...parsed.data, tokens, corsOrigins, webhookUrls };
  if (!LOOPBACK.test(config.HOST) && !tokens.enabled && !config.ALLOW_UNAUTHENTICATED) {
    throw new ConfigError([
      `HOST: listening on ${config.HOST} with no API tokens would let anyone on the network read and ` +
        "write samples; set API_TOKENS or API_TOKENS_FILE, or ALLOW_UNAUTHENTICATED=1 to accept that",
    ]);
  }
  if (config.INFLUX_URL && !config.INFLUX_TOKEN) {
    throw new ConfigError(["INFLUX_TOKEN: required when INFLUX_URL is set"]);
  }
  if (config.WATCHES_FILE) {
    try {
      config.watches = loadWatches(config.WATCHES_FILE);
    } catch (err) {
      if (!(err instanceof WatchesFileError)) throw err;
      throw new ConfigError(err.problems.map((p) => `WATCHES_FILE: ${p}`));
    }
  }
  if (config.DEFAULT_PAGE_SIZE > config.MAX_PAGE_SIZE) {
    throw new ConfigError(["DEFAULT_PAGE_SIZE: must not exceed MAX_PAGE_SIZE"]);
  }
  return config;
}
