/**
 * The InfluxDB store's remaining edges, each inside a test so that mutation testing judges it
 * (`MUTATE_SUITE=influx`, docs/testing.md), all against a real influxd:
 * - an InfluxDB that speaks HTTPS (influxd started with --tls-cert/--tls-key): writes and reads
 *   over TLS;
 * - a delete InfluxDB refuses: InfluxDB 2.8's delete API reads a bucket name of 16 hex digits as
 *   a bucket ID only (its write API tries the ID, then the name), so history compaction into such
 *   a bucket is refused with 404;
 * - the default compaction schedule: once at init(), then every 10 minutes, not continuously; a
 *   day compacted 10 minutes after its end, not before (the default grace);
 * - a query InfluxDB refuses on the CSV path (latest(), the watches' read);
 * - network faults between the store and the real influxd, made by a TCP relay on loopback that
 *   passes the bytes through unchanged until told to drop a request, hold it, or cut an answer
 *   short: an answer broken off mid-body, a write never answered (the store's own timeout),
 *   history's delete dropped or held, a ping whose write went through but whose read was dropped.
 *   No influxd option makes a write hang or an answer break off, so these are made on the wire.
 */

import { randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startInfluxd } from "../../harness/influxd.ts";
import {
  failure,
  freshBucket,
  influx,
  storeOnRun,
  twoProcessBatches,
  writeStringPid,
} from "../support/influx.ts";

const DAY = 86_400_000;
const batchAt = twoProcessBatches("fault-proc");
const store = storeOnRun;

