/**
 * InfluxDB stopped in the middle of ingest from real agent processes (agent/main.ts under tsx,
 * sampling every second): while it is down the server answers 503 with Retry-After and stays up,
 * the agents keep sampling into their spools, and once InfluxDB is back every sample each agent
 * took is stored exactly once. The outage lasts OUTAGE_SECONDS (default 30, as the issue asks).
 *
 * A sample is followed through the vitest worker's own process, which is in every sample (its pid
 * is stable): the agent logs the instant of each sample it takes ("sampled") and sends ("sent").
 */
import { readdirSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InfluxdInstance, influxEnv, startInfluxd } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { type AgentProcess, is, startAgent, tempDir, timestampsOf, uniqueName } from "../agent/support.ts";
import { duplicates, storedRows } from "../load/agents.ts";
import { influx } from "../support/influx.ts";

const OUTAGE_SECONDS = Number(process.env.OUTAGE_SECONDS ?? 30);
const AGENTS = 2;
const FAILED = "send failed; the sample stays in the spool";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("InfluxDB stopped during ingest from real agents", () => {
  let db: InfluxdInstance;
  let server: ServerProcess;
  const agents: { name: string; spool: string; process: AgentProcess }[] = [];

  beforeAll(async () => {
    const { binary } = influx();
    if (!binary) {
      throw new Error(
        "this suite stops and starts an influxd of its own: it needs a binary (INFLUXD_BIN or the build cache)",
      );
    }
    db = await startInfluxd({ binary });
    server = await startServer({
      env: {
        ...influxEnv(db),
        STORAGE_TIMEOUT_MS: "2000",
        LOG_LEVEL: "warn",
      },
    });
  });

  afterAll(async () => {
    for (const a of agents) await a.process.stop();
    for (const a of agents) rmSync(a.spool, { recursive: true, force: true });
    await server?.stop();
    await db?.dispose();
  });

  it(`answers 503 for ${OUTAGE_SECONDS} s, stays up, and stores every sample exactly once afterwards`, async () => {
    const from = Date.now() - 60_000;
    for (let i = 0; i < AGENTS; i++) {
      const name = uniqueName(`outage-${i}`);
      const spool = tempDir("outage-spool");
      const args = ["--server", server.url, "--system-name", name, "--spool-dir", spool];
      agents.push({
        name,
        spool,
        process: startAgent("node", [...args, "--interval", "1", "--log-level", "debug"]),
      });
    }
    for (const a of agents) await a.process.waitForLogs(is("sent"), 2, "two samples sent", 60_000);
    const serverPid = server.child().pid;

    // ---- InfluxDB goes away.
    await db.stop();
    const outageStart = Date.now();
    const probe = {
      system_name: uniqueName("probe"),
      timestamp: Date.now(),
      processes: [{ pid: 1, name: "probe", cpu_percent: 0, memory_percent: 0 }],
    };
    const answers: number[] = [];
    let sawRetryAfter = false;
    while (Date.now() - outageStart < OUTAGE_SECONDS * 1000) {
      const res = await fetch(`${server.url}/api/process-data/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(probe),
      });
      const body = (await res.json()) as { success: boolean };
      answers.push(res.status);
      expect(body.success).toBe(false);
      sawRetryAfter ||= Number(res.headers.get("retry-after")) > 0;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      await sleep(1000);
    }
    expect(new Set(answers)).toEqual(new Set([503]));
    expect(sawRetryAfter).toBe(true);
    // The agents were told 503 too, kept sampling, and spooled.
    for (const a of agents) {
      const failed = a.process.logs().filter(is(FAILED));
      expect(failed.length, a.name).toBeGreaterThan(0);
      expect(new Set(failed.map((l) => l.status)), a.name).toEqual(new Set([503]));
      const sampledDuring = timestampsOf(a.process.logs(), "sampled").filter((t) => t >= outageStart);
      expect(sampledDuring.length, a.name).toBeGreaterThan(OUTAGE_SECONDS / 4);
    }

    // ---- InfluxDB is back: every agent replays its spool, then is caught up (nothing pending).
    await db.start();
    const back = Date.now();
    for (const a of agents) {
      await a.process.waitForLog(is("server answers again; replaying the spool"), "the replay", 90_000);
      await a.process.waitForLog(
        (l) => l.msg === "sent" && l.pending === 0 && (l.timestamp as number) >= back,
        "the spool drained",
        90_000,
      );
    }
    for (const a of agents) expect((await a.process.stop()).code, a.name).toBe(0);
    expect(server.child().pid).toBe(serverPid);
    expect(server.child().exitCode).toBeNull();

    // ---- Every sample taken is stored once; the ones not yet sent when the agent stopped are
    // still in its spool, not lost.
    for (const a of agents) {
      const logs = a.process.logs();
      const sampled = timestampsOf(logs, "sampled");
      const sent = timestampsOf(logs, "sent");
      expect(duplicates(sent).size, a.name).toBe(0);
      const spooled = readdirSync(a.spool).filter((f) => !f.endsWith(".tmp")).length;
      expect(sent.length + spooled, a.name).toBe(sampled.length);
      expect(sampled.slice(0, sent.length), a.name).toEqual(sent);
      const rows = await storedRows(server.url, a.name, from, Date.now() + 60_000, {
        pid: String(process.pid),
      });
      const stored = rows.map((r) => r.timestamp);
      expect(duplicates(stored).size, a.name).toBe(0);
      expect(
        stored.sort((x, y) => x - y),
        a.name,
      ).toEqual(sent);
      // Among them every sample taken while InfluxDB was down.
      expect(stored.filter((t) => t >= outageStart && t < back).length, a.name).toBeGreaterThan(0);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  }, 300_000);
});
