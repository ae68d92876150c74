/**
 * The agent never loses a sample it took: a real agent process (Node and Deno) against the real
 * server on each store, through a server outage and through a `kill -9` of the agent itself.
 * Each agent writes every sample it takes to a sample log (PROCSCOPE_SAMPLE_LOG), and for every
 * sample it sent the stored rows are compared with all the processes it took, field by field.
 */

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { type StoreTarget, storeTarget } from "../support/stores.ts";
import {
  allStoredRows,
  compareStoredWithTaken,
  is,
  RUNTIMES,
  readSampleLog,
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

/** The agent's environment: where it logs the samples it takes. */
const sampleLog = (dir: string) => ({ PROCSCOPE_SAMPLE_LOG: join(dir, "samples.jsonl") });

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
    const logDir = tempDir("arrive-log");
    const agent = startAgent(runtime, agentArgs(server.url, name, tempDir("arrive")), sampleLog(logDir));
    try {
      const sent = await agent.waitForLog(is("sent"), "a sent sample");
      const rows = await storedRows(server.url, name, process.pid);
      const row = rows.find((r) => r.time === sent.timestamp);
      expect(row).toMatchObject({ system_name: name, pid: process.pid });
      expect(sent.accepted).toBe(sent.processes);
      // Every process of the sample, every field, as taken.
      const compared = compareStoredWithTaken(
        await allStoredRows(server.url, name),
        readSampleLog(sampleLog(logDir).PROCSCOPE_SAMPLE_LOG),
        [sent.timestamp as number],
      );
      expect(compared).toBe(sent.processes);
    } finally {
      await agent.stop();
    }
    expect((await agent.exited).code).toBe(0);
  });

  it("keeps sampling through a server outage, then stores every sample exactly once and in order", async () => {
    const name = uniqueName("outage");
    const logDir = tempDir("outage-log");
    const agent = startAgent(runtime, agentArgs(server.url, name, tempDir("outage")), sampleLog(logDir));
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
    // And for every one of them (those replayed from the spool included), every process it took.
    const taken = readSampleLog(sampleLog(logDir).PROCSCOPE_SAMPLE_LOG);
    expect(taken.map((s) => s.timestamp)).toEqual(sampled);
    const rows = await allStoredRows(server.url, name);
    const processes = sent.reduce(
      (n, ts) => n + (taken.find((s) => s.timestamp === ts)?.processes.length ?? 0),
      0,
    );
    expect(rows).toHaveLength(processes);
    expect(compareStoredWithTaken(rows, taken, sent)).toBe(processes);
  });

  it("loses nothing from its spool when killed with -9 and restarted", async () => {
    const name = uniqueName("kill9");
    const spool = tempDir("kill9");
    const logDir = tempDir("kill9-log");
    const port = await freePort(); // nothing listens here yet
    const url = `http://127.0.0.1:${port}`;
    const first = startAgent(runtime, agentArgs(url, name, spool), sampleLog(logDir));
    await first.waitForLogs(is("sampled"), 4, "four samples spooled while no server listens");
    expect((await first.kill()).signal).toBe("SIGKILL");
    expect(timestampsOf(first.logs(), "sent")).toEqual([]);
    // The spool as the kill left it (a sample spooled just before the kill may not be logged yet).
    const spooled = spooledTimestamps(spool);
    expect(spooled).toEqual(expect.arrayContaining(timestampsOf(first.logs(), "sampled")));

    const late = await startServer({ env: target.env, port });
    const second = startAgent(runtime, agentArgs(url, name, spool), sampleLog(logDir));
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
    // Every sample both agents took and the second sent, every process of it, field by field (a
    // sample spooled just before the kill may miss from the log: it is then compared by time only).
    const taken = readSampleLog(sampleLog(logDir).PROCSCOPE_SAMPLE_LOG);
    const logged = sent.filter((ts) => taken.some((s) => s.timestamp === ts));
    expect(logged.length).toBeGreaterThanOrEqual(sent.length - 1);
    expect(compareStoredWithTaken(await allStoredRows(server.url, name), taken, logged)).toBeGreaterThan(
      logged.length,
    );
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
