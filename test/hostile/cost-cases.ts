/**
 * The most expensive requests a client can make, one of every kind, with what the server must
 * answer to each; shared by test/hostile/request-cost.test.ts (which checks the answers and the
 * server's peak memory) and bench/request-cost.ts (which also times /healthz meanwhile).
 *
 * The data: `cost-many` holds 11 000 samples with ordinary command lines on 2026-11-20 (3.5 MB
 * of answer per 10 000 rows); `cost-wide` holds 5 000 samples whose command lines are 4 000
 * characters long, on the day after (21 MB of answer if asked for at once).
 */
import { readFileSync } from "node:fs";
import { parseRaw, rawRequest } from "./support.ts";

const TOKEN = "cost-token-0123456789abcdef";
/** Server environment the cases assume (limits at their defaults, named here for the reader). */
export const COST_ENV = {
  API_TOKENS: `cost:read+write:${TOKEN}`,
  WRITE_RATE_PER_MINUTE: "0",
  MAX_BODY_BYTES: String(5 * 1024 * 1024),
};
const MAX_BODY = 5 * 1024 * 1024;
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { "content-type": "application/json" };
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const DAY = 86_400_000;
const FROM = new Date(T0 - 60_000).toISOString();
const TO = new Date(T0 + DAY + 3_600_000).toISOString();

const processes = (n: number, command: (i: number) => string, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({
    pid: offset + i + 1,
    name: `proc-${i % 50}`,
    cpu_percent: (i % 400) / 10,
    memory_percent: (i % 100) / 10,
    memory_rss: 1_000_000 + i,
    user: i % 3 ? "app" : "root",
    command: command(i),
    state: "sleeping",
    parent_pid: 1,
  }));

/** Seeds both systems through the API itself (REST, authenticated). */
export async function seed(url: string): Promise<void> {
  const post = async (body: unknown) => {
    const res = await fetch(`${url}/api/process-data/`, {
      method: "POST",
      headers: { ...auth, ...json },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`seeding: ${res.status} ${await res.text()}`);
  };
  for (let b = 0; b < 11; b++) {
    await post({
      system_name: "cost-many",
      timestamp: T0 + b * 5000,
      processes: processes(
        1000,
        (i) => `/usr/bin/worker --id=${i} --queue=default --log-level=info /srv/app`,
      ),
    });
  }
  for (let b = 0; b < 5; b++) {
    await post({
      system_name: "cost-wide",
      timestamp: T0 + DAY + b * 5000,
      processes: processes(1000, (i) => `/usr/bin/java -Dx=${i} ${"-Xopt ".repeat(666)}`.slice(0, 4000)),
    });
  }
}

interface Outcome {
  status: number;
  /** Bytes of the answer's body. */
  bytes: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected by each case's check
  body: any;
}

export interface CostCase {
  name: string;
  run(url: string): Promise<Outcome>;
  /** What the server must have answered; throws (an assertion) otherwise. */
  check(o: Outcome): void;
}

async function outcome(res: Response): Promise<Outcome> {
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, bytes: Buffer.byteLength(text), body };
}

const get = (url: string, headers: Record<string, string> = auth) =>
  fetch(url, { headers, signal: AbortSignal.timeout(120_000) }).then(outcome);
const post = (url: string, body: string | Buffer, headers: Record<string, string>) =>
  fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(120_000) }).then(outcome);

function filterBatch(url: string, calls: number, input: Record<string, unknown>) {
  const paths = Array.from({ length: calls }, () => "process.filter").join(",");
  const inputs = Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, input]));
  return get(`${url}/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`);
}

/** A JSON object of `keys` keys, about `bytes` long: expensive to parse, cheap to send. */
function manyKeys(keys: number): string {
  const parts: string[] = [];
  for (let i = 0; i < keys; i++) parts.push(`"k${i}":1`);
  return `{${parts.join(",")}}`;
}
const HUGE_KEYS = manyKeys(300_000); // ~3.3 MB

const fail = (message: string): never => {
  throw new Error(message);
};
const expectStatus = (o: Outcome, status: number, what: string) => {
  if (o.status !== status)
    fail(`${what}: expected ${status}, got ${o.status} ${JSON.stringify(o.body).slice(0, 300)}`);
};
const messages = (o: Outcome): string[] =>
  Array.isArray(o.body)
    ? o.body.map((r: { error?: { message: string } }) => r.error?.message ?? "")
    : [o.body?.message ?? o.body?.error?.message ?? ""];

