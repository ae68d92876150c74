/** The fleet: every system that has reported, and what it reported last. */

import { z } from "zod";
import { DAY_MS } from "../../common/wire.ts";
import { iso } from "../format.ts";
import { SystemsOut } from "../schemas.ts";
import { readProcedure, router } from "../trpc.ts";

export const systemsRouter = router({
  list: readProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/api/systems",
        tags: ["systems"],
        summary: "Every system that has reported within the retention period",
        errorResponses: { 503: "Storage unavailable" },
      },
    })
    .input(z.object({}).optional())
    .output(SystemsOut)
    .query(async ({ ctx }) => {
      const now = ctx.now();
      const systems = await ctx.store.systems({
        start: now - ctx.config.RETENTION_DAYS * DAY_MS,
        stop: now + 1,
      });
      return {
        success: true as const,
        systems: systems.map((s) => ({
          system_name: s.system_name,
          first_seen: iso(s.first_seen),
          last_seen: iso(s.last_seen),
          process_count: s.process_count,
        })),
      };
    }),
});
