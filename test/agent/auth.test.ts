/**
 * The agent against the real server with API tokens configured: the token goes out as a Bearer
 * token, and a missing or wrong one is the agent's misconfiguration, not a bad sample, so the
 * sample waits in the spool (until the token is fixed) instead of being dropped. The token never
 * reaches the agent's logs.
 */
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshBucket } from "../support/influx.ts";
import { type ServerProcess, startServer } from "../support/server.ts";
import {
  is,
  RUNTIMES,
  removeTempDirs,
  runAgent,
  spooledTimestamps,
  storedRows,
  tempDir,
  uniqueName,
} from "./support.ts";

const WRITE_TOKEN = "agent-write-token-0123456789";
const READ_TOKEN = "reader-read-token-0123456789";
const WRONG_TOKEN = "wrong-token-abcdefghijklmnop";

let server: ServerProcess;

beforeAll(async () => {
  const conn = await freshBucket("agent-auth");
  server = await startServer({
    env: {
      INFLUX_URL: conn.url,
      INFLUX_TOKEN: conn.token,
      INFLUX_ORG: conn.org,
      INFLUX_BUCKET: conn.bucket,
      API_TOKENS: `agent:write:${WRITE_TOKEN},reader:read:${READ_TOKEN}`,
    },
  });
});

afterAll(async () => {
  removeTempDirs();
  await server?.stop();
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
});
