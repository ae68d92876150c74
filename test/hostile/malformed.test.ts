/**
 * Hand-picked hostile input against every endpoint of the real server process, on both stores:
 * deep nesting, huge numbers, Unicode edge cases, duplicate keys, wrong content types and methods,
 * odd query strings, and — over raw sockets — truncated bodies and broken HTTP. Every answer is a
 * 2xx or a 4xx with a JSON error body, the server stays up, what is accepted round-trips exactly,
 * and nothing refused reaches storage (checked in the database itself).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Answer,
  expectClean,
  parseRaw,
  rawRequest,
  STORES,
  send,
  startTarget,
  type Target,
} from "./support.ts";

const DEEP = 100_000;
const nestedArrays = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const nestedObjects = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;

describe.each(STORES)("hand-picked hostile input on %s", (kind) => {
  let t: Target;
  const run = `${kind}-${process.pid}-${Date.now().toString(36)}`;
  const REFUSED = `refused-${run}`;
  const acknowledged = new Set<string>();
  const proc = (over: Record<string, unknown> = {}) => ({
    pid: 1,
    name: "p",
    cpu_percent: 1,
    memory_percent: 1,
    ...over,
  });
  const sample = (over: Record<string, unknown> = {}, p: Record<string, unknown> = {}) => ({
    system_name: REFUSED,
    timestamp: Date.now() - 60_000,
    processes: [proc(p)],
    ...over,
  });

  beforeAll(async () => {
    t = await startTarget(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  const post = async (door: "rest" | "trpc", body: string, type = "application/json"): Promise<Answer> => {
    const a = await send(
      `${t.server.url}${door === "rest" ? "/api/process-data/" : "/trpc/process.submit"}`,
      {
        method: "POST",
        headers: type ? { "content-type": type } : {},
        body,
      },
    );
    expectClean(a, `${door} ${type} ${body.slice(0, 120)}`);
    if (a.status === 201) acknowledged.add((JSON.parse(body) as { system_name: string }).system_name);
    return a;
  };
  const both = async (body: string, expected: number, type = "application/json") => {
    for (const door of ["rest", "trpc"] as const) {
      const a = await post(door, body, type);
      expect(a.status, `${door}: ${body.slice(0, 120)} → ${a.text.slice(0, 200)}`).toBe(expected);
    }
  };

  it("deep nesting: 100 000 nested arrays or objects, as the body or inside it → 400", async () => {
    await both(nestedArrays(DEEP), 400);
    await both(nestedObjects(DEEP), 400);
    await both(`{"system_name":"${REFUSED}","processes":${nestedArrays(DEEP)}}`, 400);
    await both(`{"system_name":"${REFUSED}","processes":[${nestedObjects(DEEP)}]}`, 400);
    await both(`{"system_name":"${REFUSED}","processes":[{"pid":1,"name":${nestedArrays(5000)}}]}`, 400);
  });

  it("huge and odd numbers → 400 naming the field", async () => {
    const cases: [string, string][] = [
      ['"cpu_percent":1e309', "processes.0.cpu_percent"],
      ['"cpu_percent":-1e309', "processes.0.cpu_percent"],
      ['"memory_percent":100.0000001', "processes.0.memory_percent"],
      ['"pid":99999999999999999999999', "processes.0.pid"],
      ['"pid":2147483648', "processes.0.pid"],
      ['"pid":1.5', "processes.0.pid"],
      ['"pid":-1', "processes.0.pid"],
      ['"memory_rss":9007199254740993', "processes.0.memory_rss"],
      [`"memory_rss":1${"0".repeat(10_000)}`, "processes.0.memory_rss"],
      ['"started_at":1e300', "processes.0.started_at"],
      ['"cpu_percent":"5"', "processes.0.cpu_percent"],
    ];
    for (const [field, path] of cases) {
      const body = `{"system_name":"${REFUSED}","processes":[{"pid":1,"name":"p","cpu_percent":1,"memory_percent":1,${field}}]}`;
      for (const door of ["rest", "trpc"] as const) {
        const a = await post(door, body);
        expect(a.status, `${door} ${field}`).toBe(400);
        expect(a.text, `${door} ${field}`).toContain(path);
      }
    }
    for (const timestamp of [
      "1e20",
      "-1",
      "9223372036855",
      '"+275760-09-13T00:00:00Z"',
      '"1600-01-01T00:00:00Z"',
    ]) {
      await both(
        `{"system_name":"${REFUSED}","timestamp":${timestamp},"processes":[${JSON.stringify(proc())}]}`,
        400,
      );
    }
  });

  it("Unicode: lone surrogates and a BOM are refused; RTL, zero-width, emoji and escapes round-trip", async () => {
    // JSON escapes make lone surrogates that no UTF-8 can carry.
    await both(`{"system_name":"${REFUSED}\\ud800","processes":[${JSON.stringify(proc())}]}`, 400);
    await both(
      `{"system_name":"${REFUSED}","processes":[{"pid":1,"name":"p\\udc00","cpu_percent":1,"memory_percent":1}]}`,
      400,
    );
    await both(JSON.stringify(sample({}, { command: "x\ud83d" })), 400);
    // A byte order mark before the JSON is ignored (RFC 8259 allows that), the same on both doors.
    for (const door of ["rest", "trpc"] as const) {
      const bom = `\ufeff${JSON.stringify(sample({ system_name: `bom-${door}-${run}` }))}`;
      const a = await post(door, bom.slice(1), "application/json");
      expect(a.status, `${door} without BOM`).toBe(201);
      const b = await send(
        `${t.server.url}${door === "rest" ? "/api/process-data/" : "/trpc/process.submit"}`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: bom,
        },
      );
      expectClean(b, `${door} BOM`);
      expect(b.status, `${door} BOM → ${b.text}`).toBe(201);
    }
    await both(JSON.stringify(sample({ system_name: `${REFUSED}\u0000` })), 400);
    await both(JSON.stringify(sample({ system_name: "" })), 400);
    await both(JSON.stringify(sample({ system_name: "x".repeat(256) })), 400);

    const names = [
      "\u202Egnp.exe",
      "zero\u200Bwidth\u200D\uFEFF",
      "🚀 👩‍👩‍👧 emoji",
      "עברית العربية",
      'x,y=z "q" \\ %25 %5C',
      "trailing\\",
      "\u0085\u2028\u2029",
    ];
    const system = `unicode-${run}-\u202E\u200B`;
    const timestamp = Date.now() - 120_000;
    const body = JSON.stringify({
      system_name: system,
      timestamp,
      processes: names.map((name, i) => ({ pid: 100 + i, name, cpu_percent: 1, memory_percent: 1 })),
    });
    expect((await post("rest", body)).status).toBe(201);
    const q = new URLSearchParams({
      system_name: system,
      from: new Date(timestamp - 1000).toISOString(),
      to: new Date(timestamp + 1000).toISOString(),
    });
    const back = await send(`${t.server.url}/api/filter-processes/?${q}`);
    expectClean(back, "filter");
    const rows = back.body.data as { pid: number; name: string; system_name: string }[];
    expect(rows.sort((a, b) => a.pid - b.pid).map((d) => [d.system_name, d.pid, d.name])).toEqual(
      names.map((n, i) => [system, 100 + i, n]),
    );
  });

  it("duplicate keys: the last one wins, as JSON.parse reads it, on both doors", async () => {
    for (const door of ["rest", "trpc"] as const) {
      const winner = `dup-${door}-${run}`;
      const decoy = `decoy-${door}-${run}`;
      const body = `{"system_name":"${decoy}","processes":[${JSON.stringify(proc())}],"system_name":"${winner}"}`;
      const a = await post(door, body);
      expect(a.status, a.text).toBe(201);
      const stored = await t.storedSystems();
      expect(stored).toContain(winner);
      expect(stored).not.toContain(decoy);
      const dupField = `{"system_name":"${REFUSED}","processes":[{"pid":1,"name":"p","cpu_percent":1,"memory_percent":1,"pid":"x"}]}`;
      expect((await post(door, dupField)).status).toBe(400);
    }
  });

  it("wrong content types → 415 (or 400 when the body cannot be read), always JSON", async () => {
    const body = JSON.stringify(sample());
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "text/html"]) {
      await both(body, 415, type);
    }
    const utf16 = Buffer.from(body, "utf16le");
    for (const door of ["rest", "trpc"] as const) {
      const a = await send(
        `${t.server.url}${door === "rest" ? "/api/process-data/" : "/trpc/process.submit"}`,
        {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-16le" },
          body: utf16,
        },
      );
      expectClean(a, `${door} utf-16`);
      expect(a.status).toBe(400);
    }
    for (const type of ["multipart/form-data; boundary=x", "application/octet-stream"]) {
      const a = await post("trpc", body, type);
      expect(a.status, type).toBeGreaterThanOrEqual(400);
    }
  });

  it("every endpoint with the wrong method, odd paths and odd query strings → a clean answer", async () => {
    const base = t.server.url;
    const cases: [string, string][] = [
      ["DELETE", "/api/process-data/"],
      ["PUT", "/api/process-data/"],
      ["PATCH", "/api/filter-processes/"],
      ["GET", "/api/process-data/"],
      ["POST", "/api/systems/"],
      ["GET", "/trpc/process.submit?input=%7B%7D"],
      ["POST", "/trpc/process.filter"],
      ["DELETE", "/trpc/process.filter"],
      ["GET", "/trpc/"],
      ["GET", "/trpc/process"],
      ["GET", "/trpc/process.filter,process.nope?batch=1&input=%7B%7D"],
      ["GET", `/trpc/${"process.filter,".repeat(200)}process.filter?batch=1`],
      ["GET", "/api/filter-processes/?page=1&page=2"],
      ["GET", "/api/filter-processes/?page=%"],
      ["GET", "/api/filter-processes/?date=%00"],
      ["GET", "/api/filter-processes/?date=2026-02-30"],
      ["GET", "/api/filter-processes/?start_time=25:00"],
      ["GET", "/api/filter-processes/?from=2026-01-01T00:00:00Z&to=2020-01-01T00:00:00Z"],
      ["GET", "/api/filter-processes/?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z"],
      ["GET", "/api/filter-processes/?from=2262-04-10T00:00:00Z&to=2262-04-13T00:00:00Z"],
      ["GET", "/api/filter-processes/?tz=..%2F..%2Fetc%2Fpasswd"],
      ["GET", "/api/filter-processes/?page_size=1e300"],
      ["GET", `/api/filter-processes/?system_name=${"x".repeat(8000)}`],
      ["GET", "/api/process-duration/?system_name=x&process_name=y&to=9999-12-31T00:00:00Z"],
      ["GET", "/api/process-duration/?system_name=%ED%A0%80&process_name=%FF"],
      ["GET", "/api/process-duration/?system_name=x"],
      ["GET", "/api/systems/?x=%E0%A4%A"],
      ["GET", "/api/%ff"],
      ["GET", "/api/../../etc/passwd"],
      ["GET", "//api//process-data"],
      ["GET", "/docs/..%2F..%2Fpackage.json"],
      ["GET", "/docs/%00"],
      ["GET", "/nope"],
      ["HEAD", "/api/filter-processes/"],
      ["OPTIONS", "/api/process-data/"],
    ];
    for (const [method, path] of cases) {
      const a = await send(`${base}${path}`, { method });
      if (method === "HEAD" || method === "OPTIONS") {
        expect(a.status < 500, `${method} ${path} → ${a.status}`).toBe(true);
        continue;
      }
      expectClean(a, `${method} ${path}`);
    }
  });

  it("over raw sockets: truncated bodies, broken HTTP and oversized headers → a JSON 4xx", async () => {
    const port = t.server.port;
    const body = JSON.stringify(sample());
    const head = (path: string, length: number, type = "Content-Type: application/json\r\n") =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${type}Content-Length: ${length}\r\n\r\n`;
    const cases: { what: string; head: string; halfClose: boolean }[] = [];
    for (const path of ["/api/process-data/", "/trpc/process.submit"]) {
      // No content type at all.
      cases.push({
        what: `${path} no content type`,
        head: head(path, body.length, "") + body,
        halfClose: false,
      });
      // Fewer bytes than announced, then the client stops sending.
      cases.push({
        what: `${path} cut short`,
        head: head(path, body.length) + body.slice(0, 40),
        halfClose: true,
      });
      // Everything announced is sent, but it is half a JSON document.
      const half = body.slice(0, Math.floor(body.length / 2));
      cases.push({
        what: `${path} half a document`,
        head: head(path, Buffer.byteLength(half)) + half,
        halfClose: false,
      });
      // A chunked body with a broken chunk size.
      cases.push({
        what: `${path} broken chunk`,
        head: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
        halfClose: false,
      });
    }
    cases.push({ what: "not HTTP", head: "HELLO\r\n\r\n", halfClose: false });
    cases.push({ what: "bad header", head: "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n", halfClose: false });
    cases.push({
      what: "both Content-Length and chunked",
      head: "POST /api/process-data/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      halfClose: false,
    });
    cases.push({
      what: "oversized header",
      head: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: ${"a".repeat(64 * 1024)}\r\n\r\n`,
      halfClose: false,
    });
    for (const c of cases) {
      const r = await rawRequest(port, c.head, { halfClose: c.halfClose, giveUpMs: 20_000 });
      const answer = parseRaw(r.response);
      expect(r.closedByServer || answer.status > 0, `${c.what}: no answer, connection left open`).toBe(true);
      expect(answer.status >= 400 && answer.status < 500, `${c.what} → ${r.response.slice(0, 200)}`).toBe(
        true,
      );
      expect(answer.contentType, c.what).toMatch(/^application\/json/);
      expect((answer.body as { success?: boolean; error?: unknown }) ?? {}, c.what).toSatisfy(
        (b: { success?: boolean; error?: unknown }) => b.success === false || b.error !== undefined,
      );
    }
  });

  it("afterwards: the server is up and storage holds only what was acknowledged", async () => {
    expect((await send(`${t.server.url}/healthz`)).status).toBe(200);
    expect(t.server.child().exitCode).toBeNull();
    const stored = await t.storedSystems();
    expect(stored).not.toContain(REFUSED);
    expect(stored.filter((s) => !acknowledged.has(s))).toEqual([]);
    expect(t.server.output()).not.toMatch(/"level":50/);
  });
});
