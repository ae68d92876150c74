/**
 * Gzip'd request bodies (`Content-Encoding: gzip`, as the agent sends its spool files) on both
 * doors: stored exactly as the same body sent plain; the body-size limit applies to the
 * decompressed size (a zip bomb is a 413 without being inflated in memory); corrupt gzip is a 400;
 * an unknown encoding a 415. Nothing refused is stored.
 */
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

const T0 = Date.UTC(2026, 2, 16, 9, 0, 0);
const DAY = "2026-03-16";

/** An agent-sized batch: 600 processes, awkward names and commands, every optional field. */
function bigBatch(system: string, timestamp: number) {
  return {
    system_name: system,
    timestamp,
    processes: Array.from({ length: 600 }, (_, i) => ({
      pid: 1000 + i,
      name: i % 7 === 0 ? `wörker ${i % 3} 🚀 "q" \\ ,=` : `proc-${i % 40}`,
      cpu_percent: (i % 400) / 3,
      memory_percent: (i % 100) / 7,
      memory_rss: 4096 * (i + 1) * 1024,
      started_at: T0 - 3_600_000 - i * 1000,
      user: i % 2 ? "root" : "svc ünïcode",
      command: `/usr/bin/thing --id=${i} ${"x".repeat(i % 300)} "quoted arg" \\ tab\there`,
      state: i % 5 ? "sleeping" : "running",
      parent_pid: 1,
      num_threads: 1 + (i % 64),
      cpu_user_seconds: i * 1.25,
      cpu_system_seconds: i * 0.5,
      minor_faults: 5_000_000_000 + i,
      major_faults: i % 3,
      memory_vms: 140_000_000_000 + i * 4096,
    })),
  };
}

/**
 * A gzip stream that inflates to `members` MiB of zeros: one small member (1 MiB of zeros is ~1 KB
 * compressed) repeated, as gzip allows any number of members one after the other.
 */
function bomb(members: number): Buffer {
  const one = gzipSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => one));
}

const DOORS = {
  rest: { path: "/api/process-data/" },
  trpc: { path: "/trpc/process.submit" },
} as const;
type Door = keyof typeof DOORS;

describe.each(Object.keys(DOORS) as Door[])("gzip'd bodies on the %s door", (door) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget(`gzip-${door}`)).env);
  });
  afterAll(() => app?.close());

  const post = (body: Uint8Array | string, encoding?: string) =>
    fetch(`${app.url}${DOORS[door].path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(encoding ? { "content-encoding": encoding } : {}) },
      body,
    });
  /** The error message, from either door's error shape. */
  const messageOf = async (res: Response): Promise<string> => {
    const body = (await res.json()) as {
      message?: string;
      error?: { message: string; data: { httpStatus: number } };
    };
    if (door === "trpc") {
      expect(body.error?.data.httpStatus).toBe(res.status);
      return body.error?.message ?? "";
    }
    return body.message ?? "";
  };
  const stored = async (system: string) => {
    const res = await fetch(
      `${app.url}/api/filter-processes/?system_name=${encodeURIComponent(system)}&date=${DAY}&tz=UTC&page_size=10000`,
    );
    expect(res.status).toBe(200);
    return ((await res.json()) as { count: number; data: Record<string, unknown>[] }).data;
  };

  it("stores a gzip'd 600-process batch exactly as the same batch sent plain", async () => {
    const gz = bigBatch(`gz-${door}`, T0);
    const plain = bigBatch(`plain-${door}`, T0);
    const compressed = gzipSync(JSON.stringify(gz));
    expect(compressed.length).toBeLessThan(JSON.stringify(gz).length / 5);
    const a = await post(compressed, "gzip");
    expect(a.status).toBe(201);
    const b = await post(JSON.stringify(plain));
    expect(b.status).toBe(201);
    // `x-gzip` and a stated `identity` are the same codings under other names (RFC 9110).
    expect((await post(gzipSync(JSON.stringify(bigBatch(`xgz-${door}`, T0))), "x-gzip")).status).toBe(201);
    expect((await post(JSON.stringify(bigBatch(`id-${door}`, T0)), "identity")).status).toBe(201);

    const rowsGz = await stored(`gz-${door}`);
    const rowsPlain = await stored(`plain-${door}`);
    expect(rowsGz).toHaveLength(600);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ system_name: _, ...rest }) => rest);
    expect(strip(rowsGz)).toEqual(strip(rowsPlain));
    // Every field as sent, the /proc stat fields included.
    const sent = gz.processes.find((p) => p.pid === 1007);
    expect(rowsGz.find((r) => r.pid === 1007)).toEqual({
      ...sent,
      system_name: `gz-${door}`,
      started_at: new Date(sent?.started_at as number).toISOString(),
      timestamp: new Date(T0).toISOString(),
    });
  });

  it("answers a zip bomb 413 without inflating it: 1 GiB of zeros in 1 MB of gzip", async () => {
    const body = bomb(1024);
    expect(body.length).toBeLessThan(2 * 1024 * 1024); // within the 5 MB limit as sent
    const before = process.memoryUsage().rss;
    const res = await post(body, "gzip");
    expect(res.status).toBe(413);
    expect(await messageOf(res)).toMatch(/too large: at most \d+ bytes/);
    // The app runs in this process: inflating the bomb would have taken a gigabyte.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });

  it("answers corrupt or truncated gzip 400, naming gzip, and stores nothing", async () => {
    const good = gzipSync(JSON.stringify(bigBatch(`corrupt-${door}`, T0)));
    const flipped = Buffer.from(good);
    for (let i = 20; i < 60; i++) flipped[i] = (flipped[i] as number) ^ 0xff;
    for (const body of [flipped, good.subarray(0, good.length - 100), Buffer.from("not gzip at all")]) {
      const res = await post(body, "gzip");
      expect(res.status).toBe(400);
      expect(await messageOf(res)).toMatch(/gzip/);
    }
    expect(await stored(`corrupt-${door}`)).toEqual([]);
  });

  it("answers an unknown or stacked Content-Encoding 415, naming it, and stores nothing", async () => {
    const body = JSON.stringify(bigBatch(`br-${door}`, T0));
    for (const encoding of ["br", "deflate", "gzip, br", "compress"]) {
      const res = await post(body, encoding);
      expect(res.status, encoding).toBe(415);
      expect(await messageOf(res)).toContain(`"${encoding}"`);
    }
    expect(await stored(`br-${door}`)).toEqual([]);
  });
});
