/**
 * The OpenAPI document is the contract, proven both ways against real servers:
 *
 *   1. every status each operation documents is produced by a real request, and
 *   2. every status a real request produces — hand-picked requests and generated ones (any token,
 *      any parameters, repeated parameters, any body, any content type) — is documented for that
 *      operation,
 *
 * and every answer's body is valid against the schema documented for its status (ajv, JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1), with Retry-After where documented. The document's own
 * examples are checked against its schemas too.
 *
 * Servers (on each store: test/api runs once per store): the real HTTP app with API tokens
 * (everything but 429 and 503); one with a write rate of 2 a minute (429); one whose InfluxDB
 * refuses connections (503; the embedded store's 503s: test/api/sqlite-failures.test.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, influxEnv } from "../../harness/influxd.ts";
import { OPENAPI_PATH } from "../../openapi/generate.ts";
import { type Body, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => void;

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON read from disk
const doc: any = JSON.parse(readFileSync(OPENAPI_PATH, "utf8"));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(doc, "openapi.json");
const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
const compiled = new Map<string, ValidateFunction>();
function validator(...parts: string[]): ValidateFunction {
  const ref = `openapi.json#/${pointer(...parts)}`;
  let v = compiled.get(ref);
  if (!v) {
    v = ajv.compile({ $ref: ref });
    compiled.set(ref, v);
  }
  return v;
}

interface Operation {
  path: string;
  method: "get" | "post";
  statuses: number[];
}
const OPERATIONS: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item as Record<string, { responses: Record<string, unknown> }>).map(([method, op]) => ({
    path,
    method: method as "get" | "post",
    statuses: Object.keys(op.responses).map(Number),
  })),
);
const key = (op: { path: string; method: string }) => `${op.method.toUpperCase()} ${op.path}`;

const READ = "conformance-reader-0123456789";
const WRITE = "conformance-writer-0123456789";
const BOTH = "conformance-admin-01234567890";
const API_TOKENS = `reader:read:${READ},writer:write:${WRITE},admin:read+write:${BOTH}`;
const TOKENS = { none: undefined, wrong: "not-a-token-0123456789abc", read: READ, write: WRITE, both: BOTH };
type Who = keyof typeof TOKENS;

/** What was seen: operation → statuses produced by real requests. */
const seen = new Map<string, Set<number>>();

interface Request {
  op: Operation;
  who: Who;
  query?: string;
  body?: string;
  contentType?: string;
}

/** Sends one request, and checks its answer against the document; returns status and body. */
async function exchange(base: string, r: Request): Promise<{ status: number; body: Body }> {
  const token = TOKENS[r.who];
  const res = await fetch(`${base}${r.op.path}/${r.query ? `?${r.query}` : ""}`, {
    method: r.op.method.toUpperCase(),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(r.body !== undefined ? { "content-type": r.contentType ?? "application/json" } : {}),
    },
    ...(r.body !== undefined ? { body: r.body } : {}),
  });
  const text = await res.text();
  const where = `${key(r.op)} ${r.query ?? ""} as ${r.who} → ${res.status}: ${text.slice(0, 300)}`;
  const status = res.status;
  seen.set(key(r.op), (seen.get(key(r.op)) ?? new Set()).add(status));
  expect(r.op.statuses, `undocumented status: ${where}`).toContain(status);
  expect(res.headers.get("content-type"), where).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Body;
  const validate = validator(
    "paths",
    r.op.path,
    r.op.method,
    "responses",
    String(status),
    "content",
    "application/json",
    "schema",
  );
  expect(validate(body), `${where}\n${ajv.errorsText(validate.errors)}`).toBe(true);
  const headers = doc.paths[r.op.path][r.op.method].responses[String(status)].headers ?? {};
  for (const name of Object.keys(headers)) {
    const value = res.headers.get(name);
    expect(value, `${name} on ${where}`).not.toBeNull();
    expect(
      validator(
        "paths",
        r.op.path,
        r.op.method,
        "responses",
        String(status),
        "headers",
        name,
        "schema",
      )(Number(value)),
      where,
    ).toBe(true);
  }
  return { status, body };
}

