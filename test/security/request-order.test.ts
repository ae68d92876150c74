/**
 * The order every request is judged in, on both doors, for every route the server has (REST
 * operations are read from the served OpenAPI document, tRPC procedures from the router, so a new
 * route is covered without editing this file):
 *   - authentication comes before the body: a request without a valid token (or without the scope)
 *     is answered 401/403 at once, while its body is still on the wire — a body that never ends
 *     gets its answer, the server never waits for it, reads or parses it;
 *   - HEAD is GET without a body: the same authentication and the same status as GET;
 *   - a method a route does not answer is 405 with an Allow header naming the ones it does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AnyTRPCRouter } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { appRouter } from "../../server/router.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { parseRaw, rawRequest } from "../hostile/support.ts";
import { type RunningApp, startApp } from "../support/app.ts";

const READ = "read-token-0123456789abcdef";
const WRITE = "write-token-0123456789abcdef";
const UNKNOWN = "unknown-token-0123456789abcdef";
const TOKENS = { none: undefined, unknown: UNKNOWN, read: READ, write: WRITE } as const;
type Who = keyof typeof TOKENS;
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

const procedures = Object.entries(
  (appRouter as AnyTRPCRouter)._def.procedures as Record<string, { _def: { type: string } }>,
).map(([name, p]) => ({ name, type: p._def.type }));

describe("the order a request is judged in", () => {
  let app: RunningApp;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), "procscope-order-"));
  /** REST operations as the served document lists them: path → methods. */
  const rest = new Map<string, string[]>();

  beforeAll(async () => {
    app = await startApp(undefined, {
      store: new SqliteStore({ dataDir: dir, retentionDays: 30, log: createLogger("silent") }),
      env: { API_TOKENS: `grafana:read:${READ},agent:write:${WRITE}`, REQUEST_TIMEOUT_MS: "3000" },
    });
    port = Number(new URL(app.url).port);
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    for (const [path, item] of Object.entries(doc.paths)) {
      rest.set(
        path,
        Object.keys(item).map((m) => m.toUpperCase()),
      );
    }
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Headers, then 100 bytes of a body announced as 3 MB; the rest never comes. */
  const endless = (method: string, path: string, token?: string) =>
    rawRequest(
      port,
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `${token ? `Authorization: Bearer ${token}\r\n` : ""}Content-Length: 3000000\r\n\r\n` +
        `{"system_name":"${"x".repeat(80)}`,
      { giveUpMs: 2000 },
    );

  it("REST and tRPC without a token, or without the scope: 401/403 while the body is still on the wire", async () => {
    const cases: { what: string; method: string; path: string; who: Who; status: number }[] = [];
    for (const [path, methods] of rest) {
      for (const method of methods.filter((m) => m !== "GET")) {
        for (const who of ["none", "unknown"] as const)
          cases.push({ what: "rest", method, path, who, status: 401 });
        cases.push({ what: "rest", method, path, who: "read", status: 403 });
      }
    }
    for (const p of procedures.filter((p) => p.type === "mutation")) {
      const path = `/trpc/${p.name}`;
      for (const who of ["none", "unknown"] as const) {
        cases.push({ what: "trpc", method: "POST", path, who, status: 401 });
        cases.push({
          what: "trpc batch",
          method: "POST",
          path: `${path},${p.name}?batch=1`,
          who,
          status: 401,
        });
      }
      cases.push({ what: "trpc", method: "POST", path, who: "read", status: 403 });
    }
    expect(cases.length).toBeGreaterThanOrEqual(8);
    for (const c of cases) {
      const r = await endless(c.method, c.path, TOKENS[c.who]);
      const answer = parseRaw(r.response);
      const where = `${c.what} ${c.method} ${c.path} (${c.who}) → ${r.response.slice(0, 300)}`;
      expect(answer.status, where).toBe(c.status);
      // Answered, and the connection closed, with the body still unsent: nothing waited for it.
      expect(r.closedByServer, where).toBe(true);
      expect(answer.contentType, where).toMatch(/^application\/json/);
      type Err = { message?: string; error?: { message?: string } };
      const body = answer.body as Err | Err[];
      const messages = Array.isArray(body)
        ? body.map((b) => b.error?.message)
        : [body.error?.message ?? body.message];
      for (const m of messages) expect(m, where).toMatch(c.status === 401 ? /valid API token/ : /scope/);
    }
  });

  it("with the right token the same endless body is waited for (until the request timeout): the 401 above was not a timeout", async () => {
    const r = await endless("POST", "/api/process-data/", WRITE);
    expect(parseRaw(r.response).status).toBe(0); // no answer within 2 s: the server is reading the body
  });

  it("HEAD is GET without the body: the same status for every GET route and every token, no body", async () => {
    const targets = [
      ...[...rest].filter(([, methods]) => methods.includes("GET")).map(([path]) => `${path}/`),
      ...procedures.filter((p) => p.type === "query").map((p) => `/trpc/${p.name}?input=%7B%7D`),
      "/healthz",
      "/readyz",
      "/openapi.json",
      "/docs",
      "/",
    ];
    for (const target of targets) {
      for (const who of Object.keys(TOKENS) as Who[]) {
        const token = TOKENS[who];
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
        const get = await fetch(`${app.url}${target}`, { headers });
        await get.arrayBuffer();
        const head = await fetch(`${app.url}${target}`, { method: "HEAD", headers });
        expect(head.status, `HEAD ${target} (${who})`).toBe(get.status);
        expect((await head.arrayBuffer()).byteLength, `HEAD ${target} (${who})`).toBe(0);
        if (target.startsWith("/api/") || target.startsWith("/trpc/")) {
          const expected = who === "none" || who === "unknown" ? 401 : who === "write" ? 403 : undefined;
          if (expected) expect(get.status, `GET ${target} (${who})`).toBe(expected);
          else expect([401, 403], `GET ${target} (${who})`).not.toContain(get.status);
        }
      }
    }
  });

  it("a method a route does not answer: 405 with Allow naming the ones it does (HEAD with GET)", async () => {
    const headers = { authorization: `Bearer ${WRITE}`, "content-type": "application/json" };
    const allowed = new Map<string, string[]>([
      ...[...rest].map(([path, methods]) => [`${path}/`, methods] as [string, string[]]),
      ...procedures.map(
        (p) => [`/trpc/${p.name}`, [p.type === "mutation" ? "POST" : "GET"]] as [string, string[]],
      ),
      ["/healthz", ["GET"]],
      ["/readyz", ["GET"]],
      ["/openapi.json", ["GET"]],
      ["/docs", ["GET"]],
      ["/docs/swagger-ui.css", ["GET"]],
      ["/", ["GET"]],
    ]);
    let checked = 0;
    for (const [path, methods] of allowed) {
      const answers = new Set(methods.includes("GET") ? [...methods, "HEAD"] : methods);
      for (const method of METHODS.filter((m) => !answers.has(m))) {
        const res = await fetch(`${app.url}${path}`, {
          method,
          headers,
          ...(method === "GET" || method === "HEAD" ? {} : { body: "{}" }),
        });
        const text = await res.text();
        const where = `${method} ${path} → ${res.status} ${text.slice(0, 200)}`;
        expect(res.status, where).toBe(405);
        const allow = (res.headers.get("allow") ?? "").split(/,\s*/).filter(Boolean);
        expect(allow.sort(), where).toEqual(
          [...answers].filter((m) => m !== "HEAD" || !path.startsWith("/trpc/")).sort(),
        );
        expect(res.headers.get("content-type"), where).toMatch(/^application\/json/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
