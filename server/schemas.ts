/**
 * Every input and output of the API, as zod schemas. The tRPC router, the REST paths and the
 * OpenAPI document are all generated from these; nothing about a payload is written twice.
 */
import { z } from "zod";

/** Control characters cannot be carried by InfluxDB line protocol tags, so they are refused. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
/**
 * A lone UTF-16 surrogate (valid in a JSON string escape, "\ud800") has no UTF-8 form: storage
 * would write U+FFFD instead, so such text is refused rather than altered.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const wellFormed = (v: string) => !LONE_SURROGATE.test(v);
const WELL_FORMED = "must be well-formed Unicode (no lone surrogate)";
const label = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(255, `${what} must be at most 255 characters`)
    .regex(NO_CONTROL, `${what} must not contain control characters (newline, tab, NUL, ...)`)
    .refine(wellFormed, `${what} ${WELL_FORMED}`);

/**
 * A JSON number that stays strict: trpc-to-openapi coerces every number it finds in an input
 * schema (Number("5") → 5) so that query strings work; in a JSON body a string where a number
 * belongs is a client error. Wrapping the number in a pipe hides it from that coercion.
 */
const jsonNumber = (schema: z.ZodNumber) => schema.pipe(z.number());
const finiteNonNegative = z.number().nonnegative().finite();
const pid = jsonNumber(
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
);
/** An instant: ISO-8601 with a zone, or epoch milliseconds. */
const instant = z.union([z.iso.datetime({ offset: true }), z.number().int().min(0).max(8.64e15)]);
/**
 * The last instant InfluxDB can store (its point times are int64 nanoseconds: 2262-04-11). A
 * sampling instant outside [1970, that] is refused here, for both stores, instead of InfluxDB
 * refusing the write (which surfaced as a 500).
 */
export const LAST_STORABLE_MS = 9_223_372_036_853; // ms: (this + 1) × 1e6 < 2^63, so a range can stop after it
const storable = (v: string | number) => {
  const ms = typeof v === "number" ? v : Date.parse(v);
  return ms >= 0 && ms <= LAST_STORABLE_MS;
};

export const ProcessIn = z
  .object({
    pid: pid.describe("Process id").meta({ example: 1234 }),
    name: label("name").describe("Process name").meta({ example: "python" }),
    cpu_percent: jsonNumber(finiteNonNegative)
      .describe("CPU used since the previous sample; 100 = one full core")
      .meta({ example: 5.2 }),
    memory_percent: jsonNumber(finiteNonNegative.max(100))
      .describe("Resident memory over total memory, in percent")
      .meta({ example: 1.5 }),
    memory_rss: jsonNumber(z.number().int().min(0))
      .optional()
      .describe("Resident set size in bytes")
      .meta({ example: 52_428_800 }),
    started_at: instant
      .optional()
      .describe("When the process started")
      .meta({ example: "2026-03-10T08:12:04Z" }),
    user: z
      .string()
      .max(255)
      .regex(NO_CONTROL)
      .refine(wellFormed, WELL_FORMED)
      .optional()
      .describe("The process's user")
      .meta({ example: "www-data" }),
    command: z
      .string()
      .max(4096)
      .refine(wellFormed, WELL_FORMED)
      .optional()
      .describe("Command line (control characters are kept as sent)")
      .meta({ example: "python3 -m http.server 8080" }),
    state: z
      .string()
      .max(32)
      .regex(NO_CONTROL)
      .refine(wellFormed, WELL_FORMED)
      .optional()
      .describe("Scheduler state as the OS names it")
      .meta({ example: "running" }),
    parent_pid: pid.optional().describe("Parent's process id").meta({ example: 1 }),
  })
  .meta({ id: "ProcessIn" });

