/**
 * The InfluxDB store's own edges, each inside a test so that mutation testing judges it
 * (`MUTATE_SUITE=influx`, docs/testing.md): what every HTTP status InfluxDB may answer becomes
 * (503-class or a plain error carrying InfluxDB's text), a write older than the bucket's retention
 * (422 from the real influxd: refused, naming `timestamp`), a token that may not list buckets
 * (init() warns and goes on), an org that does not exist, history compaction started by init()
 * unless turned off, and where the store says it writes. Left untested by the mutation run of
 * server/store/influx/store.ts.
 */

import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import type { SampleBatch } from "../../server/store/types.ts";
import { freshBucket, influx } from "../support/influx.ts";

const DAY = 86_400_000;
const batchAt = (t: number, system = "s"): SampleBatch => ({
  system_name: system,
  timestamp: t,
  processes: [
    { pid: 7, name: "edge-proc", cpu_percent: 1, memory_percent: 2 },
    { pid: 8, name: "other", cpu_percent: 3, memory_percent: 4 },
  ],
});

type Opts = ConstructorParameters<typeof InfluxStore>[0];
const store = (extra: Partial<Opts> = {}, lines?: Record<string, unknown>[]) => {
  const conn = influx();
  return new InfluxStore({
    url: conn.url,
    token: conn.token,
    org: conn.org,
    bucket: conn.bucket,
    retentionDays: 400,
    timeoutMs: 5000,
    historyIntervalMs: 0,
    log: lines
      ? createLogger("debug", { write: (s: string) => void lines.push(JSON.parse(s)) })
      : createLogger("silent"),
    ...extra,
  });
};

describe("InfluxStore and each HTTP status InfluxDB may answer", () => {
  let server: Server;
  let url: string;
  let status = 500;
  let body = "";
  let queryStatus = 200;
  beforeAll(async () => {
    // Answers queries with an empty result (so the layout check passes) and writes with `status`.
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.url?.startsWith("/api/v2/query")) {
          if (queryStatus === 200) res.writeHead(200, { "content-type": "text/csv" }).end("");
          else res.writeHead(queryStatus, { "content-type": "application/json" }).end(body);
          return;
        }
        if (req.method === "POST" && req.url?.startsWith("/api/v2/write?")) {
          res.writeHead(status, { "content-type": "application/json" }).end(body);
        } else res.writeHead(404, { "content-type": "application/json" }).end('{"message":"no such path"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("5xx, 401, 403, 404 and 429 are unavailable (agents retry); 400, 413, 422 and 499 are errors carrying InfluxDB's text", async () => {
    const s = store({ url });
    const batch = batchAt(Date.parse("2026-04-07T03:00:00Z"));
    for (const code of [500, 503, 599, 401, 403, 404, 429]) {
      status = code;
      body = `{"message":"m${code}"}`;
      await expect(s.write(batch), String(code)).rejects.toMatchObject({
        name: "StorageUnavailableError",
        message: `InfluxDB answered ${code}`,
      });
    }
    for (const code of [400, 413, 422, 499]) {
      status = code;
      body = `{"message":"m${code}"}`;
      const err = await s.write(batch).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.constructor, String(code)).toBe(Error);
      expect(err?.message).toBe(`InfluxDB answered ${code}: {"message":"m${code}"}`);
    }
    status = 422;
    body =
      '{"code":"unprocessable entity","message":"partial write: dropped 2 points OUTSIDE RETENTION policy"}';
    await expect(s.write(batch)).rejects.toMatchObject({
      name: "StorageRefusedError",
      field: "timestamp",
      message: "older than the InfluxDB bucket's retention period",
    });
    status = 204;
    body = "";
    await expect(s.write(batch)).resolves.toBe(2);
    // a URL given with a trailing slash posts to the same endpoint
    await expect(store({ url: `${url}/` }).write(batch)).resolves.toBe(2);
    expect(s.location).toBe(`${url}, bucket ${influx().bucket}`);
  });

  it("the same for queries: 5xx, 401, 403, 404 and 429 unavailable, 400 an error carrying InfluxDB's text", async () => {
    const range = { start: 0, stop: 1000 };
    try {
      for (const code of [500, 401, 403, 404, 429]) {
        const s = store({ url });
        queryStatus = code;
        body = `{"code":"x","message":"m${code}"}`;
        await expect(s.systems(range), String(code)).rejects.toMatchObject({
          name: "StorageUnavailableError",
          message: `InfluxDB answered ${code}`,
        });
      }
      queryStatus = 400;
      body = '{"code":"invalid","message":"m400"}';
      const err = await store({ url })
        .systems(range)
        .then(
          () => undefined,
          (e: unknown) => e as Error,
        );
      expect(err?.constructor).toBe(Error);
      expect(err?.message).toMatch(/^InfluxDB answered 400: .*m400/);
    } finally {
      queryStatus = 200;
    }
  });
});

