/**
 * The sender in-process (fast, so mutation testing can use it): a real Spool on a real directory,
 * the real tRPC client, and real HTTP servers — the app over a real SQLite file, and plain HTTP
 * servers that answer as a failing server would (503 with Retry-After, a refusal).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backoff } from "../../agent/backoff.ts";
import { createSubmit, type Outcome } from "../../agent/client.ts";
import { createLogger, type Logger } from "../../agent/log.ts";
import type { SubmitPayload } from "../../agent/payload.ts";
import { Sender } from "../../agent/sender.ts";
import { Spool } from "../../agent/spool.ts";
import { createLogger as serverLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { removeTempDirs, tempDir } from "./support.ts";

const T0 = Date.UTC(2026, 2, 3, 8, 0, 0);

/** A batch of `size` processes, every field set, values distinct per (timestamp, i). */
const batch = (timestamp: number, size = 40, system_name = "sender-test"): SubmitPayload => ({
  system_name,
  timestamp,
  processes: Array.from({ length: size }, (_, i) => ({
    pid: 100 + i,
    name: i % 3 ? `worker ${i % 5}` : "main",
    cpu_percent: ((timestamp / 1000 + i) % 97) / 3,
    memory_percent: (i % 50) / 7,
    memory_rss: 4096 * (i + 1),
    started_at: T0 - 60_000 - i,
    user: "svc",
    command: `/bin/w --n=${i}`,
    state: "sleeping",
    parent_pid: 1,
  })),
});

function recorder(): { log: Logger; lines: { msg: string; [k: string]: unknown }[] } {
  const lines: { msg: string; [k: string]: unknown }[] = [];
  return { log: createLogger("debug", (l) => lines.push(JSON.parse(l))), lines };
}