export const SubmitIn = z.object({
  system_name: label("system_name")
    .describe("The machine the sample was taken on")
    .meta({ example: "System_A" }),
  processes: z
    .array(ProcessIn)
    .min(1, "processes must not be empty")
    .describe("Every process of the system at the sampling instant, each (name, pid) once"),
  timestamp: instant
    .refine(
      storable,
      `must be between ${new Date(0).toISOString()} and ${new Date(LAST_STORABLE_MS).toISOString()}`,
    )
    .optional()
    .describe("Sampling instant; default: time of receipt. Retries reuse it.")
    .meta({ example: "2026-03-10T00:45:00Z" }),
});

export const SubmitOut = z.object({
  success: z.literal(true),
  message: z.string().meta({ example: "Data received successfully." }),
  accepted: z.number().int().min(1).describe("Samples stored: one per process").meta({ example: 2 }),
});

/**
 * A name asked about in a query (system_name, process_name): stored names never hold control
 * characters or lone surrogates, so such a name is refused with a 400 naming the parameter, the
 * same on both stores (InfluxDB could not even be asked about a NUL).
 */
const nameQuery = (what: string) =>
  z
    .string()
    .regex(NO_CONTROL, `${what} must not contain control characters (newline, tab, NUL, ...)`)
    .refine(wellFormed, `${what} ${WELL_FORMED}`);

const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, "must be a time of day, HH:MM or HH:MM:SS");
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date, YYYY-MM-DD");
const isoInstant = z.iso.datetime({ offset: true, message: "must be an ISO-8601 instant with a zone" });

export const FilterIn = z.object({
  start_time: timeOfDay
    .describe("Window start, inclusive: local wall-clock time in tz; default midnight")
    .meta({ example: "00:30:00" })
    .optional(),
  end_time: timeOfDay
    .describe(
      "Window end, exclusive; default the next midnight. Not after start_time = the window runs into the next day",
    )
    .meta({ example: "01:05:00" })
    .optional(),
  date: date
    .describe("The local day the window applies to; default today (in tz)")
    .meta({ example: "2026-03-10" })
    .optional(),
  from: isoInstant
    .describe("Apply the window on every day of [from, to); default `to` minus one day")
    .meta({ example: "2026-03-01T00:00:00Z" })
    .optional(),
  to: isoInstant
    .describe("End of [from, to), exclusive; default now. At most MAX_QUERY_DAYS (366) days after from")
    .meta({ example: "2026-03-08T00:00:00Z" })
    .optional(),
  tz: z
    .string()
    .describe("IANA zone of the times of day and dates; default the server's TZ")
    .meta({ example: "Europe/Berlin" })
    .optional(),
  system_name: nameQuery("system_name")
    .describe("Only samples of this system")
    .meta({ example: "System_A" })
    .optional(),
  process_name: nameQuery("process_name")
    .describe("Only processes of this name")
    .meta({ example: "python" })
    .optional(),
  pid: z.number().int().min(0).describe("Only this process id").meta({ example: 1234 }).optional(),
  page: z.number().int().min(1).describe("Page number, from 1").meta({ example: 1 }).default(1),
  page_size: z
    .number()
    .int()
    .min(1)
    .describe("Rows per page; default DEFAULT_PAGE_SIZE (1000), at most MAX_PAGE_SIZE (10 000)")
    .meta({ example: 100 })
    .optional(),
});

export const SampleOut = z
  .object({
    system_name: z.string().meta({ example: "System_A" }),
    pid: z.number().int().min(0).meta({ example: 1234 }),
    name: z.string().meta({ example: "python" }),
    cpu_percent: z.number().meta({ example: 5.2 }),
    memory_percent: z.number().meta({ example: 1.5 }),
    timestamp: z
      .string()
      .describe("Sampling instant, ISO-8601, UTC")
      .meta({ example: "2026-03-10T00:45:00.000Z" }),
    memory_rss: z.number().int().min(0).optional().meta({ example: 52_428_800 }),
    started_at: z.string().optional().meta({ example: "2026-03-10T08:12:04.000Z" }),
    user: z.string().optional().meta({ example: "www-data" }),
    command: z.string().optional().meta({ example: "python3 -m http.server 8080" }),
    state: z.string().optional().meta({ example: "running" }),
    parent_pid: z.number().int().min(0).optional().meta({ example: 1 }),
  })
  .meta({ id: "Sample" });

