/** The /proc collector against this machine's real processes (children started for the purpose). */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { symlinkSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SystemInformationCollector } from "../../agent/collect/fallback.ts";
import { ProcCollector } from "../../agent/collect/linux.ts";
import type { ProcessSample } from "../../agent/collect/types.ts";
import { toPayload } from "../../agent/payload.ts";
import { SubmitIn } from "../../server/schemas.ts";
import { removeTempDirs, tempDir } from "./support.ts";

const children: ChildProcess[] = [];
const start = (command: string, args: string[]) => {
  const child = spawn(command, args, { stdio: "ignore" });
  children.push(child);
  return child.pid as number;
};
const find = (processes: ProcessSample[], pid: number) => {
  const found = processes.find((p) => p.pid === pid);
  if (!found) throw new Error(`pid ${pid} not in the sample`);
  return found;
};

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

afterAll(removeTempDirs);

describe("ProcCollector", () => {
  it("describes a process: name, parent, command, user, state, start time, memory", async () => {
    const startedAround = Date.now();
    const pid = start("sleep", ["30"]);
    await new Promise((r) => setTimeout(r, 200));
    const { processes, timestamp } = await new ProcCollector().sample();
    const me = find(processes, pid);
    expect(me).toMatchObject({
      name: "sleep",
      parent_pid: process.pid,
      command: "sleep 30",
      user: userInfo().username,
      state: "sleeping",
    });
    // Boot time has whole-second resolution, so the start time is good to about a second.
    expect(Math.abs((me.started_at as number) - startedAround)).toBeLessThan(2000);
    expect(me.memory_rss).toBeGreaterThan(0);
    expect(me.memory_percent).toBeGreaterThan(0);
    expect(me.memory_percent).toBeLessThan(100);
    expect(timestamp).toBeGreaterThanOrEqual(startedAround);
    expect(find(processes, process.pid).name).toBeTruthy();
  });

  it("measures CPU since the previous sample: a busy process shows it, a sleeping one does not", async () => {
    const busy = start(process.execPath, ["-e", "for (;;) {}"]);
    const idle = start("sleep", ["30"]);
    const collector = new ProcCollector();
    await collector.sample();
    await new Promise((r) => setTimeout(r, 1000));
    const { processes } = await collector.sample();
    expect(find(processes, busy).cpu_percent).toBeGreaterThan(5);
    expect(find(processes, idle).cpu_percent).toBe(0);
  });

  it("notices an exec (same pid, new program) on the next sample", async () => {
    const fifo = join(tempDir("exec"), "go");
    spawnSync("mkfifo", [fifo]);
    const pid = start("sh", ["-c", `read _ < ${fifo}; exec sleep 30`]);
    const collector = new ProcCollector();
    let seen = find((await collector.sample()).processes, pid);
    expect(seen).toMatchObject({ name: "sh", command: `sh -c read _ < ${fifo}; exec sleep 30` });
    writeFileSync(fifo, "go\n"); // lets sh go on to exec
    const deadline = Date.now() + 20_000;
    while (seen.name !== "sleep" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      seen = find((await collector.sample()).processes, pid);
    }
    expect(seen).toMatchObject({ name: "sleep", command: "sleep 30" });
  });

  it("reports names the server would refuse in a form it accepts", async () => {
    const dir = tempDir("names");
    const weird = join(dir, "tab\there\nnl");
    symlinkSync("/bin/sleep", weird);
    const pid = start(weird, ["30"]);
    await new Promise((r) => setTimeout(r, 200));
    const sample = await new ProcCollector().sample();
    expect(find(sample.processes, pid).name).toBe("tab\there\nnl");
    const payload = toPayload("names", sample);
    expect(payload.processes.find((p) => p.pid === pid)?.name).toBe("tab\uFFFDhere\uFFFDnl");
    expect(SubmitIn.safeParse(payload).error).toBeUndefined();
  });
});

describe("SystemInformationCollector (the fallback for other platforms, run here on Linux)", () => {
  it("describes this process well enough for the server", async () => {
    const sample = await new SystemInformationCollector().sample();
    const me = find(sample.processes, process.pid);
    expect(me.parent_pid).toBe(process.ppid);
    expect(me.memory_rss).toBeGreaterThan(0);
    expect(Math.abs((me.started_at as number) - (Date.now() - process.uptime() * 1000))).toBeLessThan(5000);
    expect(SubmitIn.safeParse(toPayload("si", sample)).error).toBeUndefined();
  });
});
