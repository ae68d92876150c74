/** Small, allocation-light reads of /proc files: one open, one read, one close each. */
import { Buffer } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";

/** Reads up to `max` bytes of small kernel-generated files (their size is reported as 0, so no stat). */
export class ProcReader {
  readonly buffer: Buffer;

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

/**
 * `/proc/<pid>/stat` of every process, each file kept open from one sample to the next and read
 * again from offset 0 (the kernel generates it afresh on each read from the start): one syscall per
 * process and sample instead of three, which is a third of the collector's CPU at 600 processes.
 * An open file stays bound to its process: once that process is gone a read fails (ESRCH), even
 * when a new process got the same pid, and the file is then closed and opened anew.
 * At most `maxOpen` files are kept open (the rest are opened and closed each time).
 */
export class StatFiles {
  readonly buffer = Buffer.allocUnsafe(4096);
  private open = new Map<number, number>();
  private seen = new Set<number>();

  constructor(
    private readonly root: string,
    private readonly maxOpen: number,
  ) {}

  /** Reads process `pid`'s stat into `buffer`; the byte count, or -1 when the process is gone. */
  read(pid: number): number {
    this.seen.add(pid);
    const kept = this.open.get(pid);
    if (kept !== undefined) {
      try {
        return readSync(kept, this.buffer, 0, this.buffer.length, 0);
      } catch {
        this.forget(pid, kept); // gone, or a new process with this pid: open it afresh
      }
    }
    let fd: number;
    try {
      fd = openSync(`${this.root}/${pid}/stat`, "r");
    } catch {
      return -1;
    }
    let n: number;
    try {
      n = readSync(fd, this.buffer, 0, this.buffer.length, 0);
    } catch {
      closeSync(fd);
      return -1;
    }
    if (this.open.size < this.maxOpen) this.open.set(pid, fd);
    else closeSync(fd);
    return n;
  }

  /** Call after each sample: files of processes not listed in it are closed. */
  endSample(): void {
    for (const [pid, fd] of this.open) if (!this.seen.has(pid)) this.forget(pid, fd);
    this.seen.clear();
  }

  close(): void {
    for (const [pid, fd] of this.open) this.forget(pid, fd);
  }

  private forget(pid: number, fd: number): void {
    this.open.delete(pid);
    try {
      closeSync(fd);
    } catch {
      // already closed
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
  /** Time in user and in kernel mode, in clock ticks. */
  userTicks: number;
  systemTicks: number;
  /** Page faults that did not / did need to read from disk. */
  minorFaults: number;
  majorFaults: number;
  threads: number;
  /** Start time after boot, in clock ticks. */
  startTicks: number;
  /** Virtual memory size in bytes. */
  vsize: number;
  rssPages: number;
  /** A kernel thread (PF_KTHREAD): no command line, no user-space memory, always root. */
  kernelThread: boolean;
}

const PF_KTHREAD = 0x00200000;
const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Fields 3..24 of proc(5), the last one the agent reads being rss (24). */
const FIELDS = 22;
const numbers = new Float64Array(FIELDS);

/**
 * Parses the stat line straight from its bytes: no string but comm is made, nothing is split.
 * comm is in parentheses and may itself contain spaces and ")": the last ")" ends it.
 */
export function parseStatBytes(bytes: Buffer, length: number): PidStat | undefined {
  const open = bytes.indexOf(0x28); // (
  const close = bytes.lastIndexOf(0x29, length - 1); // )
  if (open < 0 || open >= length || close < open || close + 4 >= length) return undefined;
  const state = bytes[close + 2] as number;
  // numbers[i] is field i + 3 of proc(5); field 3 (state) is not a number.
  let field = 0;
  let value = 0;
  let i = close + 4;
  if (bytes[close + 3] !== SPACE) return undefined;
  for (; i < length && field < FIELDS - 1; i++) {
    const c = bytes[i] as number;
    if (c === SPACE || c === NEWLINE) {
      numbers[++field] = value;
      value = 0;
    } else if (c >= 0x30 && c <= 0x39) value = value * 10 + (c - 0x30);
    else if (c === 0x2d) {
      // a negative number (priority, nice): the agent reads none of them
    } else break;
  }
  if (field < FIELDS - 1 && i >= length) numbers[++field] = value;
  if (field < FIELDS - 1) return undefined;
  const n = (f: number) => numbers[f - 3] as number;
  return {
    comm: bytes.toString("utf8", open + 1, close),
    state: String.fromCharCode(state),
    ppid: n(4),
    cpuTicks: n(14) + n(15),
    userTicks: n(14),
    systemTicks: n(15),
    minorFaults: n(10),
    majorFaults: n(12),
    threads: n(20),
    startTicks: n(22),
    vsize: n(23),
    rssPages: n(24),
    kernelThread: (n(9) & PF_KTHREAD) !== 0,
  };
}

export function parseStat(text: string): PidStat | undefined {
  const bytes = Buffer.from(text, "utf8");
  return parseStatBytes(bytes, bytes.length);
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