const op = (method: string, path: string): Operation => {
  const found = OPERATIONS.find((o) => o.method === method && o.path === path);
  if (!found) throw new Error(`no operation ${method} ${path} in the document`);
  return found;
};
const SUBMIT = op("post", "/api/process-data");
const FILTERS = [op("get", "/api/filter-processes"), op("get", "/api/process-filter")];
const DURATION = op("get", "/api/process-duration");
const SYSTEMS = op("get", "/api/systems");
const RUNS = op("get", "/api/process-runs");
const AT = op("get", "/api/processes-at");
const WATCHES = op("get", "/api/watches");
const STATUS = op("get", "/api/process-status");
/** A watches file for the apps below (GET /api/process-status/ needs watches to read storage). */
const WATCHES_FILE = join(mkdtempSync(join(tmpdir(), "procscope-conformance-")), "watches.yaml");
writeFileSync(WATCHES_FILE, "watches:\n  - process_name: python\n    systems: all\n");

const NOW = Date.now();
/** Query keys named like Object.prototype members (a 500 in the REST adapter's parsing once). */
const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty"];
const proc = (pid: number, name = "python") => ({ pid, name, cpu_percent: 5.2, memory_percent: 1.5 });
const sample = (system: string, at = NOW - 60_000) =>
  JSON.stringify({ system_name: system, timestamp: at, processes: [proc(1234), proc(5678, "chrome")] });

it("the document's examples are valid against their own schemas, and none is an absurd number", () => {
  let checked = 0;
  const visit = (node: unknown, path: string[]): void => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => {
        visit(n, [...path, String(i)]);
      });
      return;
    }
    if (node === null || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if ("example" in o && path.at(-1) !== "properties") {
      const schemaPath = path.at(-1) === "application/json" ? [...path, "schema"] : path;
      const v = validator(...schemaPath);
      expect(v(o.example), `${path.join("/")}: ${ajv.errorsText(v.errors)}`).toBe(true);
      checked++;
    }
    for (const [k, v] of Object.entries(o)) visit(v, [...path, k]);
  };
  visit(doc.paths, ["paths"]);
  visit(doc.components.schemas, ["components", "schemas"]);
  expect(checked).toBeGreaterThan(60);
  expect(JSON.stringify(doc)).not.toMatch(/"example":\s*-?9007199254740991/);
  // Every parameter is described and has an example; duration's names are required.
  for (const o of OPERATIONS) {
    for (const p of doc.paths[o.path][o.method].parameters ?? []) {
      expect(p.description, `${key(o)} ${p.name}`).toBeTruthy();
      expect(p.schema.example, `${key(o)} ${p.name}`).toBeDefined();
    }
  }
  const durationParams = doc.paths["/api/process-duration"].get.parameters;
  expect(
    durationParams.filter((p: { required?: boolean }) => p.required).map((p: { name: string }) => p.name),
  ).toEqual(["system_name", "process_name"]);
});

