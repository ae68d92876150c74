/**
 * Servers that do not simply store the sample: the real server refusing it (4xx), a real HTTP server
 * answering garbage, and one that never answers. The agent drops what is refused (saying why), keeps
 * what failed, and stops cleanly with a send in flight.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { storeTarget } from "../support/stores.ts";
import {
  is,
  RUNTIMES,
  removeTempDirs,
  runAgent,
  spooledTimestamps,
  startAgent,
  storedRows,
  tempDir,
  timestampsOf,
  uniqueName,
} from "./support.ts";

const REFUSED = "server refused the sample; dropped";
const FAILED = "send failed; the sample stays in the spool";

/** A real HTTP server on a free port, answering every request with `handler`. */
async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const args = (server: string, systemName: string, spoolDir: string, ...more: string[]) => [
  "--server",
  server,
  "--system-name",
  systemName,
  "--spool-dir",
  spoolDir,
  "--log-level",
  "debug",
  ...more,
];

let real: ServerProcess;
let strict: ServerProcess;
let garbage: Awaited<ReturnType<typeof httpServer>>;
let silent: Awaited<ReturnType<typeof httpServer>>;

beforeAll(async () => {
  const target = await storeTarget("agent-bad");
  const env = {
    ...target.env,
  };
  // The real server, and the real server refusing every batch of more than one process (400).
  [real, strict] = await Promise.all([
    startServer({ env }),
    startServer({ env: { ...env, MAX_BATCH_PROCESSES: "1" } }),
  ]);
  garbage = await httpServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<html>certainly not json</html>");
  });
  silent = await httpServer(() => {
    // never answers
  });
});

afterAll(async () => {
  removeTempDirs();
  await Promise.all([real?.stop(), strict?.stop(), garbage?.close(), silent?.close()]);
});

describe.each(RUNTIMES)("agent under %s", (runtime) => {
  it("logs a 4xx with the server's message and drops the sample instead of retrying it", async () => {
    const spool = tempDir("refused");
    const agent = startAgent(runtime, args(strict.url, uniqueName("refused"), spool, "--interval", "0.5"));
    let refused: number[];
    try {
      const lines = await agent.waitForLogs(is(REFUSED), 3, "three refused samples");
      expect(lines[0]).toMatchObject({ status: 400 });
      expect(String(lines[0]?.message)).toContain("at most 1 processes per batch");
      refused = lines.map((l) => l.timestamp as number);
    } finally {
      await agent.stop();
    }
    expect((await agent.exited).code).toBe(0);
    expect(new Set(refused).size).toBe(refused.length); // each sample tried once, not retried
    expect(agent.logs().filter(is(FAILED))).toEqual([]);
    expect(spooledTimestamps(spool)).not.toEqual(expect.arrayContaining([refused[0]]));
  });

  it("--once exits 1 on a 4xx, naming the server's message", async () => {
    const spool = tempDir("refused-once");
    const run = await runAgent(runtime, args(strict.url, uniqueName("refused-once"), spool, "--once"));
    expect(run.code).toBe(1);
    expect(run.logs.find(is(REFUSED))?.message).toMatch(/at most 1 processes per batch/);
    expect(spooledTimestamps(spool)).toEqual([]);
  });

  it("keeps a sample a server answered with garbage, and delivers it once a real server answers", async () => {
    const name = uniqueName("garbage");
    const spool = tempDir("garbage");
    const bad = await runAgent(runtime, args(garbage.url, name, spool, "--once"));
    expect(bad.code).toBe(1);
    const failure = bad.logs.find((l) => l.level === "error" && String(l.msg).startsWith("send failed"));
    expect(failure?.reason).toContain("certainly not json");
    const kept = spooledTimestamps(spool);
    expect(kept).toEqual(timestampsOf(bad.logs, "sampled"));

    const good = await runAgent(runtime, args(real.url, name, spool, "--once"));
    expect(good.code).toBe(0);
    const sent = timestampsOf(good.logs, "sent");
    expect(sent).toEqual([...kept, ...timestampsOf(good.logs, "sampled")]);
    expect(spooledTimestamps(spool)).toEqual([]);
    const stored = (await storedRows(real.url, name, process.pid)).map((r) => r.time).sort((a, b) => a - b);
    expect(stored).toEqual(sent);
  });

  it("on SIGTERM lets the send in flight finish (here: time out), keeps its sample, exits 0", async () => {
    const spool = tempDir("silent");
    const before = silent.requests.length;
    const agent = startAgent(runtime, args(silent.url, uniqueName("silent"), spool, "--timeout", "3"));
    await agent.waitForLog(is("sampled"), "a sample");
    await waitUntil(() => silent.requests.length > before, "the request to reach the server");
    const exit = await agent.stop();
    expect(exit.code).toBe(0);
    const logs = agent.logs();
    const stopping = logs.findIndex(is("stopping"));
    const failed = logs.findIndex(is(FAILED));
    expect(stopping).toBeGreaterThanOrEqual(0);
    expect(failed).toBeGreaterThan(stopping); // it waited for the send in flight
    expect(logs[failed]?.reason).toBe("no answer within 3000 ms");
    expect(spooledTimestamps(spool)).toEqual(timestampsOf(logs, "sampled"));
  });
});

async function waitUntil(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
