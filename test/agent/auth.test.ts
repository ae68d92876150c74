/**
 * The agent against the real server with API tokens configured: the token goes out as a Bearer
 * token, and a missing or wrong one is the agent's misconfiguration, not a bad sample, so the
 * sample waits in the spool (until the token is fixed) instead of being dropped. The token never
 * reaches the agent's logs. A rate-limited agent (429) waits as long as the server's Retry-After
 * says, and loses nothing.
 */
import { readdirSync } from "node:fs";
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

const WRITE_TOKEN = "agent-write-token-0123456789";
const READ_TOKEN = "reader-read-token-0123456789";
const WRONG_TOKEN = "wrong-token-abcdefghijklmnop";

let server: ServerProcess;
/** The same, allowing each token 6 submissions a minute (a burst of 6, then one every 10 s). */
let limited: ServerProcess;
/** One token per runtime on the limited server, so each starts with a full allowance. */
const LIMITED_TOKENS = { node: "node-agent-write-token-0123", deno: "deno-agent-write-token-0123" };

beforeAll(async () => {
  const target = await storeTarget("agent-auth");
  const env = {
    ...target.env,
    API_TOKENS: `agent:write:${WRITE_TOKEN},reader:read:${READ_TOKEN}`,
  };
  [server, limited] = await Promise.all([
    startServer({ env }),
    startServer({
      env: {
        ...env,
        API_TOKENS: `node:write:${LIMITED_TOKENS.node},deno:write:${LIMITED_TOKENS.deno}`,
        WRITE_RATE_PER_MINUTE: "6",
      },
    }),
  ]);
});

afterAll(async () => {
  removeTempDirs();
  await Promise.all([server?.stop(), limited?.stop()]);
});

const once = (runtime: (typeof RUNTIMES)[number], name: string, spool: string, token: string) =>
  runAgent(
    runtime,
    ["--once", "--server", server.url, "--system-name", name, "--spool-dir", spool, "--log-level", "debug"],
    { PROCSCOPE_TOKEN: token },
  );

describe.each(RUNTIMES)("agent under %s, server with API tokens", (runtime) => {
  it("keeps a sample refused for a wrong token, and delivers it once the token is right", async () => {
    const name = uniqueName("auth");
    const spool = tempDir("auth");
    const wrong = await once(runtime, name, spool, WRONG_TOKEN);
    expect(wrong.code).toBe(1);
    expect(wrong.logs.find((l) => String(l.msg).startsWith("send failed"))).toMatchObject({ status: 401 });
    expect(spooledTimestamps(spool)).toHaveLength(1);
    expect(wrong.stderr).not.toContain(WRONG_TOKEN);

    const right = await once(runtime, name, spool, WRITE_TOKEN);
    expect(right.code).toBe(0);
    expect(right.logs.filter(is("sent"))).toHaveLength(2);
    expect(right.stderr).not.toContain(WRITE_TOKEN);
    expect(readdirSync(spool)).toEqual([]);
    const stored = await storedRows(server.url, name, process.pid, READ_TOKEN);
    expect(stored.map((r) => r.time).sort((a, b) => a - b)).toEqual(
      right.logs.filter(is("sent")).map((l) => l.timestamp),
    );
  });

  it("when rate limited (429), waits as long as Retry-After says and loses nothing", async () => {
    const name = uniqueName("limited");
    const agent = startAgent(
      runtime,
      [
        "--server",
        limited.url,
        "--system-name",
        name,
        "--spool-dir",
        tempDir("limited"),
        "--interval",
        "0.5",
        "--log-level",
        "debug",
      ],
      { PROCSCOPE_TOKEN: LIMITED_TOKENS[runtime] },
    );
    let sent: number[];
    try {
      const [limit] = await agent.waitForLogs((l) => l.status === 429, 1, "a 429");
      // Our own first backoff is at most 0.5 s here; the server asks for up to 10 s.
      expect(limit?.retry_in_ms).toBeGreaterThanOrEqual(1000);
      sent = (await agent.waitForLogs(is("sent"), 3, "three samples sent")).map((l) => l.timestamp as number);
    } finally {
      await agent.stop();
    }
    expect(agent.logs().filter(is("server refused the sample; dropped"))).toEqual([]);
    expect(sent).toEqual(timestampsOf(agent.logs(), "sampled").slice(0, 3));
  });
});
