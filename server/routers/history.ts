/**
 * Process history (issue 12, docs/history.md): `process.runs` (GET /api/process-runs/) and
 * `process.at` (GET /api/processes-at/), merged into the `process` router.
 */
import { TRPCError } from "@trpc/server";
import { DAY_MS, LAST_STORABLE_MS } from "../../common/wire.ts";
import { jsonSize } from "../budget.ts";
import { echo, fieldError } from "../errors.ts";
import { iso, sampleJson } from "../format.ts";
import { processRuns, sampleInForce } from "../history/query.ts";
import { pages } from "../pages.ts";
import { AtIn, AtOut, RunsIn, RunsOut } from "../schemas.ts";
import { type Context, readProcedure, router } from "../trpc.ts";

const DEFAULT_SYSTEMS_PAGE = 100;
const MAX_SYSTEMS_PAGE = 1000;

const runRules = (ctx: Context) => ({
  default_gap_ms: ctx.config.RUN_GAP_SECONDS * 1000,
  crash_loop_restarts: ctx.config.CRASH_LOOP_RESTARTS,
  crash_loop_window_ms: ctx.config.CRASH_LOOP_WINDOW_SECONDS * 1000,
});

export const historyRouter = router({
  runs: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/process-runs",
        tags: ["history"],
        summary: "When a process ran, per system: runs, instances, restarts, crash loops",
        description:
          "Every system that ran `process_name` in [`from`, `to`) (default the last 24 h), or only `system_name`. " +
          "A run ends where the process's samples are more than 3 sampling intervals apart (the interval the agent " +
          "sent; RUN_GAP_SECONDS without one). An instance is (pid, started_at). Paged by system.",
      },
      errors: {
        400: "A parameter is missing, invalid or given more than once (each is named in `errors`)",
        404: "The process was not seen in the range (on that system)",
      },
    })
    .input(RunsIn)
    .output(RunsOut)
    .query(async ({ input, ctx }) => {
      const pageSize = input.page_size ?? DEFAULT_SYSTEMS_PAGE;
      if (pageSize > MAX_SYSTEMS_PAGE) throw fieldError("page_size", `must be at most ${MAX_SYSTEMS_PAGE}`);
      const to = input.to === undefined ? ctx.now() : Date.parse(input.to);
      const from = input.from === undefined ? to - DAY_MS : Date.parse(input.from);
      if (from >= to) throw fieldError("from", "must be earlier than to");
      const days = (to - from) / DAY_MS;
      if (days > ctx.config.MAX_QUERY_DAYS) {
        throw fieldError(
          "to",
          `[from, to) spans ${Number(days.toFixed(3))} days; at most ${ctx.config.MAX_QUERY_DAYS} are allowed`,
        );
      }
      const start = Math.max(from, 0);
      const stop = Math.min(to, LAST_STORABLE_MS + 1);
      const systems =
        start < stop
          ? await processRuns(
              ctx.store,
              { process_name: input.process_name, system_name: input.system_name, range: { start, stop } },
              runRules(ctx),
            )
          : [];
      if (systems.length === 0) {
        const where =
          input.system_name === undefined ? "on any system" : `on system ${echo(input.system_name)}`;
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `Process ${echo(input.process_name)} was not seen ${where} between ${iso(from)} and ${iso(to)}.`,
        });
      }
      const page = systems.slice((input.page - 1) * pageSize, input.page * pageSize);
      ctx.budget.takeRows(
        page.reduce((n, s) => n + s.runs.length + s.instances.length, 0),
        "page_size",
      );
      const out = page.map((s) => ({
        system_name: s.system_name,
        first_seen: iso(s.first_seen),
        last_seen: iso(s.last_seen),
        runs: s.runs.map((r) => ({
          start: iso(r.start),
          end: iso(r.end),
          start_earliest: iso(r.start_earliest),
          end_latest: iso(r.end_latest),
          seconds: (r.end - r.start) / 1000,
          samples: r.samples,
          single_sample: r.samples === 1,
          instances: r.instances.map((i) => ({
            pid: i.pid,
            started_at: i.started_at === null ? null : iso(i.started_at),
          })),
        })),
        instances: s.instances.map((i) => ({
          pid: i.pid,
          started_at: i.started_at === null ? null : iso(i.started_at),
          first_seen: iso(i.first_seen),
          last_seen: iso(i.last_seen),
          samples: i.samples,
        })),
        restarts: s.restarts,
        crash_loop: s.crash_loop,
      }));
      ctx.budget.takeBytes(jsonSize(out), "page_size");
      const lastPage = Math.max(1, Math.ceil(systems.length / pageSize));
      return {
        success: true as const,
        process_name: input.process_name,
        from: iso(from),
        to: iso(to),
        count: systems.length,
        page: input.page,
        page_size: pageSize,
        ...pages("/api/process-runs/", input, input.page, lastPage, ctx.config.PUBLIC_URL),
        systems: out,
      };
    }),

  at: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/processes-at",
        tags: ["history"],
        summary: "What was running on a system at an instant",
        description:
          "The sample in force at `at`: the system's last sample at or before it, if no older than 3 sampling " +
          "intervals (else 404: the system was not reporting then). Its `top` processes by `sort`.",
      },
      errors: {
        400: "A parameter is missing, invalid or given more than once, or `at` is in the future",
        404: "No sample in force at that instant: unknown system, or it was not reporting then",
      },
    })
    .input(AtIn)
    .output(AtOut)
    .query(async ({ input, ctx }) => {
      const at = Date.parse(input.at);
      if (at > ctx.now()) throw fieldError("at", `${echo(input.at)} is in the future`);
      if (at < 0) throw fieldError("at", "must not be before 1970-01-01T00:00:00Z");
      ctx.budget.takeRows(input.top, "top");
      const found = await sampleInForce(ctx.store, input.system_name, at, ctx.config.RUN_GAP_SECONDS * 1000, {
        sort: input.sort,
        top: input.top,
      });
      if (found.found === "none") {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `System ${echo(input.system_name)} has no sample at or before ${iso(at)} (unknown system, or before its first sample).`,
        });
      }
      if (found.found === "silent") {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `System ${echo(input.system_name)} was not reporting at ${iso(at)}: its last sample before then was at ${iso(found.last)}, more than 3 sampling intervals earlier.`,
        });
      }
      const { sample } = found;
      const top = sample.processes.map(sampleJson);
      ctx.budget.takeBytes(jsonSize(top), "top");
      return {
        success: true as const,
        system_name: input.system_name,
        at: iso(at),
        sample_time: iso(sample.timestamp),
        interval_ms: sample.interval_ms ?? null,
        process_count: sample.process_count,
        sort: input.sort,
        processes: top,
      };
    }),
});
