/**
 * Nothing acknowledged is silently collapsed: a batch carrying the same (name, pid) twice was
 * answered `"accepted": 2` and stored once (the second overwrote the first). It is refused whole
 * with a 400 naming each repeat, on both doors (and both stores: test/api runs once per store), and nothing of it is stored; for
 * every batch that is accepted, `accepted` equals what a later query returns.
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/router.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const T = Date.UTC(2026, 2, 10, 12);
const p = (pid: number, name: string, cpu = 1) => ({ pid, name, cpu_percent: cpu, memory_percent: 1 });

describe("a batch with the same (name, pid) twice", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("duplicates")).env, { now: () => T + 60_000 });
  });
  afterAll(() => app?.close());

  const count = async (system: string) =>
    (await call(`${app.url}/api/filter-processes/?system_name=${system}&date=2026-03-10&tz=UTC`)).body.count;

  it("REST: 400 naming each repeat and its first occurrence; nothing of the batch is stored", async () => {
    const processes = [p(1, "nginx"), p(2, "nginx"), p(1, "nginx", 50), p(7, "sh"), p(7, "sh"), p(7, "bash")];
    const res = await call(`${app.url}/api/process-data/`, {
      json: { system_name: "dup", timestamp: T, processes },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      code: "BAD_REQUEST",
      message:
        "processes: 2 process(es) repeat a (name, pid) pair of the same batch: processes.2, processes.4; " +
        "a batch holds each process once",
      errors: [
        { path: "processes.2", message: 'same name and pid as processes.0 (name "nginx", pid 1)' },
        { path: "processes.4", message: 'same name and pid as processes.3 (name "sh", pid 7)' },
      ],
    });
    expect(await count("dup")).toBe(0);
  });

  it("tRPC: the same 400 with the same field errors", async () => {
    const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${app.url}/trpc` })] });
    const err = await client.process.submit
      .mutate({ system_name: "dup-trpc", timestamp: T, processes: [p(3, "x"), p(3, "x")] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TRPCClientError);
    const shape = (err as TRPCClientError<AppRouter>).shape as {
      errors?: unknown;
      data?: { httpStatus?: number };
    };
    expect(shape.data?.httpStatus).toBe(400);
    expect(shape.errors).toEqual([
      { path: "processes.1", message: 'same name and pid as processes.0 (name "x", pid 3)' },
    ]);
    expect(await count("dup-trpc")).toBe(0);
  });

  it("the same pid under two names, or two pids under one name, is not a repeat: accepted = stored", async () => {
    const processes = [p(1, "a"), p(1, "b"), p(2, "a"), p(2, "A"), p(10, "a")];
    const res = await call(`${app.url}/api/process-data/`, {
      json: { system_name: "distinct", timestamp: T, processes },
    });
    expect(res.status).toBe(201);
    expect(res.body.accepted).toBe(5);
    expect(await count("distinct")).toBe(5);
  });
});
