/**
 * `migrateBucket()` (server/store/influx/migrate.ts) in-process, so mutation testing sees it (the
 * CLI's own test, influx-migrate.test.ts, runs `npm run migrate` as a child process). On the run's
 * real influxd, buckets written the old way (pid as a tag) are converted and compared point by
 * point with a bucket the server itself wrote the same batches into: windows that are empty, a last
 * point exactly at a window's start, two systems at one instant, awkward names, every old field. A
 * write or delete InfluxDB refuses is an error naming it; nothing old is deleted before every window
 * is written.
 */
import { execFileSync } from "node:child_process";
import { InfluxDB } from "@influxdata/influxdb-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { encodeBatch, WRITE_PRECISION } from "../../server/store/influx/line-protocol.ts";
import { migrateBucket } from "../../server/store/influx/migrate.ts";
import type { SampleBatch } from "../../server/store/types.ts";
import { freshBucket } from "../support/influx.ts";
import { oldLines, writeLines } from "../support/old-layout.ts";

const HOUR = 3_600_000;
/** On the hour, and on a 6-hour window's start plus 2 hours. */
const T0 = Date.UTC(2026, 1, 9, 8, 0, 0);
const WEB = "web-1";
const ODD = 'back\\slash 100% "sure", x=y';

/**
 * web-1 at T0 + 0.25 s (the first point, not on a window's start), + 20 min, + 40 min; the odd
 * system at + 20 min (the same instant as web-1's) and at T0 + 2 h exactly (the last point, on a
 * window's start). Nothing in the hour between: an empty window.
 */
function batches(): SampleBatch[] {
  const procs = (k: number): SampleBatch["processes"] => [
    {
      pid: 1,
      name: "systemd",
      cpu_percent: 0.25 + k,
      memory_percent: 0.5,
      memory_rss: 12_345_678 + k,
      started_at: T0 - 86_400_000,
      parent_pid: 0,
      user: "root",
      command: "/sbin/init splash",
      state: "S",
    },
    // two processes of one name: slots 0 and 1 by pid, whatever the input order
    {
      pid: 4321 + k,
      name: "nginx: worker",
      cpu_percent: 7.5,
      memory_percent: 1,
      command: 'nginx -g "daemon off;"\nline 2',
    },
    { pid: 4000, name: "nginx: worker", cpu_percent: 3, memory_percent: 1.25, user: "www-data" },
    {
      pid: 77,
      name: 'a\\b%25 c,d=e "q"',
      cpu_percent: 100,
      memory_percent: 0,
      state: "R",
      command: "tail\\",
    },
    { pid: 2 ** 31 + k, name: "größe→😀", cpu_percent: 1e-7, memory_percent: 99.5, started_at: T0 - 1 },
  ];
  return [
    { system_name: WEB, timestamp: T0 + 250, processes: procs(0) },
    { system_name: WEB, timestamp: T0 + 20 * 60_000, processes: procs(1) },
    { system_name: ODD, timestamp: T0 + 20 * 60_000, processes: procs(2).slice(1) },
    { system_name: WEB, timestamp: T0 + 40 * 60_000, processes: procs(3).slice(0, 2) },
    { system_name: ODD, timestamp: T0 + 2 * HOUR, processes: procs(4) },
  ];
}
const SAMPLES = batches().reduce((n, b) => n + b.processes.length, 0);

/** Every point of a bucket (old and new measurements; values as Flux prints them), sorted, with the columns that make it. */
async function dump(conn: InfluxConnection): Promise<Record<string, unknown>[]> {
  const rows = await new InfluxDB({ url: conn.url, token: conn.token })
    .getQueryApi(conn.org)
    .collectRows<Record<string, unknown>>(
      `from(bucket: "${conn.bucket}") |> range(start: 0) |> drop(columns: ["_start", "_stop"])
  |> map(fn: (r) => ({r with _value: string(v: r._value)})) |> group()
  |> sort(columns: ["_measurement", "_time", "system", "name", "slot", "pid", "_field"])`,
    );
  return rows.map(({ result, table, ...rest }) => rest);
}

interface Line {
  msg: string;
  [k: string]: unknown;
}
const logInto = (lines: Line[], onLine?: (l: Line) => void) =>
  createLogger("info", {
    write: (s: string) => {
      const l = JSON.parse(s) as Line;
      lines.push(l);
      onLine?.(l);
    },
  });
const infoOf = (lines: Line[]) => lines.map(({ level, time, pid, hostname, service, ...rest }) => rest);

