/**
 * What the server does when it fails on its own: every 5xx it answers is logged (whichever part of
 * the server answered it), a REST 5xx body is the REST error shape without tRPC's internal `data`,
 * and nothing internal leaks into the answer. The faults are injected into a real SQLite store (a
 * bug that throws, storage that is unavailable); the HTTP server is the real one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { StorageUnavailableError } from "../../server/store/types.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";

/** A real store with a bug in `systems` and an outage in `filter`. */
class FaultyStore extends SqliteStore {
  override async systems(): Promise<never> {
    throw new TypeError("Cannot read properties of undefined (reading 'secret internal detail')");
  }
  override async filter(): Promise<never> {
    throw new StorageUnavailableError("disk I/O error");
  }
}

describe("5xx answers", () => {
  let app: RunningApp;
  const dir = mkdtempSync(join(tmpdir(), "procscope-5xx-"));
  beforeAll(async () => {
    app = await startApp(undefined, {
      store: new FaultyStore({ dataDir: dir, retentionDays: 30, log: createLogger("silent") }),
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const logged = (status: number, url: string) =>
    app.logs
      .map((l) => JSON.parse(l) as { status?: number; url?: string; level: number; msg: string })
      .filter((l) => l.status === status && l.url === url);

  it("a bug → 500 on both doors, logged at error level, REST body without tRPC's data", async () => {
    const rest = await call(`${app.url}/api/systems/`);
    expect(rest.status).toBe(500);
    expect(rest.body).toEqual({
      success: false,
      message: "Internal server error",
      code: "INTERNAL_SERVER_ERROR",
    });
    const trpc = await call(`${app.url}/trpc/systems.list?input=%7B%7D`);
    expect(trpc.status).toBe(500);
    expect(trpc.body.error.message).toBe("Internal server error");
    expect(trpc.body.error.data.httpStatus).toBe(500);
    for (const url of ["/api/systems/", "/trpc/systems.list?input=%7B%7D"]) {
      // The line is written when the answer has been handed to the socket, which the client may see first.
      await vi.waitFor(() => expect(logged(500, url)).toHaveLength(1));
      const lines = logged(500, url);
      expect(lines, url).toHaveLength(1);
      expect(lines[0]?.level, url).toBe(50);
    }
    expect(JSON.stringify([rest.body, trpc.body])).not.toContain("secret internal detail");
  });

  it("storage unavailable → 503 with Retry-After, logged at warn level", async () => {
    const res = await call(`${app.url}/api/filter-processes/?date=2026-11-20`);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(Object.keys(res.body)).not.toContain("data");
    await vi.waitFor(() => expect(logged(503, "/api/filter-processes/?date=2026-11-20")).toHaveLength(1));
    const lines = logged(503, "/api/filter-processes/?date=2026-11-20");
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(40);
  });
});