describe("conformance", () => {
  let app: RunningApp;
  beforeAll(async () => {
    const env = { API_TOKENS, WRITE_RATE_PER_MINUTE: "0", MAX_BODY_BYTES: "20000", WATCHES_FILE };
    app = await startApp((await storeTarget("conformance")).env, { env });
    const stored = await exchange(app.url, { op: SUBMIT, who: "write", body: sample("System_A") });
    expect(stored.status).toBe(201);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("hand-picked requests give each documented status of every operation", async () => {
    const cases: [Request, number][] = [
      [{ op: SUBMIT, who: "both", body: sample("System_B") }, 201],
      [{ op: SUBMIT, who: "write", body: "{}" }, 400],
      [
        {
          op: SUBMIT,
          who: "write",
          body: JSON.stringify({ system_name: "d", processes: [proc(1), proc(1)] }),
        },
        400,
      ],
      [{ op: SUBMIT, who: "write", body: "{not json" }, 400],
      [{ op: SUBMIT, who: "none", body: sample("x") }, 401],
      [{ op: SUBMIT, who: "wrong", body: sample("x") }, 401],
      [{ op: SUBMIT, who: "read", body: sample("x") }, 403],
      [
        {
          op: SUBMIT,
          who: "write",
          body: JSON.stringify({
            system_name: "big",
            processes: [{ ...proc(1), command: "x".repeat(30_000) }],
          }),
        },
        413,
      ],
      [{ op: SUBMIT, who: "write", body: sample("x"), contentType: "text/plain" }, 415],
      [{ op: DURATION, who: "read", query: "system_name=System_A&process_name=python" }, 200],
      [{ op: DURATION, who: "read", query: "system_name=System_A" }, 400],
      [{ op: DURATION, who: "none", query: "system_name=System_A&process_name=python" }, 401],
      [{ op: DURATION, who: "write", query: "system_name=System_A&process_name=python" }, 403],
      [{ op: DURATION, who: "read", query: "system_name=System_A&process_name=never-seen" }, 404],
      [{ op: SYSTEMS, who: "read" }, 200],
      [{ op: SYSTEMS, who: "wrong" }, 401],
      [{ op: SYSTEMS, who: "write" }, 403],
      [{ op: WATCHES, who: "read" }, 200],
      [{ op: WATCHES, who: "none" }, 401],
      [{ op: WATCHES, who: "write" }, 403],
      [{ op: STATUS, who: "read" }, 200],
      [{ op: STATUS, who: "read", query: "state=up&process_name=python&system_name=System_A" }, 200],
      [{ op: STATUS, who: "read", query: `from=${new Date(NOW - 3_600_000).toISOString()}` }, 200],
      [{ op: STATUS, who: "read", query: "state=sideways" }, 400],
      [
        {
          op: STATUS,
          who: "read",
          query: `from=${new Date(NOW).toISOString()}&to=${new Date(NOW - 1).toISOString()}`,
        },
        400,
      ],
      [{ op: STATUS, who: "wrong" }, 401],
      [{ op: STATUS, who: "write" }, 403],
      [{ op: RUNS, who: "read", query: "process_name=python" }, 200],
      [{ op: RUNS, who: "read", query: "system_name=System_A" }, 400],
      [{ op: RUNS, who: "none", query: "process_name=python" }, 401],
      [{ op: RUNS, who: "write", query: "process_name=python" }, 403],
      [{ op: RUNS, who: "read", query: "process_name=never-seen" }, 404],
      [
        { op: AT, who: "read", query: `system_name=System_A&at=${new Date(NOW - 59_000).toISOString()}` },
        200,
      ],
      [
        {
          op: AT,
          who: "read",
          query: `system_name=System_A&at=${new Date(Date.now() + 86_400_000).toISOString()}`,
        },
        400,
      ],
      [{ op: AT, who: "wrong", query: "system_name=System_A" }, 401],
      [{ op: AT, who: "write", query: `system_name=System_A&at=${new Date(NOW).toISOString()}` }, 403],
      [{ op: AT, who: "read", query: `system_name=nowhere&at=${new Date(NOW).toISOString()}` }, 404],
    ];
    for (const f of FILTERS) {
      cases.push(
        [{ op: f, who: "read", query: "start_time=00:00&page_size=1" }, 200],
        [{ op: f, who: "both", query: "page_size=1&page_size=2" }, 400],
        [{ op: f, who: "read", query: "tz=Mars/Olympus_Mons" }, 400],
        [{ op: f, who: "none" }, 401],
        [{ op: f, who: "write" }, 403],
      );
    }
    for (const [request, status] of cases) {
      const got = await exchange(app.url, request);
      expect(
        got.status,
        `${key(request.op)} ${request.query ?? request.body?.slice(0, 80) ?? ""} as ${request.who}`,
      ).toBe(status);
    }
  });

  it("generated requests: every status is documented and every body matches its schema", async () => {
    const value = fc.oneof(
      fc.constantFrom(
        "",
        "00:30",
        "25:00",
        "2026-03-10",
        "2026-02-30",
        "2026-03-10T00:00:00Z",
        "Europe/Berlin",
        "0",
        "-1",
        "1e3",
        "System_A",
        "python",
        "\u0000",
        ...PROTOTYPE_NAMES,
      ),
      fc.string({ maxLength: 12 }),
      fc.integer({ min: -5, max: 20_000 }).map(String),
    );
    const names = [
      "start_time",
      "end_time",
      "date",
      "from",
      "to",
      "tz",
      "system_name",
      "process_name",
      "pid",
      "page",
      "page_size",
      "at",
      "top",
      "sort",
      "other",
      ...PROTOTYPE_NAMES,
    ];
    const query = fc
      .array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 6 })
      .map((pairs) => new URLSearchParams(pairs).toString());
    const who = fc.constantFrom(...(Object.keys(TOKENS) as Who[]));
    const reads = fc.record({ op: fc.constantFrom(...FILTERS, DURATION, SYSTEMS, RUNS, AT), who, query });
    const body = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          system_name: fc.oneof(fc.string({ maxLength: 8 }), fc.constant("gen")),
          processes: fc.array(
            fc.record({
              pid: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constant("1")),
              name: fc.constantFrom("a", "b", ""),
              cpu_percent: fc.oneof(fc.double({ noNaN: true, min: -1, max: 200 }), fc.constant(null)),
              memory_percent: fc.double({ noNaN: true, min: 0, max: 120 }),
            }),
            { maxLength: 4 },
          ),
          timestamp: fc.oneof(
            fc.constant(NOW - 30_000),
            fc.constant(-1),
            fc.constant("2026-03-10T00:45:00Z"),
          ),
        })
        .map((b) => JSON.stringify(b)),
    );
    const writes = fc.record({
      op: fc.constant(SUBMIT),
      who,
      body,
      contentType: fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(reads, writes), async (r) => {
        await exchange(app.url, r);
      }),
      { numRuns: Number(process.env.CONFORMANCE_RUNS ?? 150) },
    );
  });
});