describe("migrateBucket, in-process on the real InfluxDB", () => {
  const made: InfluxConnection[] = [];
  let expected: Record<string, unknown>[];
  const oldBucket = async (prefix: string) => {
    const conn = await freshBucket(prefix);
    made.push(conn);
    await writeLines(conn, batches().map(oldLines).join("\n"), "ms");
    return conn;
  };

  beforeAll(async () => {
    // what the server writes for these batches: the oracle
    const native = await freshBucket("mig-native");
    made.push(native);
    await writeLines(native, batches().map(encodeBatch).join(""), WRITE_PRECISION);
    expected = await dump(native);
    expect(new Set(expected.map((r) => r._measurement))).toEqual(new Set(["batch", "row", "sample"]));
  });
  afterAll(async () => {
    // the buckets made here (a mutation run makes them once per mutant)
    for (const conn of made) {
      const found = await bucket(conn);
      if (found)
        await fetch(`${conn.url}/api/v2/buckets/${found.id}`, {
          method: "DELETE",
          headers: { authorization: `Token ${conn.token}` },
        });
    }
  });

  it("converts window by window (an empty window skipped, the last point on a window's start) into exactly the points the server writes, deletes the old ones, and a second run does nothing", async () => {
    const conn = await oldBucket("mig-hour");
    // as an interrupted earlier run leaves it: the first batch converted already (rewritten the
    // same); and an old point without cpu_percent, which is no sample: deleted, not converted
    await writeLines(conn, encodeBatch(batches()[0] as SampleBatch), WRITE_PRECISION);
    await writeLines(conn, `process,name=junk,pid=9,system=${WEB} memory_percent=1 ${T0 + 1000}`, "ms");
    const lines: Line[] = [];
    const log = logInto(lines);
    const opts = { ...conn, url: `${conn.url}/`, log, windowMs: HOUR };
    expect(await migrateBucket(opts)).toEqual({ samples: SAMPLES, batches: 5, converted: true });
    expect(await dump(conn)).toEqual(expected);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(infoOf(lines)).toEqual([
      { bucket: conn.bucket, upTo: iso(T0 + HOUR), samples: 5 + 5 + 4 + 2, msg: "converted" },
      { bucket: conn.bucket, upTo: iso(T0 + 2 * HOUR + 1), samples: SAMPLES, msg: "converted" },
      {
        bucket: conn.bucket,
        samples: SAMPLES,
        batches: 5,
        msg: "migrated: old-layout samples converted and removed",
      },
    ]);

    lines.length = 0;
    expect(await migrateBucket(opts)).toEqual({ samples: 0, batches: 0, converted: false });
    expect(infoOf(lines)).toEqual([
      { bucket: conn.bucket, msg: "no samples in the old layout: nothing to migrate" },
    ]);
    expect(await dump(conn)).toEqual(expected);
  });

  it("a token that may only read: the write is refused with InfluxDB's answer, and no old point is deleted", async () => {
    const conn = await oldBucket("mig-403");
    const before = await dump(conn);
    const token = await readOnlyToken(conn);
    const err = await migrateBucket({ ...conn, token, log: createLogger("silent") }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^writing converted samples: 403 \{"code":"forbidden","message":".+"\}$/);
    expect(await dump(conn)).toEqual(before);
    expect(before.every((r) => r._measurement === "process")).toBe(true);
  });

  it("the bucket removed before the old points are deleted: the delete's refusal is the error (default 6-hour windows: one)", async () => {
    const conn = await oldBucket("mig-gone");
    const id = (await bucket(conn))?.id;
    const lines: Line[] = [];
    const log = logInto(lines, (l) => {
      // synchronously, between the last window's write and the delete
      if (l.msg === "converted")
        execFileSync(process.execPath, [
          "-e",
          `fetch(${JSON.stringify(`${conn.url}/api/v2/buckets/${id}`)}, { method: "DELETE", headers: { authorization: ${JSON.stringify(`Token ${conn.token}`)} } }).then((r) => { if (r.status !== 204) process.exit(1); })`,
        ]);
    });
    const err = await migrateBucket({ ...conn, log }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^deleting the old measurement: 404 \{"code":"not found","message":".+"\}$/);
    expect(infoOf(lines)).toEqual([
      {
        bucket: conn.bucket,
        upTo: new Date(T0 + 2 * HOUR + 1).toISOString(),
        samples: SAMPLES,
        msg: "converted",
      },
    ]);
  });

  it("old points without cpu_percent only: no window to convert, and they are deleted", async () => {
    const conn = await freshBucket("mig-junk");
    made.push(conn);
    await writeLines(conn, `process,name=junk,pid=9,system=${WEB} memory_percent=1 ${T0}`, "ms");
    const lines: Line[] = [];
    expect(await migrateBucket({ ...conn, log: logInto(lines) })).toEqual({
      samples: 0,
      batches: 0,
      converted: true,
    });
    expect(await dump(conn)).toEqual([]);
    expect(infoOf(lines)).toEqual([
      {
        bucket: conn.bucket,
        samples: 0,
        batches: 0,
        msg: "migrated: old-layout samples converted and removed",
      },
    ]);
  });

  it("a bucket the server wrote (no old layout) is left as it is", async () => {
    const conn = await freshBucket("mig-new");
    made.push(conn);
    await writeLines(conn, batches().map(encodeBatch).join(""), WRITE_PRECISION);
    expect(await migrateBucket({ ...conn, log: createLogger("silent") })).toEqual({
      samples: 0,
      batches: 0,
      converted: false,
    });
    expect(await dump(conn)).toEqual(expected);
  });
});

/** The connection's bucket (undefined once removed). */
async function bucket(conn: InfluxConnection): Promise<{ id: string; orgID: string } | undefined> {
  const headers = { authorization: `Token ${conn.token}` };
  const found = (await (
    await fetch(`${conn.url}/api/v2/buckets?org=${encodeURIComponent(conn.org)}&name=${conn.bucket}`, {
      headers,
    })
  ).json()) as { buckets?: { id: string; orgID: string }[] };
  return found.buckets?.[0];
}
/** A token allowed only to read the connection's bucket. */
async function readOnlyToken(conn: InfluxConnection): Promise<string> {
  const { id, orgID } = (await bucket(conn)) as { id: string; orgID: string };
  const res = await fetch(`${conn.url}/api/v2/authorizations`, {
    method: "POST",
    headers: { authorization: `Token ${conn.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      orgID,
      permissions: [{ action: "read", resource: { type: "buckets", id, orgID } }],
    }),
  });
  return ((await res.json()) as { token: string }).token;
}
