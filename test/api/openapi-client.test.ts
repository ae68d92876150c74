/**
 * A client generated from openapi/openapi.json alone (openapi-typescript types + openapi-fetch;
 * test/api/openapi-client/flow.ts, typechecked by `npm run typecheck`) runs the old service's whole
 * flow against the real server: submit, filter (two pages, by page number), duration, systems,
 * and a missing required parameter. The types it compiles against are the checked-in ones, which
 * test/api/openapi.test.ts keeps equal to what openapi-typescript generates now.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";
import { oldServiceFlow, restClient } from "./openapi-client/flow.ts";

const TOKEN = "openapi-client-token-0123456789";

describe("a client generated from the OpenAPI document", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("openapi-client")).env, {
      env: { API_TOKENS: `client:read+write:${TOKEN}` },
    });
  });
  afterAll(() => app?.close());

  it("runs the old service's flow: submit, filter, duration, systems", async () => {
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10); // yesterday, UTC
    const result = await oldServiceFlow(restClient(app.url, TOKEN), day);
    expect(result.submitStatus).toBe(201);
    expect(result.accepted).toBe(2);
    expect(result.windowCount).toBe(2);
    expect(result.secondPage).toBe(2);
    expect(result.window).toEqual([
      {
        system_name: "System_A",
        pid: 5678,
        name: "chrome",
        cpu_percent: 15.7,
        memory_percent: 8.3,
        timestamp: `${day}T00:45:00.000Z`,
      },
      {
        system_name: "System_A",
        pid: 1234,
        name: "python",
        cpu_percent: 5.2,
        memory_percent: 1.5,
        timestamp: `${day}T00:45:00.000Z`,
      },
    ]);
    expect(result.duration).toEqual({ seconds: 5, human: "0:00:05", runs: 1 });
    expect(result.systems).toEqual([
      { system_name: "System_A", process_count: 2 },
      { system_name: "Vinay", process_count: 1 },
    ]);
    expect(result.missingParameter).toEqual({
      status: 400,
      error: {
        success: false,
        code: "BAD_REQUEST",
        message: "Both system name and process name are required.",
        errors: [{ path: "process_name", message: "required" }],
      },
    });
  });

  it("without a token the generated client gets the documented 401 body", async () => {
    const res = await restClient(app.url).GET("/api/systems");
    expect(res.response.status).toBe(401);
    expect(res.error).toEqual({
      success: false,
      code: "UNAUTHORIZED",
      message: "A valid API token is required (Authorization: Bearer <token>).",
    });
  });
});
