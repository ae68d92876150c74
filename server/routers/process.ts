/** The three procedures of the old REST contract: submit samples, filter by time of day, duration. */
import { TRPCError } from "@trpc/server";
import { DAY_MS, LAST_STORABLE_MS } from "../../common/wire.ts";
import { jsonSize } from "../budget.ts";
import { badRequest, echo, type FieldError, fieldError } from "../errors.ts";
import { humanDuration, iso, sampleJson } from "../format.ts";
import { durationFacts } from "../history/query.ts";
import { pages } from "../pages.ts";
import {
  DurationIn,
  DurationOut,
  FilterIn,
  type FilterInput,
  FilterOut,
  SubmitIn,
  SubmitOut,
} from "../schemas.ts";
import type { SampleBatch, TimeRange } from "../store/types.ts";
import { repeatedProcesses } from "../store/unique.ts";
import {
  isValidZone,
  parseDate,
  parseTimeOfDay,
  spanDays,
  today,
  windowsBetween,
  windowsOnDay,
} from "../timewindow.ts";
import { type Context, readProcedure, router, writeProcedure } from "../trpc.ts";

const toMillis = (value: string | number): number => (typeof value === "number" ? value : Date.parse(value));

/**
 * A range cut to the instants a sample can have (submit refuses the others); undefined when nothing
 * is left. InfluxDB cannot even be asked about times outside int64 nanoseconds (a 500 before).
 */
function clipToStorable(r: TimeRange): TimeRange | undefined {
  const start = Math.max(r.start, 0);
  const stop = Math.min(r.stop, LAST_STORABLE_MS + 1);
  return start < stop ? { start, stop } : undefined;
}

/** The absolute time ranges a filter request asks about (validated; 400 naming the parameter). */
function filterRanges(input: FilterInput, ctx: Context): TimeRange[] {
  const zone = input.tz ?? ctx.config.TZ;
  if (!isValidZone(zone)) throw fieldError("tz", `unknown time zone ${echo(zone)}`);
  const spec = {
    start: input.start_time === undefined ? undefined : parseTimeOfDay(input.start_time),
    end: input.end_time === undefined ? undefined : parseTimeOfDay(input.end_time),
    zone,
  };
  if (input.date !== undefined && (input.from !== undefined || input.to !== undefined)) {
    throw fieldError("date", "give either date, or from and to, not both");
  }
  if (input.from !== undefined || input.to !== undefined) {
    const to = input.to === undefined ? ctx.now() : toMillis(input.to);
    const from = input.from === undefined ? to - DAY_MS : toMillis(input.from);
    if (from >= to) throw fieldError("from", "must be earlier than to");
    const days = spanDays(from, to, zone);
    if (days > ctx.config.MAX_QUERY_DAYS) {
      throw fieldError(
        "to",
        `[from, to) spans ${Number(days.toFixed(3))} days; at most ${ctx.config.MAX_QUERY_DAYS} are allowed`,
      );
    }
    return windowsBetween(spec, from, to);
  }
  const day = input.date === undefined ? today(zone, ctx.now()) : parseDate(input.date);
  if (day === undefined) throw fieldError("date", `${echo(input.date ?? "")} is not a calendar date`);
  return windowsOnDay(spec, day);
}

/** Each process once per batch: a second (name, pid) would overwrite the first in storage. */
function duplicates(processes: readonly { name: string; pid: number }[]): FieldError[] {
  return repeatedProcesses(processes).map(({ index, first }) => {
    const p = processes[index] as { name: string; pid: number };
    return {
      path: `processes.${index}`,
      message: `same name and pid as processes.${first} (name ${echo(p.name)}, pid ${p.pid})`,
    };
  });
}
const MAX_LISTED = 100;

