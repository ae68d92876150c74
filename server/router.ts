/** The one router: served as tRPC at /trpc and as REST under /api (trpc-to-openapi). */
import { processRouter } from "./routers/process.ts";
import { systemsRouter } from "./routers/systems.ts";
import { router } from "./trpc.ts";

export const appRouter = router({
  process: processRouter,
  systems: systemsRouter,
});

export type AppRouter = typeof appRouter;
