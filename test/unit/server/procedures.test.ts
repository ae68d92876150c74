/**
 * The router's logic in-process, through tRPC's caller (no HTTP), over a real SQLite file: what
 * each procedure answers, how input and auth failures come out, the write limit.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../../server/auth.ts";
import { RequestBudget } from "../../../server/budget.ts";
import { loadConfig } from "../../../server/config.ts";
import { InputError } from "../../../server/errors.ts";
import { createLogger } from "../../../server/log.ts";
import { RateLimiter } from "../../../server/ratelimit.ts";
import { appRouter } from "../../../server/router.ts";
import { SqliteStore } from "../../../server/store/sqlite/store.ts";
import { type Context, createCallerFactory, type RateLimited } from "../../../server/trpc.ts";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const S = 1000;
const dir = mkdtempSync(join(tmpdir(), "procscope-procedures-"));
const store = new SqliteStore({
  dataDir: dir,
  retentionDays: 30,
  log: createLogger("silent"),
  now: () => NOW,
});
const createCaller = createCallerFactory(appRouter);

function caller(opts: { env?: Record<string, string>; principal?: Principal } = {}) {
  const config = loadConfig(opts.env ?? {});
  const ctx: Context = {
    store,
    config,
    log: createLogger("silent"),
    transport: "trpc",
    now: () => NOW,
    principal: opts.principal,
    writeLimiter: new RateLimiter(config.WRITE_RATE_PER_MINUTE, () => NOW),
    budget: new RequestBudget({ rows: config.MAX_ROWS_PER_REQUEST, bytes: config.MAX_RESPONSE_BYTES }),
  };
  return createCaller(ctx);
}

/** The error a call fails with: code, message and the fields it names. */
async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    const errors = err.cause instanceof InputError ? err.cause.errors : undefined;
    return { code: err.code, message: err.message, ...(errors ? { errors } : {}) };
  }
  throw new Error("expected the call to fail");
}

const proc = (pid: number, name: string, extra: object = {}) => ({
  pid,
  name,
  cpu_percent: 1.5,
  memory_percent: 0.25,
  ...extra,
});

