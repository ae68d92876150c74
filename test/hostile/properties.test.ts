/**
 * Property-based hostile input (fast-check) against the real server process, on both doors and
 * both stores. Whatever arrives, the answer is a 2xx or a 4xx with a JSON error body, and the
 * server stays up. Submissions are judged by the API's own zod schema (SubmitIn): the server must
 * store exactly the ones it accepts, accept exactly the ones the schema accepts, and nothing else
 * reaches storage — checked in the database itself at the end.
 */

import type { AnyTRPCRouter } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { appRouter } from "../../server/router.ts";
import { SubmitIn } from "../../server/schemas.ts";
import { type Answer, expectClean, request, STORES, send, startTarget, type Target } from "./support.ts";

const RUNS = Number(process.env.HOSTILE_RUNS ?? 120);

/** Names every plain object inherits: "constructor", "__proto__", "toString", "hasOwnProperty", ... */
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype);
const QUERY_KEYS = [
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
];

/** The REST query operations and tRPC procedures, from the router itself (a new one is covered too). */
const OPERATIONS = Object.entries(
  (appRouter as AnyTRPCRouter)._def.procedures as Record<
    string,
    { _def: { type: string; inputs: unknown[]; meta?: { openapi?: { method: string; path: string } } } }
  >,
).map(([procedure, p]) => ({
  procedure,
  type: p._def.type,
  path: p._def.meta?.openapi ? `${p._def.meta.openapi.path}/` : undefined,
  method: p._def.meta?.openapi?.method,
  input: p._def.inputs[0] as z.ZodObject | undefined,
}));
const REST_GETS = OPERATIONS.filter((o) => o.method === "GET").map((o) => o.path as string);
const TRPC_PROCEDURES = OPERATIONS.map((o) => o.procedure);
/** A valid value for every string query parameter the router has (a new one must be added here). */
const VALID_VALUE: Record<string, string> = {
  start_time: "10:00",
  end_time: "11:00",
  date: "2026-11-20",
  from: "2026-11-20T00:00:00Z",
  to: "2026-11-21T00:00:00Z",
  tz: "Europe/Berlin",
  system_name: "s",
  process_name: "p",
  at: "2026-11-21T00:00:00Z",
};
const valid = (field: string): string => {
  const value = VALID_VALUE[field];
  if (value === undefined) throw new Error(`no valid value for the query parameter ${field}: add one`);
  return value;
};
const isStringSchema = (schema: unknown): boolean => {
  let s = schema as { def?: { type: string; innerType?: unknown; in?: unknown } } | undefined;
  while (s?.def && ["optional", "default", "nullable"].includes(s.def.type)) s = s.def.innerType as typeof s;
  return s?.def?.type === "string";
};
/** The fields of an input schema (an optional object's too; none for anything else). */
const objectShape = (schema: unknown): Record<string, unknown> => {
  let s = schema as
    | { def?: { type: string; innerType?: unknown }; shape?: Record<string, unknown> }
    | undefined;
  while (s?.def && ["optional", "default", "nullable"].includes(s.def.type)) s = s.def.innerType as typeof s;
  return s?.def?.type === "object" ? (s.shape ?? {}) : {};
};
/** Every (query operation, string parameter) pair the router has. */
const STRING_PARAMS = OPERATIONS.filter((o) => o.method === "GET" && o.input).flatMap((o) =>
  Object.entries(objectShape(o.input))
    .filter(([, schema]) => isStringSchema(schema))
    .map(([field]) => ({ procedure: o.procedure, path: o.path as string, field })),
);
const PREFIXES = [
  "/",
  "/api/",
  "/trpc/",
  "/docs/",
  "/healthz/",
  "/readyz/",
  "/openapi.json/",
  "/api/process-data/",
  "/trpc/process.filter,",
];
const ALL_ROUTES = [
  "/healthz",
  "/readyz",
  "/openapi.json",
  "/docs",
  ...REST_GETS,
  "/trpc/systems.list?input=%7B%7D",
  "/nope",
];
// biome-ignore lint/suspicious/noExplicitAny: payloads are arbitrary JSON by design
type Json = any;

