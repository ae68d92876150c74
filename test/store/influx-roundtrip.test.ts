/**
 * The harness loop: points written with the client library's point builder come back from a Flux
 * query field by field, tag values with every character line protocol must escape included.
 */
import { flux, InfluxDB, Point } from "@influxdata/influxdb-client";
import { beforeAll, describe, expect, it } from "vitest";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { freshBucket } from "../support/influx.ts";

const NASTY = [
  "plain",
  "with spaces",
  "comma,separated",
  "equals=sign",
  'double "quotes"',
  "back\\slash in the middle",
  "C:\\Windows\\System32\\svchost.exe",
  "non-ASCII: Grüße, 東京, Ελλάδα",
  "emoji 🚀🔥",
  "it's",
  '") |> drop(columns: ["_value"]) //',
];

describe("InfluxDB round trip (point builder in, Flux out)", () => {
  let conn: InfluxConnection;
  beforeAll(async () => {
    conn = await freshBucket("roundtrip");
  });

  it("returns every field and tag exactly as written", async () => {
    const db = new InfluxDB({ url: conn.url, token: conn.token });
    const write = db.getWriteApi(conn.org, conn.bucket, "ms");
    const base = Date.UTC(2026, 0, 2, 3, 4, 5);
    NASTY.forEach((name, i) => {
      write.writePoint(
        new Point("roundtrip")
          .tag("name", name)
          .tag("system", `sys ${name}`)
          .floatField("cpu", i + 0.25)
          .intField("rss", 1000 + i)
          .stringField("note", `note ${name}`)
          .timestamp(new Date(base + i * 1000)),
      );
    });
    await write.close();

    const rows = await db.getQueryApi(conn.org).collectRows<Record<string, unknown>>(
      flux`from(bucket: ${conn.bucket})
        |> range(start: 2026-01-01T00:00:00Z, stop: 2026-01-03T00:00:00Z)
        |> filter(fn: (r) => r._measurement == "roundtrip")
        |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
        |> group()
        |> sort(columns: ["_time"])`,
    );
    expect(rows).toHaveLength(NASTY.length);
    NASTY.forEach((name, i) => {
      const row = rows[i] as Record<string, unknown>;
      expect(row.name).toBe(name);
      expect(row.system).toBe(`sys ${name}`);
      expect(row.cpu).toBe(i + 0.25);
      expect(row.rss).toBe(1000 + i);
      expect(row.note).toBe(`note ${name}`);
      expect(Date.parse(String(row._time))).toBe(base + i * 1000);
    });
  });

  it("cannot carry a tag value ending in a backslash: why InfluxStore percent-encodes backslashes in tags", async () => {
    const db = new InfluxDB({ url: conn.url, token: conn.token });
    const write = db.getWriteApi(conn.org, conn.bucket, "ms", { maxRetries: 0 });
    write.writePoint(new Point("roundtrip").tag("name", "x\\").tag("system", "s").floatField("cpu", 1));
    await expect(write.close()).rejects.toThrow(/invalid tag format|unable to parse/);
  });

  it("finds a point by a nasty tag value passed through the flux template", async () => {
    const db = new InfluxDB({ url: conn.url, token: conn.token });
    for (const name of NASTY) {
      const rows = await db.getQueryApi(conn.org).collectRows<Record<string, unknown>>(
        flux`from(bucket: ${conn.bucket})
          |> range(start: 2026-01-01T00:00:00Z, stop: 2026-01-03T00:00:00Z)
          |> filter(fn: (r) => r._measurement == "roundtrip" and r.name == ${name} and r._field == "cpu")`,
      );
      expect(rows.map((r) => r.name)).toEqual([name]);
    }
  });
});
