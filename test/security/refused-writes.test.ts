/**
 * A refused write stores nothing: 401 (no or unknown token), 403 (a read token), 400 (one bad
 * process in an agent-sized batch, too many processes, a bad timestamp) on both doors and both
 * stores, each checked in the database itself (the SQLite file opened read-only; the InfluxDB
 * bucket counted with Flux), not through the API. A final accepted write shows the probe sees rows.
 */
import { join } from "node:path";
import { InfluxDB } from "@influxdata/influxdb-client";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { call } from "../support/app.ts";
import { type ServerEnv, storeEnvs } from "../support/stores.ts";

const READ = "read-token-refused-0123456789";
const WRITE = "write-token-refused-0123456789";
const MAX = 300;

const processes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    pid: 1000 + i,
    name: `proc-${i % 17}`,
    cpu_percent: i / 10,
    memory_percent: (i % 100) / 10,
    user: "svc",
    command: `/bin/p ${i}`,
  }));
const batch = (system_name: string, procs: unknown[], timestamp: unknown = Date.now() - 60_000) => ({
  system_name,
  timestamp,
  processes: procs,
});

/** Every point or row in the store, whatever its layout. */
async function storedEverything(env: ServerEnv): Promise<number> {
  if (env.DATA_DIR) {
    const db = new Database(join(env.DATA_DIR, "procscope.sqlite"), { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT count(*) FROM samples").pluck().get() as number;
    } finally {
      db.close();
    }
  }
  const influx = new InfluxDB({ url: env.INFLUX_URL as string, token: env.INFLUX_TOKEN as string });
  const rows = await influx
    .getQueryApi(env.INFLUX_ORG as string)
    .collectRows<{ _value: number }>(
      `from(bucket: "${env.INFLUX_BUCKET}") |> range(start: 0) |> group() |> count()`,
    );
  return rows.reduce((n, r) => n + r._value, 0);
}

const stores = storeEnvs("refused");

describe.each(stores.kinds)("refused writes store nothing (%s)", (kind) => {
  let server: ServerProcess;
  let env: ServerEnv;

  beforeAll(async () => {
    env = await stores.env(kind);
    server = await startServer({
      env: {
        ...env,
        API_TOKENS: `grafana:read:${READ},agent:write:${WRITE}`,
        MAX_BATCH_PROCESSES: String(MAX),
        WRITE_RATE_PER_MINUTE: "0",
        LOG_LEVEL: "warn",
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    stores.cleanup();
  });

  const doors = {
    rest: (body: unknown, token?: string) =>
      call(`${server.url}/api/process-data/`, {
        json: body,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    trpc: (body: unknown, token?: string) =>
      call(`${server.url}/trpc/process.submit`, {
        json: body,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
  };

  const badName = [
    ...processes(MAX - 1),
    { pid: 9, name: "bad\u0000name", cpu_percent: 1, memory_percent: 1 },
  ];
  const cases: { what: string; status: number; body: unknown; token?: string }[] = [
    { what: "no token", status: 401, body: batch("refused-401", processes(MAX)) },
    {
      what: "an unknown token",
      status: 401,
      body: batch("refused-401u", processes(MAX)),
      token: "nope-0123456789",
    },
    { what: "a read-only token", status: 403, body: batch("refused-403", processes(MAX)), token: READ },
    {
      what: "the last of 300 processes invalid",
      status: 400,
      body: batch("refused-400a", badName),
      token: WRITE,
    },
    {
      what: `${MAX + 1} processes (MAX_BATCH_PROCESSES=${MAX})`,
      status: 400,
      body: batch("refused-400b", processes(MAX + 1)),
      token: WRITE,
    },
    {
      what: "a timestamp before 1970",
      status: 400,
      body: batch("refused-400c", processes(MAX), -5),
      token: WRITE,
    },
  ];

  for (const door of ["rest", "trpc"] as const) {
    for (const c of cases) {
      it(`${door}: ${c.what} → ${c.status}, and the store holds nothing`, async () => {
        const res = await doors[door](c.body, c.token);
        expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(c.status);
        expect(await storedEverything(env)).toBe(0);
      });
    }
  }

  it("an accepted write is seen by the same probe (so the zeros above mean something)", async () => {
    const res = await doors.rest(batch("accepted", processes(MAX)), WRITE);
    expect(res.status).toBe(201);
    expect(await storedEverything(env)).toBeGreaterThanOrEqual(MAX);
  });
});
