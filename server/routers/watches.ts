/**
 * Expected processes (issue 13, docs/watches.md): `watches.list` (GET /api/watches/) and
 * `watches.status` (GET /api/process-status/).
 */

import { z } from "zod";
import { DAY_MS, LAST_STORABLE_MS } from "../../common/wire.ts";
import { fieldError } from "../errors.ts";
import { iso } from "../format.ts";
import { StatusIn, StatusOut, WatchesOut } from "../schemas.ts";
import { StorageUnavailableError } from "../store/types.ts";
import { readProcedure, router } from "../trpc.ts";
import { downIntervals } from "../watch/intervals.ts";

/** Down intervals are read per (watch, system): a range question must be this narrow. */
const MAX_WITH_INTERVALS = 100;
const isoOrNull = (t: number | null) => (t === null ? null : iso(t));

export const watchesRouter = router({
  list: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/watches",
        tags: ["watches"],
        summary: "The active watches (WATCHES_FILE)",
        description: "Reloaded on SIGHUP and when the file changes; an invalid new file keeps these.",
      },
      storage: false,
    })
    .input(z.object({}).optional())
    .output(WatchesOut)
    .query(({ ctx }) => ({
      success: true as const,
      file: ctx.config.WATCHES_FILE ?? null,
      watches: (ctx.watches?.evaluator.list() ?? []).map((w) => ({
        name: w.name,
        process_name: w.process.source,
        systems: w.systems_source,
        min_instances: w.min_instances,
        for: w.for_source ?? null,
      })),
    })),

  status: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/process-status",
        tags: ["watches"],
        summary: "Is every expected process running? Per watch × system: up, down, never_seen, system_silent",
        description:
          "States as of the last evaluation (every WATCH_EVALUATION_MS), computed from the store: servers on one " +
          "store agree (503 while the last evaluation could not read storage). With `from`/`to`, also each entry's " +
          "down intervals in the range, with earliest/latest edges.",
      },
      errors: {
        400: "A parameter is invalid, the range is empty or too long, or too many entries for intervals",
      },
    })
    .input(StatusIn)
    .output(StatusOut)
    .query(async ({ input, ctx }) => {
      await ctx.watches?.settled();
      // states that could not be brought up to date are not answered as current
      if (ctx.watches?.failure instanceof StorageUnavailableError) throw ctx.watches.failure;
      const evaluator = ctx.watches?.evaluator;
      const watches = new Map((evaluator?.list() ?? []).map((w) => [w.name, w]));
      const selected = (evaluator?.status() ?? []).filter((s) => {
        if (input.system_name !== undefined && s.system_name !== input.system_name) return false;
        if (input.state !== undefined && s.state !== input.state) return false;
        if (input.process_name !== undefined) {
          const w = watches.get(s.watch);
          if (s.process_name !== input.process_name && !w?.process.test(input.process_name)) return false;
        }
        return true;
      });
      let range: { start: number; stop: number } | undefined;
      if (input.from !== undefined || input.to !== undefined) {
        const to = input.to === undefined ? ctx.now() : Date.parse(input.to);
        const from = input.from === undefined ? to - DAY_MS : Date.parse(input.from);
        if (from >= to) throw fieldError("from", "must be earlier than to");
        if ((to - from) / DAY_MS > ctx.config.MAX_QUERY_DAYS) {
          throw fieldError(
            "to",
            `[from, to) spans more than ${ctx.config.MAX_QUERY_DAYS} days (MAX_QUERY_DAYS)`,
          );
        }
        if (selected.length > MAX_WITH_INTERVALS) {
          throw fieldError(
            "from",
            `intervals are listed for at most ${MAX_WITH_INTERVALS} entries (${selected.length} match); narrow with system_name, process_name or state`,
          );
        }
        range = { start: Math.max(0, from), stop: Math.min(to, LAST_STORABLE_MS + 1) };
      }
      ctx.budget.takeRows(selected.length, "state");
      const rules = {
        default_gap_ms: ctx.config.RUN_GAP_SECONDS * 1000,
        crash_loop_restarts: ctx.config.CRASH_LOOP_RESTARTS,
        crash_loop_window_ms: ctx.config.CRASH_LOOP_WINDOW_SECONDS * 1000,
      };
      const statuses = [];
      for (const s of selected) {
        const w = watches.get(s.watch);
        const intervals =
          range && w && evaluator
            ? await downIntervals(
                ctx.store,
                {
                  system_name: s.system_name,
                  names: evaluator.namesOn(w, s.system_name),
                  min_instances: s.min_instances,
                  for_ms: s.for_ms,
                  range,
                },
                rules,
              )
            : undefined;
        statuses.push({
          watch: s.watch,
          process_name: s.process_name,
          system_name: s.system_name,
          state: s.state,
          since: isoOrNull(s.since),
          last_seen: isoOrNull(s.last_seen),
          instances: s.instances,
          min_instances: s.min_instances,
          for_seconds: s.for_ms / 1000,
          ...(intervals
            ? {
                down_intervals: intervals.map((i) => ({
                  start_earliest: isoOrNull(i.start_earliest),
                  start_latest: isoOrNull(i.start_latest),
                  end_earliest: isoOrNull(i.end_earliest),
                  end_latest: isoOrNull(i.end_latest),
                  system_silent: i.system_silent,
                })),
              }
            : {}),
        });
      }
      return {
        success: true as const,
        evaluated_at: evaluator?.evaluatedAt === undefined ? null : iso(evaluator.evaluatedAt),
        count: statuses.length,
        statuses,
      };
    }),
});