/** Strings people and attackers actually send: Unicode edge cases, separators, escapes. */
const NASTY_STRINGS = [
  "",
  " ",
  "a",
  "nginx",
  "a b",
  "x,y=z",
  '"quoted"',
  "back\\slash",
  "trailing\\",
  "%25",
  "%5C",
  "🚀 emoji",
  "\u202Eevil.exe",
  "zero\u200Bwidth",
  "\u200D\u200C",
  "\ufeffbom",
  "日本語",
  "עברית",
  "\ud800",
  "x\udc00",
  "\udbff\udfff",
  "a\u0000b",
  "line\nbreak",
  "tab\t",
  "\u007f",
  "\u0085next-line",
  "\u2028\u2029",
  "a".repeat(255),
  "a".repeat(256),
  "é".repeat(300),
  "$(rm -rf /)",
  "'; DROP TABLE samples; --",
  'r._measurement == "process"',
];
const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  0.5,
  1e-320,
  100,
  100.0001,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53 - 1,
  2 ** 53 + 2,
  1e21,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  8.64e15,
  9_223_372_036_853,
  9_223_372_036_854,
];

const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);
const nastyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...NASTY_NUMBERS),
  nastyString,
  fc.double(),
  fc.integer(),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
);

const validName = fc.oneof(
  fc.constantFrom(
    "nginx",
    "a b",
    "x,y=z",
    '"q"',
    "b\\s",
    "%25",
    "🚀",
    "\u202Er",
    "z\u200Bw",
    "日本",
    "a".repeat(255),
  ),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 30 }),
);
const validProcess = fc.record(
  {
    pid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    name: validName,
    cpu_percent: fc.double({ min: 0, max: 800, noNaN: true, noDefaultInfinity: true }),
    memory_percent: fc.double({ min: 0, max: 100, noNaN: true, noDefaultInfinity: true }),
    memory_rss: fc.integer({ min: 0, max: 2 ** 40 }),
    started_at: fc.integer({ min: 0, max: 4e12 }),
    user: fc.constantFrom("root", "app", "ünïcode"),
    command: fc.string({ maxLength: 60 }),
    state: fc.constantFrom("running", "sleeping", "zombie"),
    parent_pid: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  },
  { requiredKeys: ["pid", "name", "cpu_percent", "memory_percent"] },
);

type Mutation =
  | { kind: "none" }
  | { kind: "set-top"; key: string; value: Json }
  | { kind: "delete-top"; key: string }
  | { kind: "set-process"; index: number; key: string; value: Json }
  | { kind: "delete-process"; index: number; key: string }
  | { kind: "replace-processes"; value: Json };

const TOP_KEYS = ["system_name", "processes", "timestamp", "extra"];
const PROCESS_KEYS = [
  "pid",
  "name",
  "cpu_percent",
  "memory_percent",
  "memory_rss",
  "started_at",
  "user",
  "command",
  "state",
  "parent_pid",
  "unknown",
];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: "none" }),
  fc.record({ kind: fc.constant("set-top" as const), key: fc.constantFrom(...TOP_KEYS), value: nastyValue }),
  fc.record({ kind: fc.constant("delete-top" as const), key: fc.constantFrom(...TOP_KEYS) }),
  fc.record({
    kind: fc.constant("set-process" as const),
    index: fc.nat(4),
    key: fc.constantFrom(...PROCESS_KEYS),
    value: nastyValue,
  }),
  fc.record({
    kind: fc.constant("delete-process" as const),
    index: fc.nat(4),
    key: fc.constantFrom(...PROCESS_KEYS),
  }),
  fc.record({ kind: fc.constant("replace-processes" as const), value: nastyValue }),
);

function mutate(payload: Json, m: Mutation): Json {
  const out = structuredClone(payload);
  const proc = (i: number) => out.processes[i % out.processes.length];
  switch (m.kind) {
    case "set-top":
      out[m.key] = m.value;
      break;
    case "delete-top":
      delete out[m.key];
      break;
    case "set-process":
      proc(m.index)[m.key] = m.value;
      break;
    case "delete-process":
      delete proc(m.index)[m.key];
      break;
    case "replace-processes":
      out.processes = m.value;
      break;
  }
  return out;
}

