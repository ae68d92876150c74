/**
 * The InfluxDB store's own edges, each inside a test so that mutation testing judges it
 * (`MUTATE_SUITE=influx`, docs/testing.md). Against the real influxd of the run (and one of its
 * own, started with a write cache of one byte so that its writes fail with 500): what each HTTP
 * status InfluxDB answers becomes (503-class, or a plain error carrying InfluxDB's text), a write
 * older than the bucket's retention (422: refused, naming `timestamp`), a token that may not list
 * buckets (init() warns and goes on), an org that does not exist, history compaction started by
 * init() unless turned off, and where the store says it writes. The statuses no InfluxDB 2.8 can
 * be made to answer (413, 429, 503) are judged on classify() itself, with the client library's own
 * error objects; fetch()'s failures on classifyFetch() with the errors a real fetch() throws.
 */

import { randomUUID } from "node:crypto";
import { HttpError, RequestTimedOutError } from "@influxdata/influxdb-client";
import { describe, expect, it } from "vitest";
import { freePort, startInfluxd } from "../../harness/influxd.ts";
import { classify, classifyFetch } from "../../server/store/influx/store.ts";
import { StorageUnavailableError } from "../../server/store/types.ts";
import {
  failure,
  freshBucket,
  influx,
  storeOnRun,
  twoProcessBatches,
  writeStringPid,
} from "../support/influx.ts";

const DAY = 86_400_000;
const batchAt = twoProcessBatches("edge-proc");
const store = storeOnRun;

/** A token of the run's InfluxDB allowed only `actions` on one bucket. */
async function tokenFor(bucket: string, actions: ("read" | "write")[]): Promise<string> {
  const conn = influx();
  const headers = { authorization: `Token ${conn.token}`, "content-type": "application/json" };
  const found = (await (
    await fetch(`${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${bucket}`, { headers })
  ).json()) as { buckets: { id: string; orgID: string }[] };
  const { id, orgID } = found.buckets[0] as { id: string; orgID: string };
  const res = await fetch(`${conn.url}/api/v2/authorizations`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      orgID,
      permissions: actions.map((action) => ({ action, resource: { type: "buckets", id, orgID } })),
    }),
  });
  return ((await res.json()) as { token: string }).token;
}

