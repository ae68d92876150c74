/** The one router: served as tRPC at /trpc and as REST under /api (trpc-to-openapi). */
import { historyRouter } from "./routers/history.ts";
import { processRouter } from "./routers/process.ts";
import { systemsRouter } from "./routers/systems.ts";
import { watchesRouter } from "./routers/watches.ts";
import { type Meta, mergeRouters, router } from "./trpc.ts";

export const appRouter = router({
  process: mergeRouters(processRouter, historyRouter),
  systems: systemsRouter,
  watches: watchesRouter,
});

export type AppRouter = typeof appRouter;

/** A procedure's metadata by its path ("process.submit"); undefined for an unknown path. */
export function procedureMeta(path: string): Meta | undefined {
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { meta?: Meta } } | undefined
  >;
  return Object.hasOwn(procedures, path) ? procedures[path]?._def.meta : undefined;
}
