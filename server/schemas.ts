/**
 * Every input and output of the API, as zod schemas. The tRPC router, the REST paths and the
 * OpenAPI document are all generated from these; nothing about a payload is written twice.
 */
import { z } from "zod";
import {
  COMMAND_MAX,
  DATE,
  isStorableInstant,
  isWellFormed,
  LAST_STORABLE_MS,
  NAME_MAX,
  NO_CONTROL,
  STATE_MAX,
  TIME_OF_DAY,
} from "../common/wire.ts";

const WELL_FORMED = "must be well-formed Unicode (no lone surrogate)";
const label = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(NAME_MAX, `${what} must be at most ${NAME_MAX} characters`)
    .regex(NO_CONTROL, `${what} must not contain control characters (newline, tab, NUL, ...)`)
    .refine(isWellFormed, `${what} ${WELL_FORMED}`);

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
/** A sampling instant InfluxDB can store (common/wire.ts); refused here for both stores. */
const storableInstant = (v: string | number) => isStorableInstant(typeof v === "number" ? v : Date.parse(v));

const count = jsonNumber(z.number().int().min(0));
const seconds = jsonNumber(finiteNonNegative);
/** Optional facts Linux agents read from /proc/<pid>/stat with the rest (see docs/agent.md). */
const ProcStatFields = {
  num_threads: count.optional().describe("Threads in the process").meta({ example: 4 }),
  cpu_user_seconds: seconds
    .optional()
    .describe("CPU time in user mode since the process started, seconds")
    .meta({ example: 12.5 }),
  cpu_system_seconds: seconds
    .optional()
    .describe("CPU time in kernel mode since the process started, seconds")
    .meta({ example: 3.25 }),
  minor_faults: count
    .optional()
    .describe("Page faults not needing a disk read, since the process started")
    .meta({ example: 20_480 }),
  major_faults: count
    .optional()
    .describe("Page faults that read from disk, since the process started")
    .meta({ example: 12 }),
  memory_vms: count.optional().describe("Virtual memory size in bytes").meta({ example: 268_435_456 }),
};

const ProcessIn = z
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
      .max(NAME_MAX)
      .regex(NO_CONTROL)
      .refine(isWellFormed, WELL_FORMED)
      .optional()
      .describe("The process's user")
      .meta({ example: "www-data" }),
    command: z
      .string()
      .max(COMMAND_MAX)
      .refine(isWellFormed, WELL_FORMED)
      .optional()
      .describe("Command line (control characters are kept as sent)")
      .meta({ example: "python3 -m http.server 8080" }),
    state: z
      .string()
      .max(STATE_MAX)
      .regex(NO_CONTROL)
      .refine(isWellFormed, WELL_FORMED)
      .optional()
      .describe("Scheduler state as the OS names it")
      .meta({ example: "running" }),
    parent_pid: pid.optional().describe("Parent's process id").meta({ example: 1 }),
    ...ProcStatFields,
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
      storableInstant,
      `must be between ${new Date(0).toISOString()} and ${new Date(LAST_STORABLE_MS).toISOString()}`,
    )
    .optional()
    .describe("Sampling instant; default: time of receipt. Retries reuse it.")
    .meta({ example: "2026-03-10T00:45:00Z" }),
  interval_ms: jsonNumber(z.number().int().min(1).max(86_400_000))
    .optional()
    .describe(
      "The agent's sampling interval in ms. A run ends where a process's samples are more than 3 intervals " +
        "apart; without it the server assumes RUN_GAP_SECONDS / 3.",
    ),
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
    .refine(isWellFormed, `${what} ${WELL_FORMED}`);

const timeOfDay = z.string().regex(TIME_OF_DAY, "must be a time of day, HH:MM or HH:MM:SS");
const date = z.string().regex(DATE, "must be a date, YYYY-MM-DD");
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