describe("InfluxStore and each HTTP status the real InfluxDB answers", () => {
  it("403, a token that may only read the bucket: the write is unavailable (an operator must fix the token; agents keep their samples) and stores nothing", async () => {
    const conn = await freshBucket("edges-403");
    const t = Date.parse("2026-04-07T03:00:00Z");
    const s = store({ bucket: conn.bucket, token: await tokenFor(conn.bucket, ["read"]) });
    const err = await failure(s.write(batchAt(t)));
    expect([err?.name, err?.message]).toEqual(["StorageUnavailableError", "InfluxDB answered 403"]);
    const reader = store({ bucket: conn.bucket });
    expect(
      (await reader.filter({ ranges: [{ start: t - 1, stop: t + 1 }], offset: 0, limit: 10 })).count,
    ).toBe(0);
  });

  it("422 that is not about retention (a field type conflict): a plain error carrying InfluxDB's own text", async () => {
    const conn = await freshBucket("edges-422");
    const t = Date.parse("2026-04-07T03:00:00Z");
    // pid stored as a string first, so the store's integer pid conflicts with it
    const first = await writeStringPid(conn, "edge-proc", t);
    expect(first).toBe(204);
    const err = await failure(store({ bucket: conn.bucket }).write(batchAt(t)));
    expect(err?.constructor).toBe(Error);
    expect(err?.message).toMatch(
      /^InfluxDB answered 422: \{"code":"unprocessable entity","message":"failure writing points to database: partial write: field type conflict: input field \\"pid\\" on measurement \\"sample\\" is type integer, already exists as type string dropped=\d+"\}$/,
    );
  });

  it("400, a query InfluxDB refuses (an empty range): a plain error carrying InfluxDB's own text", async () => {
    const err = await failure(store().systems({ start: 2000, stop: 1000 }));
    expect(err?.constructor).toBe(Error);
    expect(err?.message).toBe(
      'InfluxDB answered 400: {"code":"invalid","message":"error in building plan while starting program: cannot query an empty range"}',
    );
  });

  it("403 or 404 on a query, a token that may only write the bucket: unavailable", async () => {
    const conn = await freshBucket("edges-wo");
    const s = store({ bucket: conn.bucket, token: await tokenFor(conn.bucket, ["write"]) });
    const err = await failure(s.systems({ start: 0, stop: 1000 }));
    expect([err?.name, err?.message]).toEqual(["StorageUnavailableError", "InfluxDB answered 404"]);
  });

  it("500, an influxd whose write cache is full (--storage-cache-max-memory-size 1): unavailable, and nothing stored; stopped, the write is refused", async () => {
    const { binary } = influx();
    if (!binary)
      throw new Error("this test starts its own influxd: it needs a binary (INFLUXD_BIN or the build cache)");
    const full = await startInfluxd({ binary, args: ["--storage-cache-max-memory-size", "1"] });
    try {
      const t = Date.parse("2026-04-07T03:00:00Z");
      const s = store({ url: full.url, token: full.token, org: full.org, bucket: full.bucket });
      const err = await failure(s.write(batchAt(t)));
      expect([err?.name, err?.message]).toEqual(["StorageUnavailableError", "InfluxDB answered 500"]);
      const read = await s.filter({ ranges: [{ start: t - 1, stop: t + 1 }], offset: 0, limit: 10 });
      expect(read).toEqual({ count: 0, rows: [] });
      const stopped = store({ url: full.url, token: full.token, org: full.org, bucket: full.bucket });
      await stopped.init();
      // stopped after the store's checks passed: the write itself finds nothing listening
      await full.stop();
      const gone = await failure(stopped.write(batchAt(t)));
      expect([gone?.name, gone?.message]).toEqual([
        "StorageUnavailableError",
        "InfluxDB unreachable (ECONNREFUSED)",
      ]);
    } finally {
      await full.dispose();
    }
  });

  it("204: written and read back; a URL given with a trailing slash posts to the same endpoint; location names URL and bucket", async () => {
    const conn = await freshBucket("edges-204");
    const t = Date.parse("2026-04-07T03:00:00Z");
    const s = store({ url: `${conn.url}/`, bucket: conn.bucket });
    await expect(s.write(batchAt(t))).resolves.toBe(2);
    const read = await store({ bucket: conn.bucket }).filter({
      ranges: [{ start: t - 1, stop: t + 1 }],
      offset: 0,
      limit: 10,
    });
    expect(read.rows.map((r) => [r.system_name, r.pid, r.name, r.timestamp, r.cpu_percent])).toEqual([
      ["s", 7, "edge-proc", t, 1],
      ["s", 8, "other", t, 3],
    ]);
    expect(s.location).toBe(`${conn.url}/, bucket ${conn.bucket}`);
  });
});

/**
 * What no real InfluxDB 2.8 can be made to answer, judged on classify() itself with the client
 * library's own error objects: 413 (the write handler's batch size limit has no influxd flag in
 * 2.8), 429 (only InfluxDB Cloud's rate limits and tasks), 503 and other 5xx, statuses at the
 * edges of each class, and the socket errors and timeouts of the client library and of fetch().
 */