/** A real HTTP server answering /trpc/process.submit from a script, recording each (gunzip'd) body. */
async function scripted(
  answers: { status: number; retryAfter?: string; delayMs?: number }[],
  fallback = 200,
) {
  const bodies: SubmitPayload[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => {
      chunks.push(c);
    });
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString();
      const payload = JSON.parse(text) as SubmitPayload;
      bodies.push(payload);
      const answer = answers.shift() ?? { status: fallback };
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (answer.retryAfter) headers["retry-after"] = answer.retryAfter;
      setTimeout(() => {
        res.writeHead(answer.status, headers);
        res.end(
          answer.status === 200
            ? JSON.stringify({
                result: { data: { success: true, message: "ok", accepted: payload.processes.length } },
              })
            : JSON.stringify({
                error: { message: "storage unavailable", code: -32603, data: { httpStatus: answer.status } },
              }),
        );
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const until = async (check: () => boolean, what: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("Sender", () => {
  let app: RunningApp;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "procscope-sender-"));
    const store = new SqliteStore({ dataDir, retentionDays: 36_500, log: serverLogger("silent") });
    app = await startApp(undefined, { store });
  });

  afterAll(async () => {
    await app?.close();
    await app?.store.close();
    rmSync(dataDir, { recursive: true, force: true });
    removeTempDirs();
  });

  it("delivers a backlog in spool order, every process of every batch, and empties the spool", async () => {
    const { log, lines } = recorder();
    const spool = new Spool(tempDir("sender-backlog"), 1e7, log).open();
    const sent = [0, 1, 2, 3, 4].map((i) => batch(T0 + i * 5000, 40 + i, "backlog"));
    for (const b of sent) spool.put(b);
    const sender = new Sender(
      spool,
      createSubmit({ server: app.url, token: undefined, timeoutMs: 5000 }, log),
      new Backoff(10, 100),
      log,
    );
    sender.start();
    await until(() => spool.count === 0, "the spool drained");
    await sender.stop();
    expect(lines.filter((l) => l.msg === "sent").map((l) => [l.timestamp, l.processes, l.accepted])).toEqual(
      sent.map((b) => [b.timestamp, b.processes.length, b.processes.length]),
    );
    const rows = await app.store.filter({
      ranges: [{ start: T0, stop: T0 + 60_000 }],
      system_name: "backlog",
      offset: 0,
      limit: 10_000,
    });
    const want = sent.flatMap((b) =>
      b.processes.map((p) => ({ ...p, system_name: b.system_name, timestamp: b.timestamp as number })),
    );
    const order = (a: { timestamp: number; pid: number }, b: { timestamp: number; pid: number }) =>
      a.timestamp - b.timestamp || a.pid - b.pid;
    expect([...rows.rows].sort(order)).toEqual(want.sort(order));
  });

  it("keeps a failed batch first in line, retries it (backoff, then Retry-After), then sends the rest in order", async () => {
    const server = await scripted([{ status: 503 }, { status: 503, retryAfter: "0.2" }, { status: 200 }]);
    try {
      const { log, lines } = recorder();
      const spool = new Spool(tempDir("sender-retry"), 1e7, log).open();
      const sent = [0, 1, 2].map((i) => batch(T0 + i * 5000, 31));
      for (const b of sent) spool.put(b);
      const sender = new Sender(
        spool,
        createSubmit({ server: server.url, token: undefined, timeoutMs: 5000 }, log),
        new Backoff(10, 20, () => 1),
        log,
      );
      const started = performance.now();
      sender.start();
      await until(() => spool.count === 0, "the spool drained");
      const took = performance.now() - started;
      await sender.stop();
      // The first batch three times (two failures), then the other two: whole, in order.
      expect(server.bodies.map((b) => b.timestamp)).toEqual([T0, T0, T0, T0 + 5000, T0 + 10_000]);
      expect(server.bodies.map((b) => b.processes.length)).toEqual([31, 31, 31, 31, 31]);
      expect(server.bodies[2]).toEqual(sent[0]);
      expect(server.bodies[4]).toEqual(sent[2]);
      const failed = lines.filter((l) => l.msg === "send failed; the sample stays in the spool");
      expect(failed.map((l) => [l.status, l.pending, l.attempt, l.retry_in_ms])).toEqual([
        [503, 3, 1, 10],
        [503, 3, 2, 200], // the server's Retry-After (200 ms) wins over the backoff's 20 ms
      ]);
      expect(took).toBeGreaterThanOrEqual(200);
      expect(
        lines.filter((l) => l.msg === "server answers again; replaying the spool").map((l) => l.pending),
      ).toEqual([2]);
    } finally {
      await server.close();
    }
  });

  it("drops a refused batch (logged with the server's reasons) and sends the next one", async () => {
    const { log, lines } = recorder();
    const spool = new Spool(tempDir("sender-refused"), 1e7, log).open();
    const bad = batch(T0 + 1000, 3, "refused");
    (bad.processes[1] as { name: string }).name = "bad\u0001name";
    spool.put(bad);
    spool.put(batch(T0 + 6000, 3, "refused"));
    const sender = new Sender(
      spool,
      createSubmit({ server: app.url, token: undefined, timeoutMs: 5000 }, log),
      new Backoff(10, 100),
      log,
    );
    sender.start();
    await until(() => spool.count === 0, "the spool drained");
    await sender.stop();
    const refused = lines.find((l) => l.msg === "server refused the sample; dropped");
    expect(refused).toMatchObject({ timestamp: T0 + 1000, processes: 3, status: 400 });
    expect(JSON.stringify(refused?.errors)).toContain("processes.1.name");
    expect(lines.filter((l) => l.msg === "sent").map((l) => l.timestamp)).toEqual([T0 + 6000]);
  });

  it("deliver: drops an unreadable spool file as refused, and a failure leaves the batch spooled", async () => {
    const { log, lines } = recorder();
    const dir = tempDir("sender-corrupt");
    writeFileSync(join(dir, "000000000001.json.gz"), "not gzip");
    const spool = new Spool(dir, 1e7, log).open();
    spool.put(batch(T0, 2));
    const down = await scripted([{ status: 503 }]);
    try {
      const sender = new Sender(
        spool,
        createSubmit({ server: down.url, token: undefined, timeoutMs: 5000 }, log),
        new Backoff(10, 100),
        log,
      );
      const first = spool.take();
      if (!first) throw new Error("empty spool");
      expect(await sender.deliver(first)).toEqual({
        kind: "refused",
        status: 0,
        message: "unreadable spool file",
      });
      expect(spool.count).toBe(1);
      expect(lines.find((l) => l.msg === "unreadable spooled sample dropped")).toMatchObject({
        batch: "000000000001.json.gz",
      });
      const second = spool.take();
      if (!second) throw new Error("lost the batch");
      const outcome: Outcome = await sender.deliver(second);
      expect(outcome).toMatchObject({ kind: "failed", status: 503 });
      expect(spool.count).toBe(1);
      expect(spool.take()).toBe(second);
    } finally {
      await down.close();
    }
  });

  it("wakes on notify when idle, and stops promptly", async () => {
    const { log, lines } = recorder();
    const spool = new Spool(tempDir("sender-idle"), 1e7, log).open();
    const sender = new Sender(
      spool,
      createSubmit({ server: app.url, token: undefined, timeoutMs: 5000 }, log),
      new Backoff(10, 100),
      log,
    );
    sender.start();
    await new Promise((r) => setTimeout(r, 20));
    spool.put(batch(T0 + 30_000, 2, "idle"));
    sender.notify();
    await until(() => spool.count === 0, "the batch sent after notify");
    expect(lines.filter((l) => l.msg === "sent")).toHaveLength(1);
    await sender.stop();
  });

  it("notify and stop are safe on a sender that never started", async () => {
    const spool = new Spool(tempDir("sender-unstarted"), 1e7, createLogger("silent")).open();
    const sender = new Sender(
      spool,
      createSubmit({ server: app.url, token: undefined, timeoutMs: 5000 }, createLogger("silent")),
      new Backoff(10, 100),
      createLogger("silent"),
    );
    sender.notify();
    await sender.stop();
  });

  it("a new batch does not cut a backoff short, stop does; nothing is sent after stop", async () => {
    const down = await scripted([], 503);
    try {
      const { log, lines } = recorder();
      const spool = new Spool(tempDir("sender-backoff"), 1e7, log).open();
      spool.put(batch(T0, 2));
      const sender = new Sender(
        spool,
        createSubmit({ server: down.url, token: undefined, timeoutMs: 5000 }, log),
        new Backoff(4000, 4000, () => 1),
        log,
      );
      sender.start();
      await until(
        () => lines.some((l) => l.msg === "send failed; the sample stays in the spool"),
        "a failure",
      );
      spool.put(batch(T0 + 5000, 2));
      sender.notify();
      await new Promise((r) => setTimeout(r, 300));
      expect(down.bodies).toHaveLength(1); // still backing off (4 s)
      const stopping = performance.now();
      await sender.stop();
      expect(performance.now() - stopping).toBeLessThan(2000); // stop ends the 4 s wait
      spool.put(batch(T0 + 10_000, 2));
      sender.notify();
      await new Promise((r) => setTimeout(r, 100));
      expect(down.bodies).toHaveLength(1);
      expect(spool.count).toBe(3);
    } finally {
      await down.close();
    }
  });

  it("stop during a failing send returns once it is answered, without waiting out the backoff", async () => {
    const slow = await scripted([{ status: 503, delayMs: 300 }], 503);
    try {
      const spool = new Spool(tempDir("sender-inflight"), 1e7, createLogger("silent")).open();
      spool.put(batch(T0, 2));
      const sender = new Sender(
        spool,
        createSubmit({ server: slow.url, token: undefined, timeoutMs: 5000 }, createLogger("silent")),
        new Backoff(20_000, 20_000, () => 1),
        createLogger("silent"),
      );
      sender.start();
      await until(() => slow.bodies.length === 1, "the send in flight");
      const stopping = performance.now();
      await sender.stop();
      expect(performance.now() - stopping).toBeLessThan(5000); // not the 20 s backoff
      expect(spool.count).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it("after stop() resolves nothing more is sent, however short the backoff", async () => {
    const down = await scripted([], 503);
    try {
      const spool = new Spool(tempDir("sender-stopped"), 1e7, createLogger("silent")).open();
      spool.put(batch(T0, 2));
      const sender = new Sender(
        spool,
        createSubmit({ server: down.url, token: undefined, timeoutMs: 5000 }, createLogger("silent")),
        new Backoff(20, 20, () => 1),
        createLogger("silent"),
      );
      sender.start();
      await until(() => down.bodies.length >= 2, "two attempts");
      await sender.stop();
      const attempts = down.bodies.length;
      await new Promise((r) => setTimeout(r, 200)); // ten backoffs: a sender still running would try again
      expect(down.bodies).toHaveLength(attempts);
      expect(spool.count).toBe(1);
    } finally {
      await down.close();
    }
  });

  it("logs a batch spooled under the earlier naming (no instant or count in its name) with the count the server accepted", async () => {
    const { log, lines } = recorder();
    const dir = tempDir("sender-old-names");
    const good = batch(T0 + 40_000, 7, "old-names");
    const bad = batch(T0 + 45_000, 2, "old-names");
    (bad.processes[0] as { name: string }).name = "bad\u0001name";
    writeFileSync(join(dir, "000000000001.json.gz"), gzipSync(JSON.stringify(good)));
    writeFileSync(join(dir, "000000000002.json.gz"), gzipSync(JSON.stringify(bad)));
    const spool = new Spool(dir, 1e7, log).open();
    const sender = new Sender(
      spool,
      createSubmit({ server: app.url, token: undefined, timeoutMs: 5000 }, log),
      new Backoff(10, 100),
      log,
    );
    for (let entry = spool.take(); entry; entry = spool.take()) await sender.deliver(entry);
    expect(lines.filter((l) => l.msg === "sent")).toEqual([
      {
        time: expect.any(String),
        level: "debug",
        msg: "sent",
        processes: 7,
        accepted: 7,
        bytes: expect.any(Number),
        pending: 1,
      },
    ]);
    const refused = lines.filter((l) => l.msg === "server refused the sample; dropped");
    expect(refused).toEqual([
      {
        time: expect.any(String),
        level: "error",
        msg: "server refused the sample; dropped",
        batch: "000000000002.json.gz",
        status: 400,
        message: expect.any(String),
        errors: expect.anything(),
      },
    ]);
    const rows = await app.store.filter({
      ranges: [{ start: T0, stop: T0 + 60_000 }],
      system_name: "old-names",
      offset: 0,
      limit: 100,
    });
    expect([...rows.rows].sort((a, b) => a.pid - b.pid)).toEqual(
      good.processes
        .map((p) => ({ ...p, system_name: "old-names", timestamp: T0 + 40_000 }))
        .sort((a, b) => a.pid - b.pid),
    );
  });
});
