/** The same procedures through tRPC with a typed client (what the agent uses). */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/router.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

describe("tRPC door", () => {
  let app: RunningApp;
  let client: ReturnType<typeof createTRPCClient<AppRouter>>;
  const t0 = Date.UTC(2026, 2, 15, 8);
  beforeAll(async () => {
    app = await startApp((await storeTarget("trpc")).env, { now: () => t0 + 60_000 });
    client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${app.url}/trpc` })] });
  });
  afterAll(() => app?.close());

  it("submit, filter, duration and systems through the typed client", async () => {
    const res = await client.process.submit.mutate({
      system_name: "typed",
      timestamp: t0,
      processes: [
        {
          pid: 3,
          name: "node",
          cpu_percent: 12.5,
          memory_percent: 3.25,
          memory_rss: 123456,
          user: "app",
          command: "node server.js",
        },
      ],
    });
    expect(res).toEqual({ success: true, message: "Data received successfully.", accepted: 1 });
    await client.process.submit.mutate({
      system_name: "typed",
      timestamp: new Date(t0 + 5000).toISOString(),
      processes: [{ pid: 3, name: "node", cpu_percent: 10, memory_percent: 3 }],
    });

    const filtered = await client.process.filter.query({ system_name: "typed", date: "2026-03-15" });
    expect(filtered.count).toBe(2);
    expect(filtered.data[0]).toEqual({
      system_name: "typed",
      pid: 3,
      name: "node",
      cpu_percent: 12.5,
      memory_percent: 3.25,
      memory_rss: 123456,
      user: "app",
      command: "node server.js",
      timestamp: new Date(t0).toISOString(),
    });

    const duration = await client.process.duration.query({ system_name: "typed", process_name: "node" });
    expect(duration.duration_seconds).toBe(5);
    const systems = await client.systems.list.query({});
    expect(systems.systems.map((s) => s.system_name)).toEqual(["typed"]);
  });

  it("validation errors arrive as TRPCClientError with the same message and field paths", async () => {
    const err = await client.process.submit
      .mutate({
        system_name: "typed",
        processes: [{ pid: -1, name: "x", cpu_percent: 1, memory_percent: 1 }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const shape = (err as TRPCClientError<AppRouter>).shape as unknown as {
      message: string;
      errors: { path: string }[];
    };
    expect(shape.message).toMatch(/^processes\.0\.pid: /);
    expect(shape.errors.map((e) => e.path)).toEqual(["processes.0.pid"]);
    expect((err as TRPCClientError<AppRouter>).data?.httpStatus).toBe(400);
  });

  it("strings are not coerced to numbers on the tRPC door either", async () => {
    const err = await client.process.submit
      .mutate({
        system_name: "typed",
        // @ts-expect-error: the wrong type on purpose
        processes: [{ pid: "7", name: "x", cpu_percent: 1, memory_percent: 1 }],
      })
      .catch((e: unknown) => e);
    expect((err as TRPCClientError<AppRouter>).data?.httpStatus).toBe(400);
  });
});