describe("classify() and classifyFetch(): InfluxDB's answers and failures the API turns into 503 or passes on", () => {
  it("5xx, 401, 403, 404 and 429 are unavailable (agents retry), naming only the status", () => {
    for (const code of [500, 501, 502, 503, 504, 599, 401, 403, 404, 429]) {
      const err = classify(new HttpError(code, "Status Text", `{"message":"m${code}"}`));
      expect([err.constructor, err.message], String(code)).toEqual([
        StorageUnavailableError,
        `InfluxDB answered ${code}`,
      ]);
    }
  });

  it("400, 402, 405, 413, 422, 428, 430 and 499 are errors carrying InfluxDB's text, or the client's message when there is no body", () => {
    for (const code of [400, 402, 405, 413, 422, 428, 430, 499]) {
      const err = classify(new HttpError(code, "Status Text", `{"message":"m${code}"}`));
      expect([err.constructor, err.message], String(code)).toEqual([
        Error,
        `InfluxDB answered ${code}: {"message":"m${code}"}`,
      ]);
    }
    const bare = new HttpError(413, "Request Entity Too Large");
    expect(classify(bare).message).toBe(`InfluxDB answered 413: ${bare.message}`);
    expect(bare.message).not.toBe("");
  });

  it("the client library's timeout, and socket errors by code or by message, are unavailable; anything else passes through as itself", () => {
    expect(classify(new RequestTimedOutError()).message).toBe("InfluxDB timed out");
    expect(classify(new RequestTimedOutError())).toBeInstanceOf(StorageUnavailableError);
    // as it was, though its message names a socket error
    const already = new StorageUnavailableError("InfluxDB unreachable (ECONNREFUSED)");
    expect(classify(already)).toBe(already);
    for (const code of [
      "ECONNREFUSED",
      "ECONNRESET",
      "ETIMEDOUT",
      "EHOSTUNREACH",
      "ENOTFOUND",
      "EPIPE",
      "EAI_AGAIN",
    ]) {
      const err = classify(Object.assign(new Error("x"), { code }));
      expect([err.constructor, err.message], code).toEqual([
        StorageUnavailableError,
        `InfluxDB unreachable (${code})`,
      ]);
    }
    // codes only containing one of those are not socket errors
    for (const code of ["XECONNREFUSED", "ECONNREFUSEDX", "EACCES", ""]) {
      const original = Object.assign(new Error("disk says no"), { code });
      expect(classify(original), code).toBe(original);
    }
    for (const message of [
      "socket hang up",
      "connect ECONNREFUSED 127.0.0.1:1",
      "The operation was ABORTED",
    ]) {
      const err = classify(new Error(message));
      expect([err.constructor, err.message], message).toEqual([
        StorageUnavailableError,
        `InfluxDB unreachable (${message})`,
      ]);
    }
    const other = new RangeError("something else");
    expect(classify(other)).toBe(other);
    const text = classify("a string thrown");
    expect([text.constructor, text.message]).toEqual([Error, "a string thrown"]);
    expect(classify(undefined).message).toBe("undefined");
  });

  it("fetch()'s own failures: its timeout and abort, nothing listening, and what passes through", async () => {
    const closed = await freePort(); // nothing listens on it
    const refused = await failure(fetch(`http://127.0.0.1:${closed}/`));
    const c = classifyFetch(refused);
    expect([c.constructor, c.message]).toEqual([
      StorageUnavailableError,
      "InfluxDB unreachable (ECONNREFUSED)",
    ]);
    for (const reason of ["TimeoutError", "AbortError"]) {
      const err = await failure(
        fetch(`http://127.0.0.1:${closed}/`, { signal: AbortSignal.abort(new DOMException("stop", reason)) }),
      );
      expect(err?.name).toBe(reason);
      const classified = classifyFetch(err);
      expect([classified.constructor, classified.message], reason).toEqual([
        StorageUnavailableError,
        "InfluxDB timed out",
      ]);
    }
    // a TypeError whose cause is not a socket error (a URL fetch() cannot use) is still unreachable
    const bad = await failure(fetch("http://127.0.0.1:99999/"));
    expect(bad).toBeInstanceOf(TypeError);
    const b = classifyFetch(bad);
    expect([b.constructor, b.message]).toEqual([
      StorageUnavailableError,
      `InfluxDB unreachable (${bad?.message})`,
    ]);
    // anything else is classified as classify() would
    expect(classifyFetch(undefined).message).toBe("undefined");
    const plain = new Error("not from fetch");
    expect(classifyFetch(plain)).toBe(plain);
    const withCause = new Error("wrapped", { cause: new Error("not a socket error") });
    expect(classifyFetch(withCause)).toBe(withCause);
    const timedOutCause = classifyFetch(new Error("wrapped", { cause: new RequestTimedOutError() }));
    expect([timedOutCause.constructor, timedOutCause.message]).toEqual([
      StorageUnavailableError,
      "InfluxDB timed out",
    ]);
  });
});