describe("InfluxStore on the real InfluxDB: buckets, retention, history", () => {
  it("init() creates a bucket with the retention asked; a batch older than that is refused naming timestamp, a recent one accepted", async () => {
    const bucket = `edges-${randomUUID().slice(0, 8)}`;
    const s = store({ bucket, retentionDays: 1 });
    await s.init();
    await expect(s.write(batchAt(Date.now() - 3 * DAY))).rejects.toMatchObject({
      name: "StorageRefusedError",
      field: "timestamp",
    });
    const now = Date.now();
    await expect(s.write(batchAt(now))).resolves.toBe(2);
    const read = await s.filter({ ranges: [{ start: now - 1000, stop: now + 1000 }], offset: 0, limit: 10 });
    expect(read.rows.map((r) => [r.pid, r.name, r.timestamp])).toEqual([
      [7, "edge-proc", now],
      [8, "other", now],
    ]);
    await s.close();
  });

  it("an org that does not exist: init() is unavailable (404)", async () => {
    const s = store({
      org: `no-org-${randomUUID().slice(0, 8)}`,
      bucket: `edges-${randomUUID().slice(0, 8)}`,
    });
    const err = await s.init().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect([err?.name, err?.message]).toEqual(["StorageUnavailableError", "InfluxDB answered 404"]);
  });

  it("a token InfluxDB refuses (401): init() warns for both buckets, assumes they exist, then fails unavailable at the layout check", async () => {
    const lines: Record<string, unknown>[] = [];
    const conn = influx();
    const s = store({ token: "not-a-token", bucket: "b-one", historyBucket: "b-two" }, lines);
    await expect(s.init()).rejects.toMatchObject({
      name: "StorageUnavailableError",
      message: "InfluxDB answered 401",
    });
    const warned = lines.filter(
      (l) => l.msg === "cannot check or create the bucket with this token; assuming it exists",
    );
    expect(warned.map((l) => [l.level, l.bucket])).toEqual([
      [40, "b-one"],
      [40, "b-two"],
    ]);
    expect(JSON.stringify(lines)).not.toContain(conn.token);
  });

  it("a token limited to one bucket cannot see the org: init() says so when the history bucket has to be created", async () => {
    const conn = await freshBucket("edges-token");
    const headers = { authorization: `Token ${conn.token}`, "content-type": "application/json" };
    const found = (await (
      await fetch(`${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${conn.bucket}`, {
        headers,
      })
    ).json()) as { buckets: { id: string; orgID: string }[] };
    const { id, orgID } = found.buckets[0] as { id: string; orgID: string };
    const res = await fetch(`${conn.url}/api/v2/authorizations`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        orgID,
        permissions: ["read", "write"].map((action) => ({
          action,
          resource: { type: "buckets", id, orgID },
        })),
      }),
    });
    const { token } = (await res.json()) as { token: string };
    const s = store({ token, bucket: conn.bucket, historyBucket: `${conn.bucket}-h` });
    const err = await s.init().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.constructor).toBe(Error);
    expect(err?.message).toBe(`InfluxDB org "${conn.org}" not found`);
    // with both buckets there, the same token is enough
    const both = store({ token, bucket: conn.bucket, historyBucket: conn.bucket });
    await expect(both.init()).resolves.toBeUndefined();
    await s.close();
    await both.close();
  });

  it("init() starts compacting finished days into history at once (default interval); with 0 it does not", async () => {
    const conn = await freshBucket("edges-hist");
    const t = Date.now() - 2 * DAY;
    const writer = store({ bucket: conn.bucket });
    await writer.init();
    await writer.write(batchAt(t));
    const q = { process_name: "edge-proc", range: { start: t - DAY, stop: t + DAY } };
    const off = store({ bucket: conn.bucket, historyIntervalMs: 0 });
    await off.init();
    await new Promise((r) => setTimeout(r, 300));
    expect((await off.history(q)).days).toEqual([]);
    const on = store({ bucket: conn.bucket, historyIntervalMs: undefined });
    await on.init();
    let days: number[] = [];
    for (let i = 0; i < 100 && days.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      days = (await on.history(q)).days;
    }
    expect(days).toContain(t - (t % DAY));
    await Promise.all([writer.close(), off.close(), on.close()]);
  });
});