export const COST_CASES: CostCase[] = [
  {
    name: "tRPC GET batch: 140 x filter, page_size 10 000",
    // As short as such an input can be, to fit 140 of them in a URL: 490 MB of answer unbounded.
    run: (url) => filterBatch(url, 140, { date: "2026-11-20", tz: "UTC", page_size: 10_000 }),
    check(o) {
      expectStatus(o, 400, this.name);
      if (!messages(o).every((m) => /at most 10 calls per batch \(got 140\)/.test(m)))
        fail(`${this.name}: ${messages(o)[0]}`);
    },
  },
  {
    name: "tRPC GET batch: 10 x filter, page_size 10 000",
    run: (url) => filterBatch(url, 10, { system_name: "cost-many", from: FROM, to: TO, page_size: 10_000 }),
    check(o) {
      const rows = o.body.map(
        (r: { result?: { data: { data: unknown[] } } }) => r.result?.data.data.length ?? -1,
      );
      if (rows[0] !== 10_000) fail(`${this.name}: first call returned ${rows[0]} rows`);
      const rest = messages(o).slice(1);
      if (!rest.every((m) => /page_size: at most 10000 rows per request/.test(m)))
        fail(`${this.name}: ${rest[0]}`);
    },
  },
  {
    name: "tRPC GET batch: 10 x filter of 4 KB rows, page_size 1 000",
    run: (url) => filterBatch(url, 10, { system_name: "cost-wide", from: FROM, to: TO, page_size: 1000 }),
    check(o) {
      const ok = o.body.filter((r: { result?: unknown }) => r.result).length;
      if (ok < 1 || ok >= 10) fail(`${this.name}: ${ok} calls answered`);
      const refused = messages(o).filter(Boolean);
      if (!refused.every((m) => /page_size: the answer would exceed 16777216 bytes/.test(m)))
        fail(`${this.name}: ${refused[0]}`);
      if (o.bytes > 17 * 1024 * 1024) fail(`${this.name}: answered ${o.bytes} bytes`);
    },
  },
  {
    name: "REST filter of 4 KB rows, page_size 10 000",
    run: (url) =>
      get(`${url}/api/filter-processes/?system_name=cost-wide&from=${FROM}&to=${TO}&page_size=10000`),
    check(o) {
      expectStatus(o, 400, this.name);
      if (o.body.errors?.[0]?.path !== "page_size") fail(`${this.name}: ${JSON.stringify(o.body)}`);
    },
  },
  {
    name: "REST filter, page_size 10 000",
    run: (url) =>
      get(`${url}/api/filter-processes/?system_name=cost-many&from=${FROM}&to=${TO}&page_size=10000`),
    check(o) {
      expectStatus(o, 200, this.name);
      if (o.body.data.length !== 10_000 || o.body.count !== 11_000)
        fail(`${this.name}: ${o.body.data.length}/${o.body.count}`);
    },
  },
  {
    name: "REST duration over every sample of a name",
    run: (url) =>
      get(`${url}/api/process-duration/?system_name=cost-many&process_name=proc-1&from=${FROM}&to=${TO}`),
    check(o) {
      expectStatus(o, 200, this.name);
    },
  },
  {
    name: "REST systems",
    run: (url) => get(`${url}/api/systems/`),
    check(o) {
      expectStatus(o, 200, this.name);
    },
  },
  {
    name: "REST submit without a token: 3.3 MB, 300 000 keys",
    run: (url) => post(`${url}/api/process-data/`, HUGE_KEYS, json),
    check(o) {
      expectStatus(o, 401, this.name);
    },
  },
  {
    name: "tRPC submit without a token: 3.3 MB, 300 000 keys",
    run: (url) => post(`${url}/trpc/process.submit`, HUGE_KEYS, json),
    check(o) {
      expectStatus(o, 401, this.name);
    },
  },
  {
    name: "REST submit with a token: 3.3 MB, 300 000 keys",
    run: (url) => post(`${url}/api/process-data/`, HUGE_KEYS, { ...auth, ...json }),
    check(o) {
      expectStatus(o, 400, this.name);
      if (!/more than 100 distinct member names/.test(messages(o)[0] ?? ""))
        fail(`${this.name}: ${messages(o)[0]}`);
    },
  },
  {
    name: "tRPC submit with a token: 3.3 MB, 300 000 keys",
    run: (url) => post(`${url}/trpc/process.submit`, HUGE_KEYS, { ...auth, ...json }),
    check(o) {
      expectStatus(o, 400, this.name);
      if (!/more than 100 distinct member names/.test(messages(o)[0] ?? ""))
        fail(`${this.name}: ${messages(o)[0]}`);
    },
  },
  {
    name: "REST submit: 10 000 processes in 5 MB",
    run: (url) => {
      const body = JSON.stringify({
        system_name: "cost-submit",
        timestamp: T0,
        processes: processes(10_000, (i) => `/bin/sh -c job-${i} ${"x".repeat(250)}`),
      });
      if (Buffer.byteLength(body) > MAX_BODY) fail(`the case's body is ${Buffer.byteLength(body)} bytes`);
      return post(`${url}/api/process-data/`, body, { ...auth, ...json });
    },
    check(o) {
      expectStatus(o, 201, this.name);
    },
  },
  {
    name: "tRPC POST batch: 10 x submit, 5 MB in all",
    run: (url) => {
      const inputs = Object.fromEntries(
        Array.from({ length: 10 }, (_, b) => [
          b,
          {
            system_name: "cost-submit",
            timestamp: T0 + (b + 1) * 5000,
            processes: processes(1000, (i) => `/bin/sh -c job-${i} ${"x".repeat(250)}`),
          },
        ]),
      );
      const paths = Array.from({ length: 10 }, () => "process.submit").join(",");
      return post(`${url}/trpc/${paths}?batch=1`, JSON.stringify(inputs), { ...auth, ...json });
    },
    check(o) {
      expectStatus(o, 200, this.name);
    },
  },
  {
    name: "REST submit: one byte over MAX_BODY_BYTES",
    // Over a raw socket: the server answers before the body is sent, which fetch reports as EPIPE.
    run: async (url) => {
      const port = Number(new URL(url).port);
      const r = await rawRequest(
        port,
        `POST /api/process-data/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`,
        { drip: [Buffer.alloc(MAX_BODY + 1, 0x20)], giveUpMs: 30_000 },
      );
      const answer = parseRaw(r.response);
      return { status: answer.status, bytes: Buffer.byteLength(answer.text), body: answer.body };
    },
    check(o) {
      expectStatus(o, 413, this.name);
    },
  },
];

/** The server's peak resident memory so far (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}
