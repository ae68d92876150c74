/** The one router: served as tRPC at /trpc and as REST under /api (trpc-to-openapi). */
import { historyRouter } from "./routers/history.ts";
import { processRouter } from "./routers/process.ts";
import { systemsRouter } from "./routers/systems.ts";
import { mergeRouters, router } from "./trpc.ts";

export const appRouter = router({
  process: mergeRouters(processRouter, historyRouter),
  systems: systemsRouter,
});

export type AppRouter = typeof appRouter;