beforeAll(async () => {
  await store.init();
  const api = caller();
  // nginx (pid 10) seen three times 5 s apart, then after a 60 s gap as pid 11; cron once.
  for (const t of [NOW - 120 * S, NOW - 115 * S, NOW - 110 * S]) {
    await api.process.submit({
      system_name: "web-1",
      timestamp: t,
      processes: [proc(10, "nginx", { started_at: NOW - 200 * S, user: "www" }), proc(1, "init")],
    });
  }
  for (const t of [NOW - 50 * S, NOW - 45 * S]) {
    await api.process.submit({
      system_name: "web-1",
      timestamp: new Date(t).toISOString(),
      processes: [proc(11, "nginx", { started_at: NOW - 55 * S }), proc(1, "init")],
    });
  }
  await api.process.submit({ system_name: "db-1", timestamp: NOW - 30 * S, processes: [proc(7, "cron")] });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("process.submit", () => {
  it("stores a batch and says how many samples it took; no timestamp means now", async () => {
    const api = caller();
    const out = await api.process.submit({ system_name: "later", processes: [proc(1, "a"), proc(2, "b")] });
    expect(out).toEqual({ success: true, message: "Data received successfully.", accepted: 2 });
    const { data } = await api.process.filter({ system_name: "later", date: "2026-01-15", page: 1 });
    expect(data.map((r) => [r.pid, r.timestamp])).toEqual([
      [1, "2026-01-15T12:00:00.000Z"],
      [2, "2026-01-15T12:00:00.000Z"],
    ]);
  });

  it("a missing required field gets the old service's message; other fields are named", async () => {
    expect(await failure(caller().process.submit({ system_name: "x" } as never))).toMatchObject({
      code: "BAD_REQUEST",
      message: "System name and processes are required.",
      errors: [{ path: "processes" }],
    });
    expect(
      await failure(
        caller().process.submit({ system_name: "x", processes: [proc(1, "a", { cpu_percent: -1 })] }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "processes.0.cpu_percent: Too small: expected number to be >=0",
      errors: [{ path: "processes.0.cpu_percent", message: "Too small: expected number to be >=0" }],
    });
  });

  it("refuses batches over MAX_BATCH_PROCESSES, naming the count", async () => {
    const api = caller({ env: { MAX_BATCH_PROCESSES: "2" } });
    expect(
      await failure(
        api.process.submit({ system_name: "x", processes: [proc(1, "a"), proc(2, "b"), proc(3, "c")] }),
      ),
    ).toEqual({
      code: "BAD_REQUEST",
      message: "processes: at most 2 processes per batch (got 3)",
      errors: [{ path: "processes", message: "at most 2 processes per batch (got 3)" }],
    });
  });
});

describe("process.filter", () => {
  it("returns the window's samples in order, with counts and page links", async () => {
    const out = await caller().process.filter({
      start_time: "11:58",
      end_time: "11:59:12",
      process_name: "nginx",
      page: 1,
      page_size: 2,
    });
    expect(out.count).toBe(4);
    expect(out.data.map((r) => [r.timestamp, r.pid])).toEqual([
      ["2026-01-15T11:58:00.000Z", 10],
      ["2026-01-15T11:58:05.000Z", 10],
    ]);
    expect(out.data[0]).toEqual({
      system_name: "web-1",
      pid: 10,
      name: "nginx",
      cpu_percent: 1.5,
      memory_percent: 0.25,
      timestamp: "2026-01-15T11:58:00.000Z",
      started_at: "2026-01-15T11:56:40.000Z",
      user: "www",
    });
    // Links are built from the input (never the request's Host), relative without PUBLIC_URL.
    expect(out.next).toBe(
      "/api/filter-processes/?start_time=11%3A58&end_time=11%3A59%3A12&process_name=nginx&page=2&page_size=2",
    );
    expect(out).toMatchObject({ previous: null, next_page: 2, previous_page: null });
    const last = await caller().process.filter({
      start_time: "11:58",
      end_time: "11:59:12",
      process_name: "nginx",
      page: 2,
      page_size: 2,
    });
    expect(last.data.map((r) => [r.timestamp, r.pid])).toEqual([
      ["2026-01-15T11:58:10.000Z", 10],
      ["2026-01-15T11:59:10.000Z", 11],
    ]);
    expect(last).toMatchObject({ next: null, next_page: null, previous_page: 1 });
  });

  it("applies the window in the requested zone", async () => {
    // 12:58 in Berlin (UTC+1 in January) is 11:58 UTC
    const out = await caller().process.filter({
      start_time: "12:58",
      end_time: "12:59",
      tz: "Europe/Berlin",
      system_name: "web-1",
      pid: 10,
      page: 1,
    });
    expect(out.data.map((r) => r.timestamp)).toEqual([
      "2026-01-15T11:58:00.000Z",
      "2026-01-15T11:58:05.000Z",
      "2026-01-15T11:58:10.000Z",
    ]);
  });

  it("names the parameter that is wrong", async () => {
    const api = caller({ env: { MAX_QUERY_DAYS: "7" } });
    const cases: [object, string, string][] = [
      [{ tz: "Mars/Olympus" }, "tz", 'unknown time zone "Mars/Olympus"'],
      [
        { date: "2026-01-15", from: "2026-01-01T00:00:00Z" },
        "date",
        "give either date, or from and to, not both",
      ],
      [{ date: "2026-02-30" }, "date", '"2026-02-30" is not a calendar date'],
      [{ from: "2026-01-15T00:00:00Z", to: "2026-01-14T00:00:00Z" }, "from", "must be earlier than to"],
      [
        { from: "2026-01-01T00:00:00Z", to: "2026-01-15T00:00:00Z" },
        "to",
        "[from, to) spans 14 days; at most 7 are allowed",
      ],
      [{ page_size: 10_001 }, "page_size", "must be at most 10000"],
    ];
    for (const [input, path, message] of cases) {
      expect(await failure(api.process.filter({ page: 1, ...input }))).toEqual({
        code: "BAD_REQUEST",
        message: `${path}: ${message}`,
        errors: [{ path, message }],
      });
    }
    expect(await failure(api.process.filter({ page: 1, start_time: "25:00" }))).toMatchObject({
      code: "BAD_REQUEST",
      errors: [{ path: "start_time", message: "must be a time of day, HH:MM or HH:MM:SS" }],
    });
  });
});

describe("process.duration", () => {
  it("sums the runs, split at gaps longer than RUN_GAP_SECONDS", async () => {
    const out = await caller().process.duration({ system_name: "web-1", process_name: "nginx" });
    expect(out).toEqual({
      success: true,
      system_name: "web-1",
      process_name: "nginx",
      duration_seconds: 15,
      duration_human_readable: "0:00:15",
      first_seen: "2026-01-15T11:58:00.000Z",
      last_seen: "2026-01-15T11:59:15.000Z",
      running: false, // last seen 45 s ago, more than 15 s
      uptime_seconds: null,
      runs: [
        { start: "2026-01-15T11:58:00.000Z", end: "2026-01-15T11:58:10.000Z", seconds: 10, pids: [10] },
        { start: "2026-01-15T11:59:10.000Z", end: "2026-01-15T11:59:15.000Z", seconds: 5, pids: [11] },
      ],
    });
    // With a 60 s gap allowed it is one run, still running, up since pid 11 started.
    const long = await caller({ env: { RUN_GAP_SECONDS: "60" } }).process.duration({
      system_name: "web-1",
      process_name: "nginx",
    });
    expect(long.runs.map((r) => [r.seconds, r.pids])).toEqual([[75, [10, 11]]]);
    expect(long).toMatchObject({ running: true, uptime_seconds: 55, duration_human_readable: "0:01:15" });
  });

  it("404 for a process never seen there, 400 naming what is missing", async () => {
    expect(await failure(caller().process.duration({ system_name: "db-1", process_name: "nginx" }))).toEqual({
      code: "NOT_FOUND",
      message: "No process found with the specified name on the system.",
    });
    const untyped = { process_name: "nginx" } as { system_name: string; process_name: string };
    expect(await failure(caller().process.duration(untyped))).toEqual({
      code: "BAD_REQUEST",
      message: "Both system name and process name are required.",
      errors: [{ path: "system_name", message: "required" }],
    });
  });
});

describe("systems.list", () => {
  it("every system with its first and last report and the size of its last sample", async () => {
    const { systems } = await caller().systems.list(); // no input needed
    expect(systems.filter((s) => s.system_name !== "later")).toEqual([
      {
        system_name: "db-1",
        first_seen: "2026-01-15T11:59:30.000Z",
        last_seen: "2026-01-15T11:59:30.000Z",
        process_count: 1,
      },
      {
        system_name: "web-1",
        first_seen: "2026-01-15T11:58:00.000Z",
        last_seen: "2026-01-15T11:59:15.000Z",
        process_count: 2,
      },
    ]);
  });
});

describe("tokens and the write limit", () => {
  const TOKENS = { API_TOKENS: `agent:write:${"w".repeat(16)},viewer:read:${"r".repeat(16)}` };
  const viewer: Principal = { name: "viewer", scopes: new Set(["read"]) };
  const agent: Principal = { name: "agent", scopes: new Set(["write"]) };

  it("no token: 401; a token without the scope: 403; checked before the input", async () => {
    expect(await failure(caller({ env: TOKENS }).systems.list({}))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await failure(caller({ env: TOKENS, principal: viewer }).process.submit({} as never))).toEqual({
      code: "FORBIDDEN",
      message: 'This token does not have the "write" scope.',
    });
    expect((await caller({ env: TOKENS, principal: viewer }).systems.list({})).success).toBe(true);
  });

  it("WRITE_RATE_PER_MINUTE per token: the next write says when to retry", async () => {
    const api = caller({ env: { ...TOKENS, WRITE_RATE_PER_MINUTE: "2" }, principal: agent });
    const batch = { system_name: "limited", timestamp: NOW, processes: [proc(1, "a")] };
    await api.process.submit(batch);
    await api.process.submit(batch);
    const err = await api.process.submit(batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    expect((err as TRPCError).message).toBe("Too many writes for this token; retry in 30 s.");
    expect(((err as TRPCError).cause as RateLimited).retryAfterSeconds).toBe(30);
  });
});
