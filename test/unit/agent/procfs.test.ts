/**
 * The /proc collector on a fake /proc root: the parsers field by field, and whole samples whose
 * values are known (a process name containing ") ", a kernel thread, a comm cut at 15 bytes).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ProcCollector } from "../../../agent/collect/linux.ts";
import {
  parseCmdline,
  parseMemTotal,
  parseProcStat,
  parseRealUid,
  parseStat,
  parseUptime,
  stateName,
} from "../../../agent/collect/procfs.ts";
import { toPayload } from "../../../agent/payload.ts";
import { SubmitIn } from "../../../server/schemas.ts";

interface StatFields {
  state?: string;
  ppid?: number;
  flags?: number;
  utime?: number;
  stime?: number;
  start?: number;
  rss?: number;
  minflt?: number;
  majflt?: number;
  threads?: number;
  vsize?: number;
}

/** A /proc/<pid>/stat line (proc(5): 52 fields; those the agent reads are set, the rest plausible). */
function statLine(pid: number, comm: string, f: StatFields = {}): string {
  const fields = [
    f.state ?? "S",
    f.ppid ?? 1,
    pid,
    pid,
    0,
    -1,
    f.flags ?? 4194560,
    f.minflt ?? 100,
    0,
    f.majflt ?? 0,
    0,
    f.utime ?? 0,
    f.stime ?? 0,
    0,
    0,
    20,
    0,
    f.threads ?? 1,
    0,
    f.start ?? 0,
    f.vsize ?? 12345678,
    f.rss ?? 0,
    "18446744073709551615",
    ...Array(29).fill(0),
  ];
  return `${pid} (${comm}) ${fields.join(" ")}\n`;
}

describe("procfs parsers", () => {
  it("parseStat: comm may hold spaces, parentheses and ') ' — the last ')' ends it", () => {
    const comm = "evil) (name) S 1 2";
    const stat = parseStat(
      statLine(42, comm, {
        state: "R",
        ppid: 7,
        utime: 300,
        stime: 25,
        start: 9000,
        rss: 77,
        minflt: 123_456_789,
        majflt: 42,
        threads: 17,
        vsize: 140_737_488_355_328, // 2^47: past 32 bits, exact
      }),
    );
    expect(stat).toEqual({
      comm,
      state: "R",
      ppid: 7,
      cpuTicks: 325,
      userTicks: 300,
      systemTicks: 25,
      minorFaults: 123_456_789,
      majorFaults: 42,
      threads: 17,
      startTicks: 9000,
      vsize: 140_737_488_355_328,
      rssPages: 77,
      kernelThread: false,
    });
  });

  it("parseStat: PF_KTHREAD marks a kernel thread; a truncated line is no stat", () => {
    expect(parseStat(statLine(2, "kthreadd", { flags: 0x00208040 }))?.kernelThread).toBe(true);
    expect(parseStat("42 (half")).toBeUndefined();
    expect(parseStat("42 (x) S 1 2 3")).toBeUndefined();
  });

  it("parseRealUid, parseCmdline, parseUptime, parseMemTotal, parseProcStat, stateName", () => {
    expect(parseRealUid("Name:\tx\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t5\n")).toBe(1000);
    expect(parseRealUid("Name:\tx\n")).toBeUndefined();
    expect(parseCmdline("/usr/bin/python3\0-m\0http.server\0")).toEqual({
      command: "/usr/bin/python3 -m http.server",
      argv0: "/usr/bin/python3",
    });
    // A process that rewrote its arguments with spaces (nginx: master process ...).
    expect(parseCmdline("nginx: master process /usr/sbin/nginx")).toEqual({
      command: "nginx: master process /usr/sbin/nginx",
      argv0: "nginx:",
    });
    expect(parseCmdline("")).toEqual({ command: "", argv0: "" });
    expect(parseUptime("12345.67 54321.00\n")).toBe(12345.67);
    expect(parseMemTotal("MemTotal:       16318480 kB\nMemFree: 1 kB\n")).toBe(16318480 * 1024);
    expect(() => parseMemTotal("MemFree: 1 kB\n")).toThrow(/MemTotal/);
    expect(parseProcStat("cpu  1 2 3\ncpu0 1 2 3\ncpu1 4 5 6\nctxt 9\nbtime 1700000000\n")).toEqual({
      bootMs: 1_700_000_000_000,
      cpus: 2,
    });
    expect(() => parseProcStat("cpu 1\n")).toThrow(/btime/);
    expect(stateName("D")).toBe("disk-sleep");
    expect(stateName("I")).toBe("idle");
    expect(stateName("?")).toBe("?");
  });
});

