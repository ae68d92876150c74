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
  num_threads: count.optional().describe("Threads in the process"),
  cpu_user_seconds: seconds.optional().describe("CPU time in user mode since the process started, seconds"),
  cpu_system_seconds: seconds
    .optional()
    .describe("CPU time in kernel mode since the process started, seconds"),
  minor_faults: count.optional().describe("Page faults not needing a disk read, since the process started"),
  major_faults: count.optional().describe("Page faults that read from disk, since the process started"),
  memory_vms: count.optional().describe("Virtual memory size in bytes"),
};

const ProcessIn = z
  .object({
    pid: pid.describe("Process id"),
    name: label("name").describe("Process name"),
    cpu_percent: jsonNumber(finiteNonNegative).describe(
      "CPU used since the previous sample; 100 = one full core",
    ),
    memory_percent: jsonNumber(finiteNonNegative.max(100)).describe(
      "Resident memory over total memory, in percent",
    ),
    memory_rss: jsonNumber(z.number().int().min(0)).optional().describe("Resident set size in bytes"),
    started_at: instant.optional().describe("When the process started"),
    user: z.string().max(NAME_MAX).regex(NO_CONTROL).refine(isWellFormed, WELL_FORMED).optional(),
    command: z
      .string()
      .max(COMMAND_MAX)
      .refine(isWellFormed, WELL_FORMED)
      .optional()
      .describe("Command line (control characters are kept as sent)"),
    state: z.string().max(STATE_MAX).regex(NO_CONTROL).refine(isWellFormed, WELL_FORMED).optional(),
    parent_pid: pid.optional(),
    ...ProcStatFields,
  })
  .meta({ id: "ProcessIn" });

export const SubmitIn = z.object({
  system_name: label("system_name").describe("The machine the sample was taken on"),
  processes: z.array(ProcessIn).min(1, "processes must not be empty"),
  timestamp: instant
    .refine(
      storableInstant,
      `must be between ${new Date(0).toISOString()} and ${new Date(LAST_STORABLE_MS).toISOString()}`,
    )
    .optional()
    .describe("Sampling instant; default: time of receipt. Retries reuse it."),
  interval_ms: jsonNumber(z.number().int().min(1).max(86_400_000))
    .optional()
    .describe(
      "The agent's sampling interval in ms. A run ends where a process's samples are more than 3 intervals " +
        "apart; without it the server assumes RUN_GAP_SECONDS / 3.",
    ),
});

export const SubmitOut = z.object({
  success: z.literal(true),
  message: z.string(),
  accepted: z.number().int(),
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
  start_time: timeOfDay.optional().describe("Window start, inclusive (local time of day)"),
  end_time: timeOfDay
    .optional()
    .describe("Window end, exclusive; earlier than start_time = the window crosses midnight"),
  date: date.optional().describe("The day the window applies to; default today (in tz)"),
  from: isoInstant.optional().describe("With `to`: apply the window on every day of [from, to)"),
  to: isoInstant.optional(),
  tz: z.string().optional().describe("IANA zone the times of day are in; default the server's"),
  system_name: nameQuery("system_name").optional(),
  process_name: nameQuery("process_name").optional(),
  pid: z.number().int().min(0).optional(),
  page: z.number().int().min(1).default(1),
  page_size: z.number().int().min(1).optional().describe("Rows per page; default 1000, at most 10 000"),
});

const SampleOut = z
  .object({
    system_name: z.string(),
    pid: z.number().int(),
    name: z.string(),
    cpu_percent: z.number(),
    memory_percent: z.number(),
    timestamp: z.string().describe("ISO-8601, UTC"),
    memory_rss: z.number().int().optional(),
    started_at: z.string().optional(),
    user: z.string().optional(),
    command: z.string().optional(),
    state: z.string().optional(),
    parent_pid: z.number().int().optional(),
    num_threads: z.number().int().optional(),
    cpu_user_seconds: z.number().optional(),
    cpu_system_seconds: z.number().optional(),
    minor_faults: z.number().int().optional(),
    major_faults: z.number().int().optional(),
    memory_vms: z.number().int().optional(),
  })
  .meta({ id: "Sample" });

export const FilterOut = z.object({
  success: z.literal(true),
  count: z.number().int().describe("All matching rows, not just this page"),
  page: z.number().int(),
  page_size: z.number().int(),
  next: z.string().nullable(),
  previous: z.string().nullable(),
  data: z.array(SampleOut),
});

export const DurationIn = z.object({
  system_name: nameQuery("system_name").optional(),
  process_name: nameQuery("process_name").optional(),
  from: isoInstant.optional().describe("Only consider samples from this instant on (default: retention)"),
  to: isoInstant.optional(),
});

const RunOut = z.object({
  start: z.string(),
  end: z.string(),
  seconds: z.number(),
  pids: z.array(z.number().int()),
});

export const DurationOut = z.object({
  success: z.literal(true),
  system_name: z.string(),
  process_name: z.string(),
  duration_seconds: z.number().describe("Sum of the observed runs"),
  duration_human_readable: z.string().describe('"H:MM:SS", or "N day(s), H:MM:SS" past a day'),
  first_seen: z.string(),
  last_seen: z.string(),
  running: z.boolean(),
  uptime_seconds: z.number().nullable(),
  runs: z.array(RunOut),
});

export const SystemsOut = z.object({
  success: z.literal(true),
  systems: z.array(
    z.object({
      system_name: z.string(),
      first_seen: z.string(),
      last_seen: z.string(),
      process_count: z.number().int(),
    }),
  ),
});

// ---------------------------------------------------------------- history (docs/history.md)

export const RunsIn = z.object({
  process_name: nameQuery("process_name").describe("The process name (required)"),
  system_name: nameQuery("system_name").optional().describe("One system; default every system that ran it"),
  from: isoInstant.optional().describe("Range start, inclusive; default `to` − 24 h"),
  to: isoInstant.optional().describe("Range end, exclusive; default now"),
  page: z.number().int().min(1).default(1).describe("Page of systems"),
  page_size: z.number().int().min(1).optional().describe("Systems per page; default 100, at most 1000"),
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
  next: z.string().nullable(),
  previous: z.string().nullable(),
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
  system_name: nameQuery("system_name").describe("The system (required)"),
  at: isoInstant.describe("ISO-8601 instant with a zone (required); not in the future"),
  top: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(20)
    .describe("How many processes (default 20, at most 1000)"),
  sort: z.enum(["cpu", "memory", "name"]).default("cpu").describe("cpu and memory: highest first; name: A→Z"),
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