describe("conformance: rate limit and storage outage", () => {
  const apps: RunningApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it("429 with Retry-After once a token has used its writes", async () => {
    const app = await startApp((await storeTarget("conformance-429")).env, {
      env: { API_TOKENS, WRITE_RATE_PER_MINUTE: "2" },
    });
    apps.push(app);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (await exchange(app.url, { op: SUBMIT, who: "write", body: sample("limited", NOW - i) })).status,
      );
    expect(statuses).toEqual([201, 201, 429]);
  });

  it("503 with Retry-After from every operation while storage refuses connections", async () => {
    const port = await freePort(); // nothing listens there
    const conn = { url: `http://127.0.0.1:${port}`, token: "t", org: "o", bucket: "b" };
    const app = await startApp(influxEnv(conn), {
      env: { API_TOKENS, STORAGE_TIMEOUT_MS: "1000", WATCHES_FILE },
    });
    apps.push(app);
    for (const [request, status] of [
      [{ op: SUBMIT, who: "write", body: sample("down") }, 503],
      [{ op: DURATION, who: "read", query: "system_name=a&process_name=b" }, 503],
      [{ op: SYSTEMS, who: "read" }, 503],
      [{ op: RUNS, who: "read", query: "process_name=p" }, 503],
      [{ op: STATUS, who: "read" }, 503],
      [{ op: AT, who: "read", query: `system_name=s&at=${new Date(NOW).toISOString()}` }, 503],
      ...FILTERS.map((f) => [{ op: f, who: "read" }, 503] as const),
    ] as [Request, number][]) {
      expect((await exchange(app.url, request)).status).toBe(status);
    }
  });
});

it("every status each operation documents was produced by a real request above", () => {
  for (const o of OPERATIONS) {
    expect([...(seen.get(key(o)) ?? [])].sort(), key(o)).toEqual([...o.statuses].sort());
  }
});