describe("ProcCollector on a fake /proc", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  const BOOT_S = 1_700_000_000;
  const PAGE = 4096;
  function fakeProc(): { root: string; write: (path: string, text: string) => void } {
    const root = join(tmpdir(), `procscope-fakeproc-${process.pid}-${roots.length}`);
    roots.push(root);
    const write = (path: string, text: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write("stat", `cpu  1 2 3\ncpu0 1 2 3\ncpu1 1 2 3\nbtime ${BOOT_S}\n`);
    write("meminfo", "MemTotal:        1000000 kB\nMemFree:          500000 kB\n");
    write("uptime", "1000.00 1900.00\n");
    // Our own resident set, 100 pages = 400 kB: a 4096-byte page.
    write("self/stat", statLine(1, "node", { rss: 100 }));
    write("self/status", "Name:\tnode\nVmRSS:\t     400 kB\n");
    const evil = "evil) (name";
    write(
      "100/stat",
      statLine(100, evil, {
        ppid: 1,
        utime: 3000,
        stime: 1000,
        start: 50_000,
        rss: 250,
        minflt: 9876,
        majflt: 5,
        threads: 3,
        vsize: 987_654_321,
      }),
    );
    write("100/status", "Name:\tevil\nUid:\t0\t0\t0\t0\n");
    write("100/cmdline", "/usr/bin/evil\0--flag\0");
    write("2/stat", statLine(2, "kthreadd", { flags: 0x00208040, ppid: 0, start: 1 }));
    // comm is cut at 15 bytes: the executable's full name is preferred when comm is its prefix.
    write("300/stat", statLine(300, "averyveryverylo", { state: "Z", start: 60_000 }));
    write("300/status", "Name:\taveryveryverylo\nUid:\t4242\t4242\t4242\t4242\n");
    write("300/cmdline", "/opt/bin/averyveryverylongname\0");
    write("400/stat", "400 (vanished"); // a process that went away mid-read
    return { root, write };
  }

  it("describes each process with exact values", async () => {
    const { root } = fakeProc();
    const collector = new ProcCollector(root);
    const sample = await collector.sample();
    expect(sample.skipped).toBe(1);
    const byPid = new Map(sample.processes.map((p) => [p.pid, p]));
    expect([...byPid.keys()].sort((a, b) => a - b)).toEqual([2, 100, 300]);
    expect(byPid.get(100)).toEqual({
      pid: 100,
      parent_pid: 1,
      name: "evil) (name",
      // 40 s of CPU over its 500 s of life (uptime 1000 s, started at 500 s)
      cpu_percent: 8,
      memory_percent: ((250 * PAGE) / 1_024_000_000) * 100,
      memory_rss: 250 * PAGE,
      started_at: BOOT_S * 1000 + 500_000,
      user: "root",
      command: "/usr/bin/evil --flag",
      state: "sleeping",
      num_threads: 3,
      cpu_user_seconds: 30,
      cpu_system_seconds: 10,
      minor_faults: 9876,
      major_faults: 5,
      memory_vms: 987_654_321,
    });
    expect(byPid.get(2)).toMatchObject({ name: "kthreadd", user: "root", command: undefined, parent_pid: 0 });
    expect(byPid.get(300)).toMatchObject({
      name: "averyveryverylongname",
      user: "4242", // not in /etc/passwd: the uid itself
      state: "zombie",
      cpu_percent: 0,
    });
    // What the agent sends of it is what the server accepts.
    expect(SubmitIn.safeParse(toPayload("box", sample)).success).toBe(true);
  });

  it("measures CPU since the previous sample, capped at 100 × CPUs", async () => {
    const { root, write } = fakeProc();
    const collector = new ProcCollector(root);
    await collector.sample();
    // 10 s later the process has used 5 s more CPU: 50 %.
    write("uptime", "1010.00 1900.00\n");
    write("100/stat", statLine(100, "evil) (name", { utime: 3400, stime: 1100, start: 50_000, rss: 250 }));
    const second = await collector.sample();
    expect(second.processes.find((p) => p.pid === 100)?.cpu_percent).toBe(50);
    // 1 s later it claims 30 s of CPU on a 2-CPU machine: at most 200 %.
    write("uptime", "1011.00 1900.00\n");
    write("100/stat", statLine(100, "evil) (name", { utime: 6400, stime: 1100, start: 50_000, rss: 250 }));
    const third = await collector.sample();
    expect(third.processes.find((p) => p.pid === 100)?.cpu_percent).toBe(200);
  });
});
