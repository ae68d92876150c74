/** Safe defaults of the real entry point: loopback unless told, and never open to a network by accident. */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { startServer } from "../../harness/server.ts";
import { storeTarget } from "../support/stores.ts";

const root = resolve(import.meta.dirname, "..", "..");
const TOKEN = "agent-token-0123456789abcdef";

function runServer(env: Record<string, string>) {
  return spawnSync(join(root, "node_modules", ".bin", "tsx"), [join(root, "server", "main.ts")], {
    env: { ...process.env, INFLUX_URL: "http://127.0.0.1:9", INFLUX_TOKEN: "t", PORT: "0", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

describe("start-up", () => {
  it("refuses to listen on a non-loopback address without tokens, and says why", () => {
    const res = runServer({ HOST: "0.0.0.0" });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/HOST: listening on 0\.0\.0\.0 with no API tokens/);
    expect(res.stderr).toMatch(/ALLOW_UNAUTHENTICATED=1/);
  });

  it("reports every bad variable by name, without echoing secrets", () => {
    const res = runServer({
      PORT: "99999",
      TZ: "Nowhere/City",
      API_TOKENS: "broken-entry-with-a-secret-value",
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/PORT/);
    expect(res.stderr).toMatch(/TZ/);
    const tokens = runServer({ API_TOKENS: "agent:admin:0123456789abcdef0123" });
    expect(tokens.stderr).toMatch(/API_TOKENS: entry 1 \(agent\): scopes must be read, write or read\+write/);
    expect(tokens.stderr).not.toContain("0123456789abcdef0123");
  });

  it("starts on 0.0.0.0 with tokens (or with ALLOW_UNAUTHENTICATED=1); logs carry no secret", async () => {
    const target = await storeTarget("startup");
    const env = {
      ...target.env,
      HOST: "0.0.0.0",
      LOG_LEVEL: "debug",
    };
    const withTokens = await startServer({ env: { ...env, API_TOKENS: `agent:write:${TOKEN}` } });
    try {
      const res = await fetch(`${withTokens.url}/api/process-data/`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          system_name: "s",
          processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }],
        }),
      });
      expect(res.status).toBe(201);
      const denied = await fetch(`${withTokens.url}/api/systems/`, {
        headers: { authorization: `Bearer ${TOKEN}x` },
      });
      expect(denied.status).toBe(401);
    } finally {
      await withTokens.stop();
    }
    const log = withTokens.output();
    expect(log).toMatch(/"msg":"listening"/);
    expect(log).not.toContain(TOKEN);
    for (const secret of target.secrets) expect(log).not.toContain(secret);

    const open = await startServer({ env: { ...env, ALLOW_UNAUTHENTICATED: "1" } });
    try {
      expect((await fetch(`${open.url}/api/systems/`)).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
