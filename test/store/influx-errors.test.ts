/**
 * The InfluxDB store when InfluxDB cannot serve it, for real: nothing listening on the port, a
 * connection that is dropped, an answer that never comes, a token InfluxDB refuses, a bucket
 * that is gone. Writes and queries reject with StorageUnavailableError (the server's 503, which
 * agents retry) saying why; nothing else is dressed up as one. Found untested by the mutation run
 * of server/store/influx/store.ts; fast enough for its mutation suite.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { refusal, said } from "../../server/store/influx/access.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import { type SampleBatch, StorageUnavailableError } from "../../server/store/types.ts";
import { freshBucket, influx } from "../support/influx.ts";

const T = Date.parse("2026-04-07T03:00:00Z");
const batch: SampleBatch = {
  system_name: "s",
  timestamp: T,
  processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }],
};
const query = { ranges: [{ start: T - 1000, stop: T + 1000 }], offset: 0, limit: 10 };

const store = (url: string, extra: { token?: string; bucket?: string; timeoutMs?: number } = {}) => {
  const conn = influx();
  return new InfluxStore({
    url,
    token: extra.token ?? conn.token,
    org: conn.org,
    bucket: extra.bucket ?? conn.bucket,
    retentionDays: 30,
    timeoutMs: extra.timeoutMs ?? 5000,
    historyIntervalMs: 0,
    log: createLogger("silent"),
  });
};

/** A local TCP server doing `onSocket` with each connection; its URL. */
async function tcp(
  onSocket: (s: Socket) => void,
): Promise<{ url: string; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, sockets };
}
const closeAll = async (t: { server: Server; sockets: Socket[] }) => {
  for (const s of t.sockets) s.destroy();
  await new Promise((r) => t.server.close(r));
};

const unavailable = (message: RegExp) => ({
  name: "StorageUnavailableError",
  message: expect.stringMatching(message),
});

describe("InfluxStore when InfluxDB cannot serve it", () => {
  let closedPort: string;
  beforeAll(async () => {
    const t = await tcp(() => {});
    closedPort = t.url;
    await closeAll(t);
  });

  it("nothing listening: writes, queries and pings are unavailable, naming ECONNREFUSED", async () => {
    const s = store(closedPort);
    await expect(s.write(batch)).rejects.toMatchObject(
      unavailable(/^InfluxDB unreachable \(.*ECONNREFUSED.*\)$/),
    );
    await expect(s.filter(query)).rejects.toMatchObject(unavailable(/ECONNREFUSED/));
    await expect(s.systems(query.ranges[0] as { start: number; stop: number })).rejects.toMatchObject(
      unavailable(/ECONNREFUSED/),
    );
    await expect(s.ping()).rejects.toMatchObject(
      unavailable(new RegExp(`^InfluxDB at ${closedPort} unreachable while writing \\(ECONNREFUSED\\)$`)),
    );
  });

  it("a connection dropped without an answer is unavailable", async () => {
    const t = await tcp((sock) => sock.destroy());
    try {
      const s = store(t.url);
      await expect(s.write(batch)).rejects.toMatchObject(unavailable(/^InfluxDB unreachable/));
      await expect(s.filter(query)).rejects.toMatchObject(unavailable(/^InfluxDB unreachable/));
    } finally {
      await closeAll(t);
    }
  });

  it("an answer that never comes is unavailable after the timeout", async () => {
    const t = await tcp(() => {});
    try {
      const s = store(t.url, { timeoutMs: 200 });
      await expect(s.write(batch)).rejects.toMatchObject(unavailable(/^InfluxDB timed out$/));
      await expect(s.filter(query)).rejects.toMatchObject(unavailable(/^InfluxDB timed out$/));
      // the ping too, within its timeout (200 ms here), not at the 5 s it is capped at
      const ping = await Promise.race([
        s.ping().then(
          () => "answered",
          (e: Error) => e,
        ),
        new Promise((r) => setTimeout(() => r("still waiting after 2.5 s"), 2500)),
      ]);
      expect(ping).toMatchObject(
        unavailable(
          new RegExp(
            `^InfluxDB at ${t.url} unreachable while writing \\(The operation was aborted due to timeout\\)$`,
          ),
        ),
      );
    } finally {
      await closeAll(t);
    }
  });
});

