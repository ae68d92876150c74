/**
 * Tokens with scopes on both doors: every endpoint × {no token, unknown token, read, write}, the
 * write rate limit, CORS, and no secret in any log line or response.
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../../server/router.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { type StoreTarget, storeTarget } from "../support/stores.ts";

const READ = "read-token-0123456789abcdef";
const WRITE = "write-token-0123456789abcdef";
const UNKNOWN = "unknown-token-0123456789abcdef";
const API_TOKENS = `grafana:read:${READ},agent:write:${WRITE}`;

const sample = {
  system_name: "secure",
  timestamp: Date.now() - 60_000,
  processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }],
};

const ENDPOINTS: { path: string; scope: "read" | "write"; init?: { json: unknown } }[] = [
  { path: "/api/process-data/", scope: "write", init: { json: sample } },
  { path: "/api/filter-processes/?date=2026-03-05", scope: "read" },
  { path: "/api/process-filter/?date=2026-03-05", scope: "read" },
  { path: "/api/process-duration/?system_name=secure&process_name=p", scope: "read" },
  { path: "/api/systems/", scope: "read" },
];
const TOKENS = { none: undefined, unknown: UNKNOWN, read: READ, write: WRITE } as const;

function expected(scope: "read" | "write", who: keyof typeof TOKENS): number {
  if (who === "none" || who === "unknown") return 401;
  return who === scope ? (scope === "write" ? 201 : 200) : 403;
}

describe("API tokens", () => {
  let target: StoreTarget;
  let app: RunningApp;
  const bodies: string[] = [];
  beforeAll(async () => {
    target = await storeTarget("auth");
    app = await startApp(target.env, {
      env: { API_TOKENS, WRITE_RATE_PER_MINUTE: "6000", CORS_ORIGINS: "https://ops.example" },
    });
  });
  afterAll(() => app?.close());

  for (const endpoint of ENDPOINTS) {
    for (const who of Object.keys(TOKENS) as (keyof typeof TOKENS)[]) {
      it(`REST ${endpoint.path.split("?")[0]} with ${who} token → ${expected(endpoint.scope, who)}`, async () => {
        const token = TOKENS[who];
        const res = await call(`${app.url}${endpoint.path}`, {
          ...endpoint.init,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        bodies.push(JSON.stringify(res.body));
        expect(res.status).toBe(expected(endpoint.scope, who));
        if (res.status >= 400) {
          expect(res.body.success).toBe(false);
          expect(typeof res.body.message).toBe("string");
        }
      });
    }
  }

  it("401 is the same for a missing and an unknown token (nothing reveals whether a token exists)", async () => {
    const a = await call(`${app.url}/api/systems/`);
    const b = await call(`${app.url}/api/systems/`, { headers: { authorization: `Bearer ${UNKNOWN}` } });
    const c = await call(`${app.url}/api/systems/`, { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(a.body).toEqual(b.body);
    expect(c.body).toEqual(a.body);
  });

  const trpc = (token?: string) =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: `${app.url}/trpc`, headers: token ? { authorization: `Bearer ${token}` } : {} }),
      ],
    });
  const status = (p: Promise<unknown>) =>
    p.then(
      () => 200,
      (e: unknown) => (e instanceof TRPCClientError ? (e.data?.httpStatus as number) : -1),
    );

  for (const who of Object.keys(TOKENS) as (keyof typeof TOKENS)[]) {
    it(`tRPC with ${who} token`, async () => {
      const client = trpc(TOKENS[who]);
      const w = expected("write", who);
      const r = expected("read", who);
      expect(await status(client.process.submit.mutate(sample))).toBe(w === 201 ? 200 : w);
      expect(await status(client.process.filter.query({ date: "2026-03-05" }))).toBe(r);
      expect(await status(client.process.duration.query({ system_name: "secure", process_name: "p" }))).toBe(
        r,
      );
      expect(await status(client.systems.list.query({}))).toBe(r);
    });
  }

  it("health, readiness, the OpenAPI document and /docs stay open; the document declares bearer auth", async () => {
    for (const path of ["/healthz", "/readyz", "/openapi.json", "/docs"]) {
      expect((await fetch(`${app.url}${path}`)).status, path).toBe(200);
    }
    const doc = (await call(`${app.url}/openapi.json`)).body;
    expect(doc.components.securitySchemes.Authorization).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/api/process-data"].post.security).toEqual([{ Authorization: [] }]);
  });

  it("CORS: only configured origins get Access-Control-Allow-Origin", async () => {
    const ok = await fetch(`${app.url}/api/systems/`, {
      method: "OPTIONS",
      headers: { origin: "https://ops.example" },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://ops.example");
    const other = await fetch(`${app.url}/api/systems/`, { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("no secret appears in any log line or response body", () => {
    const haystack = [...app.logs, ...bodies].join("\n");
    expect(bodies.length).toBeGreaterThan(10);
    for (const secret of [READ, WRITE, UNKNOWN, ...target.secrets]) expect(haystack).not.toContain(secret);
    expect(haystack).not.toMatch(/\bat .+\.ts:\d+/); // no stack traces
  });
});

describe("write rate limit", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("rate")).env, {
      env: { API_TOKENS, WRITE_RATE_PER_MINUTE: "3" },
    });
  });
  afterAll(() => app?.close());

  it("past the per-token limit: 429 with Retry-After; reads are not limited", async () => {
    const headers = { authorization: `Bearer ${WRITE}` };
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await call(`${app.url}/api/process-data/`, {
        json: { ...sample, timestamp: sample.timestamp + i },
        headers,
      });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(limited?.body).toMatchObject({ success: false });
    expect(limited?.body.message).toMatch(/Too many writes/);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const read = await call(`${app.url}/api/systems/`, { headers: { authorization: `Bearer ${READ}` } });
    expect(read.status).toBe(200);
  });
});