const pageLink = (which: string) =>
  z
    .string()
    .nullable()
    .describe(
      `The ${which} page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none`,
    )
    .meta({
      example: `/api/filter-processes/?start_time=00%3A30%3A00&end_time=01%3A05%3A00&page=${which === "next" ? 3 : 1}`,
    });

export const FilterOut = z.object({
  success: z.literal(true),
  count: z.number().int().min(0).describe("All matching rows, not just this page").meta({ example: 2 }),
  page: z.number().int().min(1).meta({ example: 2 }),
  page_size: z.number().int().min(1).meta({ example: 1000 }),
  next: pageLink("next"),
  previous: pageLink("previous"),
  next_page: z
    .number()
    .int()
    .min(2)
    .nullable()
    .describe("Number of the next page; null on the last")
    .meta({ example: 3 }),
  previous_page: z
    .number()
    .int()
    .min(1)
    .nullable()
    .describe("Number of the previous page; null on the first")
    .meta({ example: 1 }),
  data: z.array(SampleOut).describe("This page's samples, by timestamp, system_name, name, then pid"),
});

export const DurationIn = z.object({
  system_name: nameQuery("system_name")
    .min(1)
    .describe("The system the process ran on")
    .meta({ example: "Vinay" }),
  process_name: nameQuery("process_name").min(1).describe("The process's name").meta({ example: "Code.exe" }),
  from: isoInstant
    .describe("Only consider samples from this instant on; default: the retention period")
    .meta({ example: "2026-03-01T00:00:00Z" })
    .optional(),
  to: isoInstant
    .describe("Only consider samples up to this instant; default now")
    .meta({ example: "2026-03-10T13:00:00Z" })
    .optional(),
});

export const RunOut = z.object({
  start: z.string().describe("First sample of the run").meta({ example: "2026-03-10T12:00:00.000Z" }),
  end: z.string().describe("Last sample of the run").meta({ example: "2026-03-10T12:00:05.000Z" }),
  seconds: z.number().min(0).meta({ example: 5 }),
  pids: z
    .array(z.number().int().min(0))
    .describe("Process ids seen during the run")
    .meta({ example: [42] }),
});

export const DurationOut = z.object({
  success: z.literal(true),
  system_name: z.string().meta({ example: "Vinay" }),
  process_name: z.string().meta({ example: "Code.exe" }),
  duration_seconds: z.number().min(0).describe("Sum of the observed runs").meta({ example: 5 }),
  duration_human_readable: z
    .string()
    .describe('"H:MM:SS", or "N day(s), H:MM:SS" past a day')
    .meta({ example: "0:00:05" }),
  first_seen: z.string().meta({ example: "2026-03-10T12:00:00.000Z" }),
  last_seen: z.string().meta({ example: "2026-03-10T12:00:05.000Z" }),
  running: z.boolean().describe("Seen within RUN_GAP_SECONDS of now").meta({ example: false }),
  uptime_seconds: z
    .number()
    .min(0)
    .nullable()
    .describe("Since the process started (or its current run began), when running; else null")
    .meta({ example: null }),
  runs: z.array(RunOut),
});

export const SystemsOut = z.object({
  success: z.literal(true),
  systems: z.array(
    z.object({
      system_name: z.string().meta({ example: "System_A" }),
      first_seen: z.string().meta({ example: "2026-03-10T00:45:00.000Z" }),
      last_seen: z.string().meta({ example: "2026-03-10T12:00:00.000Z" }),
      process_count: z.number().int().min(0).describe("Processes in the latest sample").meta({ example: 2 }),
    }),
  ),
});

export type SubmitInput = z.infer<typeof SubmitIn>;
export type FilterInput = z.infer<typeof FilterIn>;
export type DurationInput = z.infer<typeof DurationIn>;