export const processRouter = router({
  submit: writeProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/api/process-data",
        tags: ["processes"],
        summary: "Submit one sample of a system's processes",
        description:
          "Stores one point per process. Answers 201 only once storage has acknowledged the write. " +
          "A batch carrying the same `timestamp` again rewrites the same points (retries are idempotent).",
        successDescription: "Stored",
      },
      successStatus: 201,
      requiredMessage: "System name and processes are required.",
      errors: {
        400: "Invalid body: a field is missing or wrong (each is named in `errors`), the same (name, pid) twice, more than MAX_BATCH_PROCESSES processes, or a timestamp older than the retention period",
      },
    })
    .input(SubmitIn)
    .output(SubmitOut)
    .mutation(async ({ input, ctx }) => {
      const max = ctx.config.MAX_BATCH_PROCESSES;
      if (input.processes.length > max) {
        throw fieldError("processes", `at most ${max} processes per batch (got ${input.processes.length})`);
      }
      const repeated = duplicates(input.processes);
      if (repeated.length > 0) {
        const listed = repeated.slice(0, MAX_LISTED);
        throw badRequest(
          `processes: ${repeated.length} process(es) repeat a (name, pid) pair of the same batch: ` +
            `${listed
              .slice(0, 3)
              .map((e) => e.path)
              .join(", ")}${repeated.length > 3 ? ", ..." : ""}; ` +
            "a batch holds each process once",
          listed,
        );
      }
      const batch: SampleBatch = {
        system_name: input.system_name,
        timestamp: input.timestamp === undefined ? ctx.now() : toMillis(input.timestamp),
        interval_ms: input.interval_ms,
        processes: input.processes.map((p) => ({
          ...p,
          started_at: p.started_at === undefined ? undefined : toMillis(p.started_at),
        })),
      };
      const accepted = await ctx.store.write(batch);
      return { success: true as const, message: "Data received successfully.", accepted };
    }),

  filter: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/filter-processes",
        tags: ["processes"],
        summary: "Samples taken inside a time-of-day window",
        description:
          "Also served as /api/process-filter/. A sample is returned when the wall-clock time in `tz` at " +
          "its instant lies in [`start_time`, `end_time`) on `date` (default today), or on any day of " +
          "[`from`, `to`). A window whose end is not after its start runs into the next day. Daylight " +
          "saving: on a fall-back day a window over the repeated hour includes both occurrences; on a " +
          "spring-forward day wall-clock times that do not exist match nothing. Pages: `next`/`previous` " +
          "are links (absolute under PUBLIC_URL, else relative to the server's root), `next_page`/" +
          "`previous_page` the page numbers.",
      },
      errors: { 400: "A parameter is invalid or given more than once (each is named in `errors`)" },
    })
    .input(FilterIn)
    .output(FilterOut)
    .query(async ({ input, ctx }) => {
      const pageSize = input.page_size ?? ctx.config.DEFAULT_PAGE_SIZE;
      if (pageSize > ctx.config.MAX_PAGE_SIZE) {
        throw fieldError("page_size", `must be at most ${ctx.config.MAX_PAGE_SIZE}`);
      }
      const ranges = filterRanges(input, ctx).flatMap((r) => clipToStorable(r) ?? []);
      // One request's answer is bounded, all calls of a batch together (server/budget.ts).
      ctx.budget.takeRows(pageSize, "page_size");
      const { count, rows } = await ctx.store.filter({
        ranges,
        system_name: input.system_name,
        process_name: input.process_name,
        pid: input.pid,
        offset: (input.page - 1) * pageSize,
        limit: pageSize,
      });
      const data = rows.map(sampleJson);
      ctx.budget.takeBytes(jsonSize(data), "page_size");
      const lastPage = Math.max(1, Math.ceil(count / pageSize));
      return {
        success: true as const,
        count,
        page: input.page,
        page_size: pageSize,
        ...pages("/api/filter-processes/", input, input.page, lastPage, ctx.config.PUBLIC_URL),
        data,
      };
    }),

  duration: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/process-duration",
        tags: ["processes"],
        summary: "How long a process has been observed running on a system",
        description:
          "`duration_seconds` sums the process's runs; a gap between samples longer than RUN_GAP_SECONDS " +
          "(default 15 s, three sampling intervals) ends a run.",
      },
      requiredMessage: "Both system name and process name are required.",
      errors: {
        400: "system_name or process_name is missing or empty, or from/to is invalid",
        404: "The process was never seen on that system in the range",
      },
    })
    .input(DurationIn)
    .output(DurationOut)
    .query(async ({ input, ctx }) => {
      const { system_name, process_name } = input;
      const now = ctx.now();
      const to = input.to === undefined ? now : toMillis(input.to);
      const from = input.from === undefined ? now - ctx.config.RETENTION_DAYS * DAY_MS : toMillis(input.from);
      if (from >= to) throw fieldError("from", "must be earlier than to");
      const gapMs = ctx.config.RUN_GAP_SECONDS * 1000;
      const range = clipToStorable({ start: from, stop: to + 1 });
      const facts =
        range && (await durationFacts(ctx.store, { system_name, process_name, range, gap_ms: gapMs }));
      if (!facts) {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: "No process found with the specified name on the system.",
        });
      }
      const runs = facts.runs.map((r) => ({
        start: iso(r.start),
        end: iso(r.end),
        seconds: (r.end - r.start) / 1000,
        pids: r.pids,
      }));
      const duration = runs.reduce((sum, r) => sum + r.seconds, 0);
      const running = now - facts.last_seen <= gapMs;
      const currentRun = facts.runs[facts.runs.length - 1];
      let uptime: number | null = null;
      if (running && currentRun) {
        const since = facts.latest_started_at ?? currentRun.start;
        uptime = Math.max(0, (now - since) / 1000);
      }
      return {
        success: true as const,
        system_name,
        process_name,
        duration_seconds: duration,
        duration_human_readable: humanDuration(duration),
        first_seen: iso(facts.first_seen),
        last_seen: iso(facts.last_seen),
        running,
        uptime_seconds: uptime,
        runs,
      };
    }),
});