const SampleOut = z
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
    num_threads: z.number().int().min(0).optional().meta({ example: 4 }),
    cpu_user_seconds: z.number().min(0).optional().meta({ example: 12.5 }),
    cpu_system_seconds: z.number().min(0).optional().meta({ example: 3.25 }),
    minor_faults: z.number().int().min(0).optional().meta({ example: 20_480 }),
    major_faults: z.number().int().min(0).optional().meta({ example: 12 }),
    memory_vms: z.number().int().min(0).optional().meta({ example: 268_435_456 }),
  })
  .meta({ id: "Sample" });

/** `next`, `previous`, `next_page`, `previous_page` of a paged answer (server/pages.ts). */
const pageFields = (path: string, query: string) => {
  const link = (which: "next" | "previous", page: number) =>
    z
      .string()
      .nullable()
      .describe(
        `The ${which} page of the same query: absolute under PUBLIC_URL, else relative to the server's root; null when there is none`,
      )
      .meta({ example: `${path}?${query}&page=${page}` });
  return {
    next: link("next", 3),
    previous: link("previous", 1),
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
  };
};

export const FilterOut = z.object({
  success: z.literal(true),
  count: z.number().int().min(0).describe("All matching rows, not just this page").meta({ example: 2 }),
  page: z.number().int().min(1).meta({ example: 2 }),
  page_size: z.number().int().min(1).meta({ example: 1000 }),
  ...pageFields("/api/filter-processes/", "start_time=00%3A30%3A00&end_time=01%3A05%3A00"),
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

const RunOut = z.object({
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

// ---------------------------------------------------------------- history (docs/history.md)

export const RunsIn = z.object({
  process_name: nameQuery("process_name").describe("The process name (required)").meta({ example: "nginx" }),
  system_name: nameQuery("system_name")
    .describe("One system; default every system that ran it")
    .meta({ example: "web-1" })
    .optional(),
  from: isoInstant
    .describe("Range start, inclusive; default `to` − 24 h")
    .meta({ example: "2026-03-09T00:00:00Z" })
    .optional(),
  to: isoInstant
    .describe("Range end, exclusive; default now")
    .meta({ example: "2026-03-10T00:00:00Z" })
    .optional(),
  page: z.number().int().min(1).describe("Page of systems").meta({ example: 1 }).default(1),
  page_size: z
    .number()
    .int()
    .min(1)
    .describe("Systems per page; default 100, at most 1000")
    .meta({ example: 100 })
    .optional(),
});

const InstanceOut = z
  .object({
    pid: z.number().int(),
    started_at: z
      .string()
      .nullable()
      .describe("When the process started (from the agent); null when no sample carried it"),
    first_seen: z.string(),
    last_seen: z.string(),
    samples: z.number().int(),
  })
  .meta({ id: "Instance" });

const RunHistoryOut = z
  .object({
    start: z.string().describe("First sighting"),
    end: z.string().describe("Last sighting"),
    start_earliest: z.string().describe("One sampling interval before the first sighting"),
    end_latest: z.string().describe("One sampling interval after the last sighting"),
    seconds: z.number().describe("end − start"),
    samples: z.number().int().describe("Sampling instants at which the name was seen"),
    single_sample: z.boolean().describe("Seen in one sample only: start = end"),
    instances: z.array(z.object({ pid: z.number().int(), started_at: z.string().nullable() })),
  })
  .meta({ id: "ProcessRun" });

export const RunsOut = z.object({
  success: z.literal(true),
  process_name: z.string(),
  from: z.string(),
  to: z.string(),
  count: z.number().int().describe("Systems that ran the process in the range, not just this page"),
  page: z.number().int(),
  page_size: z.number().int(),
  ...pageFields("/api/process-runs/", "process_name=nginx"),
  systems: z.array(
    z.object({
      system_name: z.string(),
      first_seen: z.string(),
      last_seen: z.string(),
      runs: z.array(RunHistoryOut),
      instances: z.array(InstanceOut),
      restarts: z.number().int().describe("Instances that were not running at the range's first sighting"),
      crash_loop: z
        .boolean()
        .describe(
          "At least CRASH_LOOP_RESTARTS restarts within CRASH_LOOP_WINDOW_SECONDS somewhere in the range",
        ),
    }),
  ),
});

export const AtIn = z.object({
  system_name: nameQuery("system_name").describe("The system (required)").meta({ example: "web-1" }),
  at: isoInstant
    .describe("ISO-8601 instant with a zone (required); not in the future")
    .meta({ example: "2026-03-10T12:00:00Z" }),
  top: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .describe("How many processes (default 20, at most 1000)")
    .meta({ example: 20 })
    .default(20),
  sort: z
    .enum(["cpu", "memory", "name"])
    .describe("cpu and memory: highest first; name: A→Z")
    .meta({ example: "cpu" })
    .default("cpu"),
});

export const AtOut = z.object({
  success: z.literal(true),
  system_name: z.string(),
  at: z.string(),
  sample_time: z.string().describe("The sample in force at `at`: the last one at or before it"),
  interval_ms: z.number().int().nullable().describe("The sampling interval the agent sent with it"),
  process_count: z.number().int().describe("Processes in that sample, not just those returned"),
  sort: z.enum(["cpu", "memory", "name"]),
  processes: z.array(SampleOut),
});

export type FilterInput = z.infer<typeof FilterIn>;

// --- expected-process watches (docs/watches.md) ---

export const WatchesOut = z.object({
  success: z.literal(true),
  file: z.string().nullable().describe("WATCHES_FILE; null when no watches are configured"),
  watches: z.array(
    z
      .object({
        name: z.string(),
        process_name: z.string().describe("Exact name, or a regular expression written /.../"),
        systems: z.union([z.string(), z.array(z.string())]).describe("`all`, a list of names, or /regex/"),
        min_instances: z.number().int(),
        for: z.string().nullable().describe("As written; null = 3 sampling intervals of each system"),
      })
      .meta({ id: "Watch" }),
  ),
});

const WATCH_STATES = ["up", "down", "never_seen", "system_silent"] as const;

export const StatusIn = z.object({
  system_name: nameQuery("system_name").describe("Only this system").meta({ example: "web-1" }).optional(),
  process_name: nameQuery("process_name")
    .describe("Only watches whose process_name is this, or matches it")
    .meta({ example: "nginx" })
    .optional(),
  state: z.enum(WATCH_STATES).describe("Only this state").meta({ example: "down" }).optional(),
  from: isoInstant
    .describe("With `to`: also list the down intervals in [from, to); default `to` − 24 h")
    .meta({ example: "2026-03-09T00:00:00Z" })
    .optional(),
  to: isoInstant
    .describe("Range end, exclusive; default now")
    .meta({ example: "2026-03-10T00:00:00Z" })
    .optional(),
});

const DownInterval = z
  .object({
    start_earliest: z
      .string()
      .nullable()
      .describe("Its last sighting before: down after this (null: before `from`)"),
    start_latest: z.string().nullable().describe("One interval later: down by then"),
    end_earliest: z
      .string()
      .nullable()
      .describe("One interval before it was seen again (null: still down at `to`)"),
    end_latest: z.string().nullable().describe("When it was seen again (null: still down at `to`)"),
    system_silent: z.boolean().describe("The system sent no sample in between: not the process's fault"),
  })
  .meta({ id: "DownInterval" });

export const StatusOut = z.object({
  success: z.literal(true),
  evaluated_at: z.string().nullable().describe("When the states were last evaluated (null: not yet)"),
  count: z.number().int(),
  statuses: z.array(
    z
      .object({
        watch: z.string(),
        process_name: z.string(),
        system_name: z.string(),
        state: z.enum(WATCH_STATES),
        since: z
          .string()
          .nullable()
          .describe("up: first sighting back; down: last sighting; silent: last sample"),
        last_seen: z.string().nullable(),
        instances: z.number().int().describe("Matching processes in the system's newest sample"),
        min_instances: z.number().int(),
        for_seconds: z.number(),
        down_intervals: z.array(DownInterval).optional().describe("With from/to only"),
      })
      .meta({ id: "ProcessStatus" }),
  ),
});
