/** The three procedures of the old REST contract: submit samples, filter by time of day, duration. */
import { TRPCError } from "@trpc/server";
import { DAY_MS, LAST_STORABLE_MS } from "../../common/wire.ts";
import { jsonSize } from "../budget.ts";
import { badRequest, echo, fieldError } from "../errors.ts";
import { humanDuration, iso, sampleJson } from "../format.ts";
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
import {
  daysBetween,
  isValidZone,
  localDay,
  parseTimeOfDay,
  today,
  windowOnDay,
  windowsBetween,
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
    const days = daysBetween(from, to, zone);
    if (days > ctx.config.MAX_QUERY_DAYS) {
      throw fieldError(
        "to",
        `the range covers ${days} days; at most ${ctx.config.MAX_QUERY_DAYS} are allowed`,
      );
    }
    return windowsBetween(spec, from, to);
  }
  const day = input.date === undefined ? today(zone, ctx.now()) : localDay(input.date, zone);
  if (!day) throw fieldError("date", `${echo(input.date ?? "")} is not a calendar date`);
  return [windowOnDay(spec, day)];
}

function pageLink(url: URL | undefined, page: number): string | null {
  if (!url) return null;
  const link = new URL(url);
  link.searchParams.set("page", String(page));
  return link.toString();
}

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
        errorResponses: { 400: "Invalid body", 413: "Body too large", 503: "Storage unavailable" },
      },
      requiredMessage: "System name and processes are required.",
      requiredKeys: ["system_name", "processes"],
    })
    .input(SubmitIn)
    .output(SubmitOut)
    .mutation(async ({ input, ctx }) => {
      const max = ctx.config.MAX_BATCH_PROCESSES;
      if (input.processes.length > max) {
        throw fieldError("processes", `at most ${max} processes per batch (got ${input.processes.length})`);
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
          "Also served as /api/process-filter/. The window applies to `date` (default today) or to every " +
          "day of [`from`, `to`), in `tz`. A window whose end is earlier than its start crosses midnight.",
        errorResponses: { 400: "Invalid parameter", 503: "Storage unavailable" },
      },
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
        next: input.page < lastPage ? pageLink(ctx.url, input.page + 1) : null,
        previous: input.page > 1 ? pageLink(ctx.url, Math.min(input.page - 1, lastPage)) : null,
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
        errorResponses: { 400: "Missing parameter", 404: "Never seen", 503: "Storage unavailable" },
      },
    })
    .input(DurationIn)
    .output(DurationOut)
    .query(async ({ input, ctx }) => {
      const { system_name, process_name } = input;
      if (!system_name || !process_name) {
        throw badRequest("Both system name and process name are required.", [
          ...(system_name ? [] : [{ path: "system_name", message: "required" }]),
          ...(process_name ? [] : [{ path: "process_name", message: "required" }]),
        ]);
      }
      const now = ctx.now();
      const to = input.to === undefined ? now : toMillis(input.to);
      const from = input.from === undefined ? now - ctx.config.RETENTION_DAYS * DAY_MS : toMillis(input.from);
      if (from >= to) throw fieldError("from", "must be earlier than to");
      const gapMs = ctx.config.RUN_GAP_SECONDS * 1000;
      const range = clipToStorable({ start: from, stop: to + 1 });
      const facts = range && (await ctx.store.duration({ system_name, process_name, range, gap_ms: gapMs }));
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
