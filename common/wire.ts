/**
 * The wire rules: what a submission may contain, written once. The server's schemas enforce them
 * (server/schemas.ts) and the agent cleans its samples to fit them (agent/payload.ts, agent/options.ts).
 * Plain constants and functions, no imports: the agent loads this under Node and under Deno
 * without pulling in anything of the server's, which is why it lives in neither folder.
 */

/**
 * Longest system name, process name or user name, in characters (Unicode code points, as zod
 * counts a string's length: U+1D160 is one character and two UTF-16 code units). So are the others.
 */
export const NAME_MAX = 255;
/** Longest command line kept; the agent cuts longer ones. */
export const COMMAND_MAX = 4096;
/** Longest process state ("sleeping", "disk-sleep", ...). */
export const STATE_MAX = 32;
/** How deeply a JSON body may nest (a submission needs 3). */
export const MAX_JSON_DEPTH = 32;

/**
 * Control characters (C0 and DEL) cannot be carried by InfluxDB line-protocol tags, so names may
 * not contain them: `NO_CONTROL` matches text without any (a schema pattern), `CONTROL_CHARS`
 * finds them all (for replacing).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

/**
 * A lone UTF-16 surrogate (valid in a JSON string escape, "\ud800") has no UTF-8 form: storage
 * would write U+FFFD instead, so such text is refused rather than altered.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/** A time of day, "HH:MM" or "HH:MM:SS", 00:00 to 23:59:59. */
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
/** A calendar date's shape, "YYYY-MM-DD" (whether the day exists is checked separately). */
export const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const DAY_MS = 86_400_000;

/**
 * The last instant InfluxDB can store (its point times are int64 nanoseconds: 2262-04-11). A
 * sampling instant outside [1970, this] is refused for both stores; (this + 1) × 1e6 < 2^63, so a
 * range may stop just after it.
 */
export const LAST_STORABLE_MS = 9_223_372_036_853;
export const isStorableInstant = (ms: number): boolean => ms >= 0 && ms <= LAST_STORABLE_MS;