describe("InfluxStore on the real InfluxDB: buckets, retention, history", () => {
  it("the client library's warnings go to the store's logger at debug level (a URL ending in /api/v2)", () => {
    const lines: Record<string, unknown>[] = [];
    store({}, lines); // sets the client's (global) logger to this store's
    store({ url: `${influx().url}/api/v2` });
    expect(lines.map((l) => [l.level, l.msg, l.err])).toEqual([
      [
        20,
        expect.stringMatching(
          /^influxdb-client: Please remove '\/api\/v2' context path from InfluxDB base url/,
        ),
        "undefined",
      ],
    ]);
  });

  it("the processes at an instant on batch points without interval_ms (written by releases before it): no interval, and never an older point's", async () => {
    const conn = await freshBucket("edges-at");
    const t1 = Date.parse("2026-04-07T03:00:00Z");
    const t2 = t1 + 5000;
    const s = store({ bucket: conn.bucket });
    await s.write({ ...batchAt(t1, "mixed"), interval_ms: 5000 });
    // a server downgraded to a release before interval_ms wrote the next batch point; another
    // system only ever had such points (and no row copy: the processes are not there to read)
    const old = await fetch(
      `${conn.url}/api/v2/write?org=${encodeURIComponent(conn.org)}&bucket=${conn.bucket}&precision=ms`,
      {
        method: "POST",
        headers: { authorization: `Token ${conn.token}` },
        body: `batch,system=mixed processes=1i ${t2}\nbatch,system=old processes=3i ${t2}\n`,
      },
    );
    expect(old.status).toBe(204);
    expect(await s.sampleAt("mixed", t1)).toMatchObject({
      timestamp: t1,
      interval_ms: 5000,
      process_count: 2,
    });
    expect(await s.sampleAt("mixed", t2)).toEqual({
      timestamp: t2,
      interval_ms: undefined,
      process_count: 1,
      processes: [],
    });
    expect(await s.sampleAt("old", t2 + 1)).toEqual({
      timestamp: t2,
      interval_ms: undefined,
      process_count: 3,
      processes: [],
    });
  });

  it("init() creates a bucket with the retention asked; a batch older than that is refused naming timestamp, a recent one accepted", async () => {
    const bucket = `edges-${randomUUID().slice(0, 8)}`;
    const lines: Record<string, unknown>[] = [];
    const s = store({ bucket, retentionDays: 1, historyRetentionDays: 2 }, lines);
    await s.init();
    expect(
      lines
        .filter((l) => l.msg === "created InfluxDB bucket")
        .map((l) => [l.level, l.bucket, l.retentionDays]),
    ).toEqual([
      [30, bucket, 1],
      [30, `${bucket}-history`, 2],
    ]);
    await expect(s.write(batchAt(Date.now() - 3 * DAY))).rejects.toMatchObject({
      name: "StorageRefusedError",
      field: "timestamp",
      message: "older than the InfluxDB bucket's retention period",
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

  it("a token of a user made inactive (403 on everything): init() warns for both buckets, then fails unavailable at the layout check", async () => {
    const conn = influx();
    const headers = { authorization: `Token ${conn.token}`, "content-type": "application/json" };
    const api = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${conn.url}${path}`, { method, headers, body: JSON.stringify(body) });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      return (await res.json()) as Record<string, unknown>;
    };
    const orgs = (await (await fetch(`${conn.url}/api/v2/orgs?org=${conn.org}`, { headers })).json()) as {
      orgs: { id: string }[];
    };
    const orgID = (orgs.orgs[0] as { id: string }).id;
    const user = await api("POST", "/api/v2/users", { name: `edges-${randomUUID().slice(0, 8)}` });
    const auth = await api("POST", "/api/v2/authorizations", {
      orgID,
      userID: user.id,
      permissions: ["read", "write"].map((action) => ({ action, resource: { type: "buckets", orgID } })),
    });
    await api("PATCH", `/api/v2/users/${String(user.id)}`, { status: "inactive" });
    const lines: Record<string, unknown>[] = [];
    const s = store({ token: String(auth.token), bucket: "i-one", historyBucket: "i-two" }, lines);
    const err = await failure(s.init());
    expect([err?.name, err?.message]).toEqual(["StorageUnavailableError", "InfluxDB answered 403"]);
    expect(
      lines
        .filter((l) => l.msg === "cannot check or create the bucket with this token; assuming it exists")
        .map((l) => l.bucket),
    ).toEqual(["i-one", "i-two"]);
  });

  it("a token limited to one bucket cannot see the org: init() says so when the history bucket has to be created", async () => {
    const conn = await freshBucket("edges-token");
    const token = await tokenFor(conn.bucket, ["read", "write"]);
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

  it("init() starts compacting finished days into history at once (default interval), what it stores read back; with 0, or after close(), it does not", async () => {
    const conn = await freshBucket("edges-hist");
    const t = Date.now() - 2 * DAY;
    // compacting every 25 ms, closed before the batch is written: it must not compact it after
    const closed = store({ bucket: conn.bucket, historyIntervalMs: 25 });
    await closed.init();
    await closed.close();
    const writer = store({ bucket: conn.bucket });
    await writer.init();
    await writer.write(batchAt(t));
    const q = { process_name: "edge-proc", range: { start: t - DAY, stop: t + DAY } };
    const off = store({ bucket: conn.bucket, historyIntervalMs: 0 });
    await off.init();
    await new Promise((r) => setTimeout(r, 300));
    expect(await off.history(q)).toMatchObject({ days: [], stretches: [] });
    const on = store({ bucket: conn.bucket, historyIntervalMs: undefined });
    await on.init();
    let days: number[] = [];
    for (let i = 0; i < 100 && days.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      days = (await on.history(q)).days;
    }
    expect(days).toEqual([t - (t % DAY)]);
    // the day's samples were streamed out of the raw bucket into one stretch of one sample
    expect((await on.history(q)).stretches).toEqual([
      {
        system_name: "s",
        start: t,
        end: t,
        samples: 1,
        iv_first: undefined,
        iv_last: undefined,
        pids: [[7, null, t, t, 1]],
      },
    ]);
    await Promise.all([writer.close(), off.close(), on.close()]);
  });

  it("history: stretches cut at the default run gap (15 s), and a day compacted again after a late batch holds only its new stretches", async () => {
    const conn = await freshBucket("edges-gap");
    const s = store({ url: `${conn.url}/`, bucket: conn.bucket });
    await s.init();
    const t = Date.now() - 2 * DAY;
    const day = t - (t % DAY);
    const t0 = day + 3_600_000;
    const q = { process_name: "edge-proc", range: { start: day, stop: day + DAY } };
    const range = { start: day, stop: day + DAY };
    for (const at of [t0 + 20_000, t0 + 30_000, t0 + 50_000]) await s.write(batchAt(at));
    await s.compactHistory(range);
    const stretch = (start: number, end: number, samples: number, pids: unknown[]) => ({
      system_name: "s",
      start,
      end,
      samples,
      iv_first: undefined,
      iv_last: undefined,
      pids,
    });
    const byStart = (h: { stretches: { start: number }[] }) =>
      [...h.stretches].sort((a, b) => a.start - b.start);
    const second = stretch(t0 + 50_000, t0 + 50_000, 1, [[7, null, t0 + 50_000, t0 + 50_000, 1]]);
    expect(byStart(await s.history(q))).toEqual([
      stretch(t0 + 20_000, t0 + 30_000, 2, [[7, null, t0 + 20_000, t0 + 30_000, 2]]),
      second,
    ]);
    // a late batch before the first: compacted again, the day's stretches (stored at the first
    // one's start) are replaced, not added to
    await s.write(batchAt(t0 + 10_000));
    await s.compactHistory(range);
    const again = await s.history(q);
    expect(again.days).toEqual([day]);
    expect(byStart(again)).toEqual([
      stretch(t0 + 10_000, t0 + 30_000, 3, [[7, null, t0 + 10_000, t0 + 30_000, 3]]),
      second,
    ]);
    await s.close();
  });
});