describe("InfluxStore refused by the real InfluxDB", () => {
  let bucket: string;
  beforeAll(async () => {
    bucket = (await freshBucket("errors")).bucket;
  });
  afterAll(() => undefined);

  it("a token InfluxDB does not know: 401, unavailable (an operator must fix it; agents keep their samples)", async () => {
    const s = store(influx().url, { token: "not-a-token", bucket });
    await expect(s.write(batch)).rejects.toMatchObject(unavailable(/^InfluxDB answered 401$/));
    await expect(s.filter(query)).rejects.toMatchObject(unavailable(/^InfluxDB answered 401$/));
  });

  it("ping says what is wrong: the token, the bucket, the URL, or a permission, in InfluxDB's own words; and resolves when all is well", async () => {
    const conn = influx();
    const refusedWith = async (s: InfluxStore) =>
      s.ping().then(
        () => "resolved",
        (e: Error) => [e.name, e.message],
      );
    await expect(store(conn.url, { bucket }).ping()).resolves.toBeUndefined();
    await expect(store(`${conn.url}/`, { bucket }).ping()).resolves.toBeUndefined();
    expect(await refusedWith(store(conn.url, { token: "not-a-token", bucket }))).toEqual([
      "StorageUnavailableError",
      "InfluxDB refused INFLUX_TOKEN (401: unauthorized access): the token is wrong or revoked",
    ]);
    expect(await refusedWith(store(conn.url, { bucket: `${bucket}-missing` }))).toEqual([
      "StorageUnavailableError",
      `cannot write to bucket "${bucket}-missing" in org "${conn.org}": it does not exist or INFLUX_TOKEN cannot see it (404: bucket "${bucket}-missing" not found)`,
    ]);
    // InfluxDB's message is cut at 200 characters (a bucket name of 250)
    const long = `${bucket}-${"x".repeat(240)}`.slice(0, 250);
    expect(await refusedWith(store(conn.url, { bucket: long }))).toEqual([
      "StorageUnavailableError",
      `cannot write to bucket "${long}" in org "${conn.org}": it does not exist or INFLUX_TOKEN cannot see it (404: ${`bucket "${long}" not found`.slice(0, 200)})`,
    ]);
    // a URL with a path influxd does not serve: its answer is plain text, quoted as it is
    expect(await refusedWith(store(`${conn.url}/influx`, { bucket }))).toEqual([
      "StorageUnavailableError",
      `cannot write to bucket "${bucket}" in org "${conn.org}": it does not exist or INFLUX_TOKEN cannot see it (404: no assets included in binary\n)`,
    ]);
    // tokens allowed only to read, or only to write, this bucket
    const headers = { authorization: `Token ${conn.token}`, "content-type": "application/json" };
    const found = (await (
      await fetch(`${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${bucket}`, {
        headers,
      })
    ).json()) as { buckets: { id: string; orgID: string }[] };
    const { id, orgID } = found.buckets[0] as { id: string; orgID: string };
    const tokenFor = async (action: "read" | "write") => {
      const res = await fetch(`${conn.url}/api/v2/authorizations`, {
        method: "POST",
        headers,
        body: JSON.stringify({ orgID, permissions: [{ action, resource: { type: "buckets", id, orgID } }] }),
      });
      return ((await res.json()) as { token: string }).token;
    };
    expect(await refusedWith(store(conn.url, { token: await tokenFor("read"), bucket }))).toEqual([
      "StorageUnavailableError",
      `INFLUX_TOKEN may not write to bucket "${bucket}" in org "${conn.org}" (403: insufficient permissions for write)`,
    ]);
    expect(await refusedWith(store(conn.url, { token: await tokenFor("write"), bucket }))).toEqual([
      "StorageUnavailableError",
      `cannot read bucket "${bucket}" in org "${conn.org}": it does not exist or INFLUX_TOKEN cannot see it (404: failed to initialize execute state: could not find bucket "${bucket}")`,
    ]);
  });

  it('a bucket in the old layout (measurement "process") is unavailable, saying to run npm run migrate, and left as it was', async () => {
    const conn = await freshBucket("old-layout");
    const headers = { authorization: `Token ${conn.token}` };
    const write = await fetch(
      `${conn.url}/api/v2/write?org=${encodeURIComponent(conn.org)}&bucket=${conn.bucket}&precision=ms`,
      { method: "POST", headers, body: `process,system=a,name=x,pid=1 cpu_percent=1 ${T}` },
    );
    expect(write.status).toBe(204);
    const s = store(conn.url, { bucket: conn.bucket });
    const refused = {
      name: "StorageUnavailableError",
      message: `InfluxDB bucket "${conn.bucket}" holds samples in the old layout (measurement "process", pid as a tag). This release writes measurement "sample" with pid as a field and will not mix the two: stop the old servers, then run \`npm run migrate\` with the same INFLUX_* settings (it converts the samples in place and can be re-run), or point INFLUX_BUCKET at a new bucket. See docs/data-layout.md.`,
    };
    await expect(s.init()).rejects.toMatchObject(refused);
    await expect(s.write(batch)).rejects.toMatchObject(refused);
    await expect(s.filter(query)).rejects.toMatchObject(refused);
    // nothing was written next to the old samples
    const read = await fetch(`${conn.url}/api/v2/query?org=${encodeURIComponent(conn.org)}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/vnd.flux", accept: "application/csv" },
      body: `from(bucket: "${conn.bucket}") |> range(start: 0) |> group() |> count()`,
    });
    expect((await read.text()).trim().split("\n").at(-1)).toMatch(/,1\s*$/);
  });

  it("a bucket that does not exist: 404, unavailable", async () => {
    const s = store(influx().url, { bucket: `${bucket}-missing` });
    await expect(s.write(batch)).rejects.toMatchObject(unavailable(/^InfluxDB answered 404$/));
    await expect(s.filter(query)).rejects.toMatchObject(unavailable(/^InfluxDB answered 404$/));
  });
});

/**
 * What no real influxd answers a ping with, judged on said() and refusal() themselves with
 * web-standard Response objects: an empty body, JSON without a message, a body that breaks off,
 * and statuses other than 401, 403 and 404 (influxd's empty write and one-row read answer nothing
 * else).
 */
describe("the ping's reading of InfluxDB's refusals", () => {
  const access = { url: "http://influx:8086", token: "t", org: "o", bucket: "b", timeoutMs: 1000 };
  const answer = (body: string | ReadableStream | null, status = 500, statusText = "Internal Server Error") =>
    new Response(body, { status, statusText });

  it("said(): InfluxDB's message when the body is JSON with one, else the text, else the status text; 200 characters at most", async () => {
    expect(await said(answer('{"code":"internal error","message":"it broke"}'))).toBe("it broke");
    expect(await said(answer(`{"message":"${"m".repeat(300)}"}`))).toBe("m".repeat(200));
    expect(await said(answer('{"code":"internal error"}'))).toBe('{"code":"internal error"}');
    expect(await said(answer('{"message":""}'))).toBe('{"message":""}');
    expect(await said(answer('{"message":42}'))).toBe('{"message":42}');
    expect(await said(answer("null"))).toBe("null");
    expect(await said(answer("t".repeat(300)))).toBe("t".repeat(200));
    expect(await said(answer(""))).toBe("Internal Server Error");
    expect(await said(answer(null, 502, "Bad Gateway"))).toBe("Bad Gateway");
    const broken = new ReadableStream({
      start(c) {
        c.error(new Error("connection reset"));
      },
    });
    expect(await said(answer(broken, 503, "Service Unavailable"))).toBe("Service Unavailable");
  });

  it("refusal(): 401 names the token, 403 the permission, 404 the bucket or its visibility, anything else InfluxDB's answer; all unavailable", async () => {
    const cases: [number, string][] = [
      [401, "InfluxDB refused INFLUX_TOKEN (401: m): the token is wrong or revoked"],
      [403, 'INFLUX_TOKEN may not read bucket "b" in org "o" (403: m)'],
      [404, 'cannot read bucket "b" in org "o": it does not exist or INFLUX_TOKEN cannot see it (404: m)'],
      [400, 'InfluxDB answered 400: m when asked to read bucket "b" in org "o"'],
      [429, 'InfluxDB answered 429: m when asked to read bucket "b" in org "o"'],
      [500, 'InfluxDB answered 500: m when asked to read bucket "b" in org "o"'],
      [503, 'InfluxDB answered 503: m when asked to read bucket "b" in org "o"'],
    ];
    for (const [status, message] of cases) {
      const err = await refusal(access, "read", answer('{"message":"m"}', status, "x"));
      expect([err.constructor, err.message], String(status)).toEqual([StorageUnavailableError, message]);
    }
  });
});
