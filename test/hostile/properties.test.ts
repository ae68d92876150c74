/**
 * Property-based hostile input (fast-check) against the real server process, on both doors and
 * both stores. Whatever arrives, the answer is a 2xx or a 4xx with a JSON error body, and the
 * server stays up. Submissions are judged by the API's own zod schema (SubmitIn): the server must
 * store exactly the ones it accepts, accept exactly the ones the schema accepts, and nothing else
 * reaches storage — checked in the database itself at the end.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SubmitIn } from "../../server/schemas.ts";
import { type Answer, expectClean, STORES, send, startTarget, type Target } from "./support.ts";

const RUNS = Number(process.env.HOSTILE_RUNS ?? 120);
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