/** What `p` settled with within `ms`, or that it had not. */
const within = (p: Promise<unknown>, ms: number): Promise<unknown> =>
  Promise.race([
    p.then(
      (v) => ({ resolved: v }),
      (e: Error) => ({ rejected: [e.name, e.message] }),
    ),
    new Promise((r) => setTimeout(() => r(`not settled after ${ms} ms`), ms)),
  ]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A TCP relay on loopback in front of the run's influxd. It passes every byte through unchanged,
 * except: a connection whose current request names `drop` is closed before that request is passed
 * on; one whose request names `hold` is left open with that request never passed on (an answer
 * that never comes); with `cutAfter` set, an answer is passed on up to its head and `cutAfter`
 * bytes of its body, then the connection is closed.
 */
async function relay(target: string) {
  const { hostname, port } = new URL(target);
  const fault: { drop?: string; hold?: string; cutAfter?: number } = {};
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    let asked = "";
    client.on("data", (chunk: Buffer) => {
      // a request at a time: one begins when the answer to the last has come
      const text = chunk.toString("latin1");
      asked = /^[A-Z]+ \//.test(text) ? text : asked + text;
      if (fault.drop !== undefined && asked.includes(fault.drop)) end();
      else if (fault.hold === undefined || !asked.includes(fault.hold)) upstream.write(chunk);
    });
    let answer = Buffer.alloc(0);
    upstream.on("data", (chunk: Buffer) => {
      if (fault.cutAfter === undefined) {
        client.write(chunk);
        return;
      }
      answer = Buffer.concat([answer, chunk]);
      const head = answer.indexOf("\r\n\r\n");
      if (head < 0 || answer.length < head + 4 + fault.cutAfter) return;
      upstream.destroy();
      client.end(answer.subarray(0, head + 4 + fault.cutAfter), () => client.destroy());
    });
    client.on("error", end);
    upstream.on("error", end);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => {
      if (fault.cutAfter === undefined) client.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port: relayPort } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${relayPort}`,
    fault,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("InfluxStore over HTTPS, a real influxd serving TLS", () => {
  it("writes through the https agent and reads back over TLS (a self-signed certificate, trusted by this test only)", async () => {
    const { binary } = influx();
    if (!binary)
      throw new Error("this test starts its own influxd: it needs a binary (INFLUXD_BIN or the build cache)");
    const fixtures = join(import.meta.dirname, "fixtures", "tls");
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    // the certificate is self-signed; the store has no CA option, so this process trusts any
    // certificate while the test runs (restored below)
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    const tls = await startInfluxd({
      binary,
      tls: { cert: join(fixtures, "influxd-test.crt"), key: join(fixtures, "influxd-test.key") },
    });
    try {
      expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const t = Date.parse("2026-04-07T03:00:00Z");
      const s = store({ url: tls.url, token: tls.token, org: tls.org, bucket: tls.bucket });
      await expect(s.write(batchAt(t))).resolves.toBe(2);
      const read = await s.filter({ ranges: [{ start: t - 1, stop: t + 1 }], offset: 0, limit: 10 });
      expect(read.rows.map((r) => [r.system_name, r.pid, r.name, r.timestamp, r.cpu_percent])).toEqual([
        ["s", 7, "fault-proc", t, 1],
        ["s", 8, "other", t, 3],
      ]);
      // plain HTTP to the same port is answered 400 by influxd: the write above really was TLS
      const plain = await failure(
        store({
          url: tls.url.replace("https:", "http:"),
          token: tls.token,
          org: tls.org,
          bucket: tls.bucket,
        }).write(batchAt(t)),
      );
      expect(plain?.message).toMatch(
        /^InfluxDB answered 400: Client sent an HTTP request to an HTTPS server/,
      );
    } finally {
      await tls.dispose();
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });
});

describe("InfluxStore history on the real InfluxDB: a refused delete, the default schedule", () => {
  it("a history bucket named like an ID (16 hex digits): InfluxDB 2.8 writes to it by name but deletes only by ID, so compaction is refused unavailable (404) and no day is marked done", async () => {
    const conn = await freshBucket("faults-hex");
    const historyBucket = randomBytes(8).toString("hex");
    const s = store({ bucket: conn.bucket, historyBucket });
    await s.init();
    const t = Date.now() - 2 * DAY;
    const day = t - (t % DAY);
    await s.write(batchAt(t));
    const err = await failure(s.compactHistory({ start: day, stop: day + DAY }));
    expect([err?.name, err?.message]).toEqual(["StorageUnavailableError", "InfluxDB answered 404"]);
    // the day's not-done mark went in by name before the delete was refused; nothing more
    expect(
      await s.history({ process_name: "fault-proc", range: { start: day, stop: day + DAY } }),
    ).toMatchObject({
      days: [],
      stretches: [],
    });
    await s.close();
  });

  it("by default, compacts at init() and then not again for 10 minutes: a day written to after the first pass stays not done", async () => {
    const conn = await freshBucket("faults-every");
    const t = Date.now() - 2 * DAY;
    const day = t - (t % DAY);
    const q = { process_name: "fault-proc", range: { start: day, stop: day + DAY } };
    await store({ bucket: conn.bucket }).write(batchAt(t));
    const s = store({ bucket: conn.bucket, historyIntervalMs: undefined });
    await s.init();
    // joins the pass init() started (the day counts as done here once that pass has ended)
    await s.compactHistory();
    expect((await s.history(q)).days).toEqual([day]);
    // a late batch for the day: marked not done; only the next pass, 10 minutes on, redoes it
    await s.write(batchAt(t + 1000));
    await sleep(1000);
    // (a day not marked done shows no stretches: the next pass rewrites them)
    expect(await s.history(q)).toMatchObject({ days: [], stretches: [] });
    await s.close();
  });
  it("compacts a finished day 10 minutes after its end (the default grace), not before", async () => {
    const conn = await freshBucket("faults-grace");
    const d1 = Date.now() - (Date.now() % DAY) - 3 * DAY;
    const d2 = d1 + DAY;
    let clock = d1 + 12 * 3_600_000;
    const s = store({ bucket: conn.bucket, now: () => clock });
    await s.init();
    await s.write(batchAt(d1 + 3_600_000));
    const q = { process_name: "fault-proc", range: { start: d1, stop: d2 + DAY } };
    clock = d2 + 10 * 60_000 - 1;
    await s.compactHistory();
    expect((await s.history(q)).days).toEqual([]);
    clock = d2 + 10 * 60_000;
    await s.compactHistory();
    const kept = await s.history(q);
    expect(kept.days).toEqual([d1]);
    expect(kept.stretches.map((x) => [x.system_name, x.start, x.samples])).toEqual([
      ["s", d1 + 3_600_000, 1],
    ]);
    await s.close();
  });
});

describe("InfluxStore's CSV reads (latest()) on the real InfluxDB", () => {
  it("a query InfluxDB refuses (an empty range): a plain error carrying InfluxDB's own text", async () => {
    const s = store();
    const err = await failure(s.latest({ start: 2000, stop: 1000 }));
    expect(err?.constructor).toBe(Error);
    expect(err?.message).toBe(
      'InfluxDB answered 400: {"code":"invalid","message":"error in building plan while starting program: cannot query an empty range"}',
    );
  });
});

describe("InfluxStore and network faults between it and the real InfluxDB", () => {
  it("an answer broken off in the middle of its body is unavailable (ECONNRESET), not left waiting", async () => {
    const conn = await freshBucket("faults-cut");
    const t = Date.parse("2026-04-07T03:00:00Z");
    // pid stored as a string first: the store's integer pid then conflicts, and influxd answers
    // 422 with a JSON body
    const first = await writeStringPid(conn, "fault-proc", t);
    expect(first).toBe(204);
    const r = await relay(conn.url);
    try {
      const s = store({ url: r.url, bucket: conn.bucket });
      await s.systems({ start: t, stop: t + 1 }); // the layout check, answered whole
      r.fault.cutAfter = 5;
      expect(await within(s.write(batchAt(t)), 5000)).toEqual({
        rejected: ["StorageUnavailableError", "InfluxDB unreachable (ECONNRESET)"],
      });
    } finally {
      await r.close();
    }
  });

  it("ping: the write check went through, the read was dropped: unreachable while reading", async () => {
    const conn = await freshBucket("faults-ping");
    const r = await relay(conn.url);
    try {
      await expect(store({ url: r.url, bucket: conn.bucket }).ping()).resolves.toBeUndefined();
      r.fault.drop = "/api/v2/query";
      expect(await within(store({ url: r.url, bucket: conn.bucket }).ping(), 5000)).toEqual({
        rejected: [
          "StorageUnavailableError",
          `InfluxDB at ${r.url} unreachable while reading (UND_ERR_SOCKET)`,
        ],
      });
    } finally {
      await r.close();
    }
  });

  it("a write whose answer never comes (held on the way) is unavailable after the store's timeout, not left waiting", async () => {
    const conn = await freshBucket("faults-hold");
    const r = await relay(conn.url);
    try {
      const s = store({ url: r.url, bucket: conn.bucket, timeoutMs: 300 });
      await s.systems({ start: 0, stop: 1 }); // the layout check, answered
      r.fault.hold = "/api/v2/write";
      expect(await within(s.write(batchAt(Date.parse("2026-04-07T03:00:00Z"))), 3000)).toEqual({
        rejected: ["StorageUnavailableError", "InfluxDB timed out"],
      });
    } finally {
      await r.close();
    }
  });

  it("history's delete dropped or held on the way: compaction is unavailable (fetch failed, or timed out) and the day is left not done", async () => {
    const conn = await freshBucket("faults-delete");
    const t = Date.now() - 2 * DAY;
    const day = t - (t % DAY);
    const range = { start: day, stop: day + DAY };
    const q = { process_name: "fault-proc", range };
    const r = await relay(conn.url);
    try {
      const s = store({ url: r.url, bucket: conn.bucket, timeoutMs: 300 });
      await s.init();
      await s.write(batchAt(t));
      r.fault.drop = "/api/v2/delete";
      expect(await within(s.compactHistory(range), 3000)).toEqual({
        rejected: ["StorageUnavailableError", "InfluxDB unreachable (fetch failed)"],
      });
      r.fault.drop = undefined;
      r.fault.hold = "/api/v2/delete";
      expect(await within(s.compactHistory(range), 3000)).toEqual({
        rejected: ["StorageUnavailableError", "InfluxDB timed out"],
      });
      r.fault.hold = undefined;
      expect(await s.history(q)).toMatchObject({ days: [], stretches: [] });
      // passed through again, the same day compacts
      await s.compactHistory(range);
      expect((await s.history(q)).days).toEqual([day]);
      await s.close();
    } finally {
      await r.close();
    }
  });
});