describe.each(STORES)("hostile input, property-based, on %s", (kind) => {
  let t: Target;
  const run = `${kind}-${process.pid}-${Date.now().toString(36)}`;
  /** Used only by submissions the schema refuses: must never reach storage. */
  const INVALID = `hostile-invalid-${run}`;
  /** System names of submissions the server acknowledged. */
  const accepted = new Set<string>();

  beforeAll(async () => {
    t = await startTarget(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const submit = (door: "rest" | "trpc", body: string, type = "application/json"): Promise<Answer> =>
    send(`${t.server.url}${door === "rest" ? "/api/process-data/" : "/trpc/process.submit"}`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    });

  it("any JSON value as a submission: a clean 4xx, never stored", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.constantFrom("rest" as const, "trpc" as const),
        async (value, door) => {
          const body = JSON.stringify(value) ?? "null";
          const a = await submit(door, body);
          expectClean(a, `${door} ${body.slice(0, 200)}`);
          const valid = SubmitIn.safeParse(JSON.parse(body)).success;
          expect(a.status, body.slice(0, 200)).toBe(valid ? 201 : 400);
          if (valid) accepted.add((value as { system_name: string }).system_name);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("mutated valid submissions: 201 exactly when the schema accepts them, 400 otherwise", async () => {
    let valid = 0;
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(validProcess, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
        mutation,
        fc.constantFrom("rest" as const, "trpc" as const),
        async (processes, ago, m, door) => {
          const base = { system_name: `hostile-valid-${run}`, timestamp: Date.now() - ago, processes };
          let payload = mutate(base, m);
          let ok = SubmitIn.safeParse(JSON.parse(JSON.stringify(payload))).success;
          if (!ok && payload && typeof payload === "object" && typeof payload.system_name === "string") {
            // Mark the refused submissions, so their name can be looked for in storage later.
            const marked = { ...payload, system_name: INVALID };
            if (!SubmitIn.safeParse(JSON.parse(JSON.stringify(marked))).success) payload = marked;
          }
          ok = SubmitIn.safeParse(JSON.parse(JSON.stringify(payload))).success;
          const body = JSON.stringify(payload);
          const a = await submit(door, body);
          expectClean(a, `${door} ${JSON.stringify(m).slice(0, 200)}`);
          expect(a.status, `${door} ${JSON.stringify(m).slice(0, 300)} → ${a.text.slice(0, 300)}`).toBe(
            ok ? 201 : 400,
          );
          if (ok) {
            valid++;
            accepted.add(payload.system_name);
          } else invalid++;
        },
      ),
      { numRuns: RUNS * 2 },
    );
    // Both sides of the schema were exercised.
    expect(valid).toBeGreaterThan(0);
    expect(invalid).toBeGreaterThan(0);
  });

  it("any text as a submission body, any content type: a clean answer", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.constantFrom(...NASTY_STRINGS)),
        fc.constantFrom(
          "application/json",
          "application/json; charset=utf-16",
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/octet-stream",
          "",
        ),
        fc.constantFrom("rest" as const, "trpc" as const),
        async (text, type, door) => {
          const a = await submit(door, text, type);
          expectClean(a, `${door} ${type} ${JSON.stringify(text).slice(0, 200)}`);
          if (a.status < 300) accepted.add(JSON.parse(text).system_name);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("any query string on every REST query endpoint: a clean answer", async () => {
    const KEYS = [
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
      "x",
    ];
    const queryValue = fc.oneof(
      nastyString,
      fc.constantFrom(...NASTY_NUMBERS.map(String), "NaN", "Infinity", "-Infinity", "1e309", "0x10", "1_000"),
      fc.constantFrom(
        "00:00",
        "23:59:59",
        "24:00",
        "12:60",
        "2026-11-20",
        "2026-02-30",
        "0000-01-01",
        "9999-12-31",
      ),
      fc.constantFrom(
        "2026-11-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2262-04-11T23:47:16Z",
      ),
      fc.constantFrom("UTC", "Europe/Berlin", "Mars/Olympus", "Etc/GMT+14", "../../etc/passwd"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "/api/filter-processes/",
          "/api/process-filter/",
          "/api/process-duration/",
          "/api/systems/",
        ),
        fc.array(fc.tuple(fc.constantFrom(...KEYS), queryValue), { maxLength: 6 }),
        async (path, pairs) => {
          const q = new URLSearchParams(pairs);
          const a = await send(`${t.server.url}${path}?${q}`);
          expectClean(a, `${path}?${q}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("any input on every tRPC query procedure, and raw junk in ?input=: a clean answer", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("process.filter", "process.duration", "systems.list", "process.submit", "nope"),
        fc.oneof(
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
          fc
            .dictionary(
              fc.constantFrom("system_name", "process_name", "from", "to", "page", "pid"),
              nastyValue,
            )
            .map((v) => JSON.stringify(v)),
          fc.string({ unit: "binary", maxLength: 60 }),
        ),
        async (procedure, input) => {
          const a = await send(`${t.server.url}/trpc/${procedure}?input=${encodeURIComponent(input)}`);
          expectClean(a, `${procedure} ${input.slice(0, 200)}`);
        },
      ),
      { numRuns: RUNS },
    );
  });

  // ── Classes that once answered 500, generated rather than hand-listed (issue 14 §2, §6) ──

  const port = () => t.server.port;
  /** REST error bodies carry no tRPC-internal `data`; tRPC ones carry it (the client reads it). */
  const expectRestShape = (a: Answer, what: string) => {
    if (a.status >= 400 && a.body && !Array.isArray(a.body) && !("error" in a.body)) {
      expect(Object.keys(a.body), what).not.toContain("data");
    }
  };

  it("prototype-named keys anywhere: query strings, tRPC inputs, submission bodies — never a 500", async () => {
    const key = fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.constantFrom(...QUERY_KEYS));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REST_GETS),
        fc.array(fc.tuple(key, fc.oneof(fc.constantFrom("x", "1", "", "UTC"), nastyString)), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.constantFrom(...TRPC_PROCEDURES),
        fc.constantFrom(...PROTO_NAMES),
        fc.oneof(fc.constantFrom("top", "process", "nested"), fc.constant("top")),
        async (path, pairs, procedure, proto, where) => {
          const q = new URLSearchParams(pairs);
          const a = await send(`${t.server.url}${path}?${q}`);
          expectClean(a, `${path}?${q}`);
          expectRestShape(a, `${path}?${q}`);
          // The same keys in a tRPC input object, as JSON text ("__proto__" as an own key).
          const members = pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",");
          const input = `{${members}}`;
          const b = await send(`${t.server.url}/trpc/${procedure}?input=${encodeURIComponent(input)}`);
          expectClean(b, `${procedure} ${input.slice(0, 200)}`);
          const batch = await send(
            `${t.server.url}/trpc/${procedure},${procedure}?batch=1&input=${encodeURIComponent(`{"0":${input},${JSON.stringify(proto)}:${input}}`)}`,
          );
          expectClean(batch, `batch ${procedure} ${input.slice(0, 200)}`);
          // A valid submission with the key added: unknown keys are dropped, so it is stored (201).
          const system = `proto-${run}`;
          const extra = `${JSON.stringify(proto)}:{"a":1}`;
          const processJson = `{"pid":1,"name":"p","cpu_percent":1,"memory_percent":1${where === "process" ? `,${extra}` : ""}}`;
          const body =
            `{"system_name":${JSON.stringify(system)},"timestamp":${Date.now() - 60_000}` +
            `,"processes":[${processJson}]${where === "top" ? `,${extra}` : ""}` +
            `${where === "nested" ? `,"x":{${extra},"constructor":{"prototype":{"polluted":1}}}` : ""}}`;
          for (const door of ["rest", "trpc"] as const) {
            const c = await submit(door, body);
            expectClean(c, `${door} ${body}`);
            expect(c.status, `${door} ${body} → ${c.text}`).toBe(201);
            accepted.add(system);
          }
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("any Host header on any route: 400 for what is not a host[:port], never a 500", async () => {
    // What node:http lets a client send in a header value: tab, printable ASCII, and bytes 0x80-0xff.
    const headerChar = fc.oneof(
      fc.constantFrom("@", "/", "\\", " ", "%", "[", "]", ":", "#", "?", "\t", ".", "-", "é"),
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    );
    const host = fc.oneof(
      fc.constantFrom("a@b", "user:pass@host", "x/y", "[::1]:8000", "[::1", "host:99999", "host:", "", " "),
      fc.constantFrom("localhost", "127.0.0.1:8000", "example.com", "EXAMPLE.com:443"),
      fc.string({ unit: headerChar, maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(host, fc.constantFrom(...ALL_ROUTES), async (h, path) => {
        const a = await request(port(), { path, headers: { host: h } });
        const what = `Host ${JSON.stringify(h)} ${path}`;
        expect(a.status < 500, `${what} → ${a.status} ${a.text.slice(0, 200)}`).toBe(true);
        if (/[@/\\\s%#?]/.test(h.trim()) || h.trim() === "") {
          expect(a.status, `${what} → ${a.text.slice(0, 200)}`).toBe(400);
        }
        if (a.status === 400) expect(a.body?.message ?? a.body?.error?.message, what).toBeTypeOf("string");
      }),
      { numRuns: RUNS },
    );
  });

  it("any path under every prefix, with any method: a clean answer, REST bodies without tRPC's data", async () => {
    const segment = fc.oneof(
      fc.constantFrom(...PROTO_NAMES),
      fc.constantFrom(
        "..",
        ".",
        "%2e%2e",
        "%00",
        "%2F",
        "%",
        "%ff",
        "swagger-ui.css",
        "process.filter",
        "a,b",
      ),
      fc.webSegment(),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PREFIXES),
        fc.array(segment, { maxLength: 3 }),
        fc.boolean(),
        fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"),
        async (prefix, segments, slash, method) => {
          const path = `${prefix}${segments.join("/")}${slash ? "/" : ""}`;
          const withBody = method !== "GET" && method !== "HEAD";
          const a = await request(port(), {
            method,
            path,
            headers: withBody ? { "content-type": "application/json" } : {},
            ...(withBody ? { body: "{}" } : {}),
          });
          const what = `${method} ${path}`;
          expect(a.status < 500, `${what} → ${a.status} ${a.text.slice(0, 200)}`).toBe(true);
          if (method === "HEAD") {
            expect(a.text, what).toBe("");
            return;
          }
          // Pages (/docs, the console at / and its /assets/) answer HTML, CSS or JS; errors are JSON.
          const resolved = new URL(`http://h${path}`).pathname; // "/.." is "/"
          const page = path.startsWith("/docs") || resolved === "/" || resolved.startsWith("/assets/");
          if (a.status >= 400 || !page) expectClean(a, what);
          if (!path.startsWith("/trpc/")) expectRestShape(a, what);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("a control character in any string parameter, on both doors: 400 naming the parameter", async () => {
    // filter: start_time end_time date from to tz system_name process_name; duration: 4 more
    expect(STRING_PARAMS.length).toBeGreaterThanOrEqual(12);
    const control = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
      fc.constant("\u007f"),
    );
    // Every (parameter, door) pair, each with generated characters and positions.
    for (const { procedure, path, field } of STRING_PARAMS) {
      for (const door of ["rest", "trpc"] as const) {
        await fc.assert(
          fc.asyncProperty(control, fc.nat(), async (c, at) => {
            const value = valid(field);
            const i = at % (value.length + 1);
            const input = { [field]: `${value.slice(0, i)}${c}${value.slice(i)}` };
            const a =
              door === "rest"
                ? await send(`${t.server.url}${path}?${new URLSearchParams(input)}`)
                : await send(
                    `${t.server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`,
                  );
            const what = `${door} ${procedure} ${field}=${JSON.stringify(input[field])}`;
            expectClean(a, what);
            expect(a.status, `${what} → ${a.text.slice(0, 300)}`).toBe(400);
            const error = a.body.error ?? a.body;
            const named = (error.errors ?? []).some((e: { path: string }) => e.path === field);
            expect(named || String(error.message).startsWith(`${field}:`), `${what} → ${a.text}`).toBe(true);
          }),
          { numRuns: Math.max(3, Math.ceil(RUNS / 24)) },
        );
      }
    }
    // Submissions: every string field but `command` (kept as sent) refuses them, naming the field.
    for (const [field, path] of [
      ["system_name", "system_name"],
      ["name", "processes.0.name"],
      ["user", "processes.0.user"],
      ["state", "processes.0.state"],
    ] as const) {
      const proc: Record<string, unknown> = { pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 };
      const body: Record<string, unknown> = { system_name: `ctl-${run}`, processes: [proc] };
      if (field === "system_name") body.system_name = `ctl-${run}\u0001`;
      else proc[field] = "a\u0000b";
      for (const door of ["rest", "trpc"] as const) {
        const a = await submit(door, JSON.stringify(body));
        expect(a.status, `${door} ${field}`).toBe(400);
        expect(a.text, `${door} ${field}`).toContain(path);
      }
    }
  });

  it("an echoed value is cut: any parameter 8 000 characters long comes back in a short answer", async () => {
    for (const { procedure, path, field } of STRING_PARAMS) {
      for (const door of ["rest", "trpc"] as const) {
        for (const ch of ["x", "7", "é"]) {
          const input = { [field]: ch.repeat(8000) };
          const a =
            door === "rest"
              ? await send(`${t.server.url}${path}?${new URLSearchParams(input)}`)
              : await send(
                  `${t.server.url}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`,
                );
          const what = `${door} ${procedure} ${field}=${ch}×8000 → ${a.text.slice(0, 300)}`;
          expectClean(a, what);
          expect(a.text.length, what).toBeLessThan(2048);
        }
      }
    }
  });

  it("any content type: a submission is read exactly when its media type is application/json", async () => {
    const body = (n: number) =>
      JSON.stringify({
        system_name: `ctype-${run}`,
        timestamp: Date.now() - 60_000 - n,
        processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }],
      });
    const type = fc.oneof(
      fc.constantFrom(
        "application/json",
        "Application/JSON",
        "application/json; charset=utf-8",
        " application/json",
      ),
      fc
        .tuple(
          fc.constantFrom("application/json", "application/", "text/json", ""),
          fc.string({ maxLength: 12 }),
        )
        .map(([a, b]) => `${a}${b}`.replace(/[^\t\x20-\x7e]/g, "")),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(type, fc.constantFrom("rest" as const, "trpc" as const), async (ct, door) => {
        const json = ct.split(";", 1)[0]?.trim().toLowerCase() === "application/json";
        const a = await submit(door, body(n++), ct);
        const what = `${door} content-type ${JSON.stringify(ct)} → ${a.status} ${a.text.slice(0, 200)}`;
        expectClean(a, what);
        expect(a.status, what).toBe(json ? 201 : 415);
        if (json) accepted.add(`ctype-${run}`);
      }),
      { numRuns: RUNS },
    );
  });

  it("JSON nesting: both doors accept up to 32 levels and refuse deeper, with the same answer", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.boolean(), async (depth, arrays) => {
        // The submission itself is one level; `extra` (dropped by the schema) nests `depth` more.
        const nested = arrays
          ? `${"[".repeat(depth)}${"]".repeat(depth)}`
          : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
        const text = `{"system_name":"depth-${run}","timestamp":${Date.now() - 60_000},"processes":[{"pid":1,"name":"p","cpu_percent":1,"memory_percent":1}],"extra":${nested}}`;
        const rest = await submit("rest", text);
        const trpc = await submit("trpc", text);
        const ok = depth + 1 <= 32;
        expect([rest.status, trpc.status], `depth ${depth + 1}`).toEqual(ok ? [201, 201] : [400, 400]);
        if (!ok) expect(trpc.body.error.message).toBe(rest.body.message);
        else accepted.add(`depth-${run}`);
      }),
      { numRuns: 40 },
    );
  });

  it("afterwards: the server is up, and storage holds only what was acknowledged", async () => {
    expect((await send(`${t.server.url}/healthz`)).status).toBe(200);
    expect(t.server.child().exitCode).toBeNull();
    const stored = await t.storedSystems();
    expect(stored).not.toContain(INVALID);
    expect(stored.filter((s) => !accepted.has(s))).toEqual([]);
    expect(stored).toContain(`hostile-valid-${run}`);
    expect(t.server.output()).not.toMatch(/"level":50/); // no error was logged
  });
});
