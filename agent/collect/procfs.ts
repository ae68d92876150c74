/** Small, allocation-light reads of /proc files: one open, one read, one close each. */
import { Buffer } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";

/** Reads up to `max` bytes of small kernel-generated files (their size is reported as 0, so no stat). */
export class ProcReader {
  private readonly buffer: Buffer;

  constructor(max = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(max);
  }

  /** The file's first bytes as text (UTF-8, invalid bytes replaced); throws like openSync. */
  text(path: string): string {
    const fd = openSync(path, "r");
    try {
      const n = readSync(fd, this.buffer, 0, this.buffer.length, null);
      return this.buffer.toString("utf8", 0, n);
    } finally {
      closeSync(fd);
    }
  }
}

/** `/proc/<pid>/stat`, the fields the agent uses (see proc(5)). */
export interface PidStat {
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks. */
  startTicks: number;
  rssPages: number;
  /** A kernel thread (PF_KTHREAD): no command line, no user-space memory, always root. */
  kernelThread: boolean;
}

const PF_KTHREAD = 0x00200000;

export function parseStat(text: string): PidStat | undefined {
  // comm is in parentheses and may itself contain spaces and ")": the last ")" ends it.
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).split(" ");
  // f[0] is field 3 (state) of proc(5); field n is f[n - 3].
  const state = f[0];
  const rssPages = Number(f[21]);
  if (state === undefined || Number.isNaN(rssPages)) return undefined;
  return {
    comm: text.slice(open + 1, close),
    state,
    ppid: Number(f[1]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTicks: Number(f[19]),
    rssPages,
    kernelThread: (Number(f[6]) & PF_KTHREAD) !== 0,
  };
}

/** The real uid from `/proc/<pid>/status` (psutil's `username()` uses the real uid too). */
export function parseRealUid(status: string): number | undefined {
  const at = status.indexOf("\nUid:");
  if (at < 0) return undefined;
  const uid = Number.parseInt(status.slice(at + 5).trimStart(), 10);
  return Number.isNaN(uid) ? undefined : uid;
}

/** `/proc/<pid>/cmdline`: NUL-separated arguments (a process may have rewritten them with spaces). */
export function parseCmdline(raw: string): { command: string; argv0: string } {
  const trimmed = raw.replace(/\0+$/, "");
  const firstNul = trimmed.indexOf("\0");
  const argv0 = firstNul >= 0 ? trimmed.slice(0, firstNul) : (trimmed.split(" ")[0] ?? "");
  return { command: trimmed.replaceAll("\0", " "), argv0 };
}

/** First number of `/proc/uptime`: seconds since boot, the clock process start times are on. */
export function parseUptime(text: string): number {
  return Number.parseFloat(text);
}

/** `MemTotal` of `/proc/meminfo`, in bytes. */
export function parseMemTotal(meminfo: string): number {
  const match = /^MemTotal:\s+(\d+) kB/m.exec(meminfo);
  if (!match?.[1]) throw new Error("no MemTotal in /proc/meminfo");
  return Number(match[1]) * 1024;
}

/** Boot time (epoch ms, `btime`) and logical CPU count from `/proc/stat`. */
export function parseProcStat(text: string): { bootMs: number; cpus: number } {
  const btime = /^btime (\d+)$/m.exec(text);
  if (!btime?.[1]) throw new Error("no btime in /proc/stat");
  const cpus = text.match(/^cpu\d+ /gm)?.length ?? 1;
  return { bootMs: Number(btime[1]) * 1000, cpus };
}

const STATES: Record<string, string> = {
  R: "running",
  S: "sleeping",
  D: "disk-sleep",
  T: "stopped",
  t: "tracing-stop",
  Z: "zombie",
  X: "dead",
  x: "dead",
  I: "idle",
  P: "parked",
  K: "wake-kill",
  W: "waking",
};

/** The one-letter state of proc(5) in psutil's words. */
export function stateName(letter: string): string {
  return STATES[letter] ?? letter;
}
