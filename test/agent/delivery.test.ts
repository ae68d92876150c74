/**
 * The agent never loses a sample it took: a real agent process (Node and Deno) against the real
 * server on each store, through a server outage and through a `kill -9` of the agent itself.
 * The samples are followed through the vitest worker's own process (its pid is in every sample).
 */

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { type StoreTarget, storeTarget } from "../support/stores.ts";
import {
  is,
  RUNTIMES,
  removeTempDirs,
  spooledTimestamps,
  startAgent,
  storedRows,
  tempDir,
  timestampsOf,
  uniqueName,
} from "./support.ts";

const agentArgs = (server: string, systemName: string, spoolDir: string) => [
  "--server",
  server,
  "--system-name",
  systemName,
  "--spool-dir",
  spoolDir,
  "--interval",
  "0.5",
  "--log-level",
  "debug",
];

const FAILED = "send failed; the sample stays in the spool";
const strictlyIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

describe.each(RUNTIMES)("agent under %s, against the real server", (runtime) => {
  let target: StoreTarget;
  let server: ServerProcess;

  beforeAll(async () => {
    target = await storeTarget("agent");
    server = await startServer({ env: target.env });
  });

  afterAll(async () => {
    removeTempDirs();
    await server?.stop();
  });

  it("submits samples that can then be queried", async () => {
    const name = uniqueName("arrive");
    const agent = startAgent(runtime, agentArgs(server.url, name, tempDir("arrive")));
    try {
      const sent = await agent.waitForLog(is("sent"), "a sent sample");
      const rows = await storedRows(server.url, name, process.pid);
      const row = rows.find((r) => r.time === sent.timestamp);
      expect(row).toMatchObject({ system_name: name, pid: process.pid });
      expect(sent.accepted).toBe(sent.processes);
    } finally {
      await agent.stop();
    }
    expect((await agent.exited).code).toBe(0);
  });

  it("keeps sampling through a server outage, then stores every sample exactly once and in order", async () => {
    const name = uniqueName("outage");
    const agent = startAgent(runtime, agentArgs(server.url, name, tempDir("outage")));
    let afterRestart: number;
    try {
      await agent.waitForLog(is("sent"), "a first sent sample");
      await server.stop();
      const beforeOutage = timestampsOf(agent.logs(), "sampled").length;
      await agent.waitForLogs(is(FAILED), 2, "two failed sends");
      await agent.waitForLogs(is("sampled"), beforeOutage + 4, "four samples taken during the outage");
      await server.restart();
      afterRestart = timestampsOf(agent.logs(), "sampled").length;
      const lastBeforeRestart = timestampsOf(agent.logs(), "sampled")[afterRestart - 1];
      // Everything sampled until the server was back, and one sample taken after it, get sent.
      await agent.waitForLog(
        (l) => l.msg === "sent" && l.timestamp === lastBeforeRestart,
        "the backlog sent",
      );
      await agent.waitForLogs(is("sent"), afterRestart + 1, "a sample taken after the restart sent");
    } finally {
      await agent.stop();
    }
    expect((await agent.exited).code).toBe(0);
    const sampled = timestampsOf(agent.logs(), "sampled");
    const sent = timestampsOf(agent.logs(), "sent");
    expect(agent.logs().filter(is("server answers again; replaying the spool")).length).toBeGreaterThan(0);
    // Sent in sampling order, none twice, none skipped.
    expect(strictlyIncreasing(sent)).toBe(true);
    expect(sent.slice(0, afterRestart + 1)).toEqual(sampled.slice(0, afterRestart + 1));
    // Stored: exactly the sent samples, each exactly once.
    const stored = (await storedRows(server.url, name, process.pid)).map((r) => r.time).sort((a, b) => a - b);
    expect(stored).toEqual(sent);
  });

  it("loses nothing from its spool when killed with -9 and restarted", async () => {
    const name = uniqueName("kill9");
    const spool = tempDir("kill9");
    const port = await freePort(); // nothing listens here yet
    const url = `http://127.0.0.1:${port}`;
    const first = startAgent(runtime, agentArgs(url, name, spool));
    await first.waitForLogs(is("sampled"), 4, "four samples spooled while no server listens");
    expect((await first.kill()).signal).toBe("SIGKILL");
    expect(timestampsOf(first.logs(), "sent")).toEqual([]);
    // The spool as the kill left it (a sample spooled just before the kill may not be logged yet).
    const spooled = spooledTimestamps(spool);
    expect(spooled).toEqual(expect.arrayContaining(timestampsOf(first.logs(), "sampled")));

    const late = await startServer({ env: target.env, port });
    const second = startAgent(runtime, agentArgs(url, name, spool));
    try {
      await second.waitForLog(is("spool has unsent samples"), "the spool found again");
      const last = spooled.at(-1);
      await second.waitForLog(
        (l) => l.msg === "sent" && l.timestamp === last,
        "the last spooled sample sent",
      );
    } finally {
      await second.stop();
      await late.stop();
    }
    expect((await second.exited).code).toBe(0);
    const sent = timestampsOf(second.logs(), "sent");
    expect(strictlyIncreasing(sent)).toBe(true);
    expect(sent.slice(0, spooled.length)).toEqual(spooled);
    const stored = (await storedRows(server.url, name, process.pid)).map((r) => r.time).sort((a, b) => a - b);
    expect(stored).toEqual(expect.arrayContaining(spooled));
    expect(new Set(stored).size).toBe(stored.length);
  });

  it("bounds its spool during a long outage: the oldest samples go, counted and logged", async () => {
    const spool = tempDir("full");
    const port = await freePort(); // nothing listens here
    const maxBytes = 0.03 * 1024 * 1024;
    const agent = startAgent(runtime, [
      ...agentArgs(`http://127.0.0.1:${port}`, uniqueName("full"), spool),
      "--spool-max-mb",
      "0.03",
    ]);
    try {
      const drops = await agent.waitForLogs(
        is("spool full: dropped the oldest unsent sample"),
        3,
        "three drops",
      );
      expect(drops.map((l) => l.dropped_total)).toEqual([1, 2, 3]);
    } finally {
      await agent.stop();
    }
    const files = readdirSync(spool).map((f) => statSync(join(spool, f)).size);
    expect(files.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxBytes);
    // What is left is the newest samples, in order.
    const sampled = timestampsOf(agent.logs(), "sampled");
    expect(sampled.slice(-spooledTimestamps(spool).length)).toEqual(spooledTimestamps(spool));
  });
});
