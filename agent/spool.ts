/**
 * The durable disk queue every sample goes through: one gzip'd JSON file per batch, written to a
 * temporary name, fsynced, then atomically renamed, so a `kill -9` leaves either the whole batch or
 * nothing. Compressed, a batch takes about a tenth of the disk (and of the size cap) at half a
 * millisecond of CPU, so the default 100 MB hold hours of samples, not minutes.
 * Files are named by a sequence number, so replay order is sampling order even if the clock jumps
 * (then the batch's sampling instant and process count, for the logs, without reading the file).
 * The spool is bounded: when a new batch does not fit, the oldest go first, counted and logged.
 *
 * The gzip'd bytes are what goes on the wire (client.ts). The newest batches keep them in memory
 * as well (up to MEMORY_BYTES), so a batch sent right after it was written is not read back: the
 * file is on disk before the send starts, which keeps the write-ahead promise (a batch the server
 * acknowledged was on disk first) at the cost of one write and fsync, not a read, gunzip and parse.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { errorText, type Logger } from "./log.ts";
import type { SubmitPayload } from "./payload.ts";

export interface SpoolEntry {
  readonly name: string;
  readonly bytes: number;
  /** Sampling instant (epoch ms) and number of processes, when known (from the file name). */
  readonly timestamp: number | undefined;
  readonly processes: number | undefined;
  /** False when the batch could not be written to disk: it then waits in memory instead. */
  readonly durable: boolean;
  /** The gzip'd JSON, while kept in memory. */
  data: Uint8Array | undefined;
}

/** `<sequence>[-<timestamp>-<processes>].json.gz` (files of earlier versions have no suffix). */
const BATCH = /^(\d{12})(?:-(\d+)-(\d+))?\.json\.gz$/;
/** How many bytes of recent batches stay in memory besides on disk (about 70 samples of 600 processes). */
const MEMORY_BYTES = 1024 * 1024;

export class Spool {
  private entries: SpoolEntry[] = [];
  private total = 0;
  private seq = 0;
  private leased: SpoolEntry | undefined;
  /** Bytes of durable batches also held in memory. */
  private cached = 0;
  /** Batches dropped because the spool was full, since start. */
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /** Creates the directory, removes half-written files, and lists the waiting batches in order. */
  open(): this {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // Replay order is name order, whatever order the directory keeps.
    // Stryker disable next-line MethodExpression: equivalent because readdirSync lists names sorted already
    // under Node (libuv's scandir sorts them) and Deno (its node:fs sorts; Deno.readDirSync does not);
    // the sort is kept for any other runtime.
    for (const file of readdirSync(this.dir).sort()) {
      const path = join(this.dir, file);
      if (file.endsWith(".tmp")) {
        unlinkQuietly(path);
        continue;
      }
      const match = BATCH.exec(file);
      if (!match) continue;
      const bytes = statSync(path).size;
      const [, , timestamp, processes] = match;
      this.entries.push({
        name: file,
        bytes,
        timestamp: timestamp === undefined ? undefined : Number(timestamp),
        processes: processes === undefined ? undefined : Number(processes),
        durable: true,
        data: undefined,
      });
      this.total += bytes;
      this.seq = Number(match[1]);
    }
    if (this.entries.length > 0) {
      this.log.info("spool has unsent samples", { dir: this.dir, batches: this.count, bytes: this.total });
    }
    return this;
  }

  get count(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.total;
  }

  /** Adds a batch durably (on return it survives a crash), dropping the oldest when full. */
  put(payload: SubmitPayload): SpoolEntry {
    // Level 6 (zlib's default): a fifth smaller than level 1 on a 600-process sample (10 against 12.5
    // KB, on the wire as on disk) for the same CPU; level 9 saves another tenth at a far higher cost.
    // Stryker disable next-line ObjectLiteral: equivalent because zlib's default level (Z_DEFAULT_COMPRESSION) is 6
    const data = gzipSync(JSON.stringify(payload), { level: 6 });
    const bytes = data.byteLength;
    this.makeRoom(bytes);
    this.seq += 1;
    const timestamp = typeof payload.timestamp === "number" ? payload.timestamp : undefined;
    const processes = payload.processes.length;
    const suffix = timestamp === undefined ? "" : `-${timestamp}-${processes}`;
    const name = `${String(this.seq).padStart(12, "0")}${suffix}.json.gz`;
    let durable = true;
    try {
      writeDurably(this.dir, name, data);
    } catch (err) {
      this.log.error("cannot write to the spool; the sample waits in memory", { err: errorText(err) });
      durable = false;
    }
    const entry: SpoolEntry = { name, bytes, timestamp, processes, durable, data };
    this.entries.push(entry);
    this.total += bytes;
    if (durable) {
      this.cached += bytes;
      this.trimCache();
    }
    return entry;
  }

  /** The oldest batch, protected from being dropped for room until `release` or `remove`. */
  take(): SpoolEntry | undefined {
    this.leased = this.entries[0];
    return this.leased;
  }

  release(): void {
    this.leased = undefined;
  }

  /** The batch's gzip'd JSON, from memory or from its file; throws when the file is unreadable. */
  load(entry: SpoolEntry): Uint8Array {
    const data = entry.data ?? readFileSync(join(this.dir, entry.name));
    // Damage inside the stream is the server's to find (400, then dropped); a file that is not gzip
    // at all is not worth sending.
    if (data[0] !== 0x1f || data[1] !== 0x8b) throw new Error("not a gzip file");
    return data;
  }

  /** Forgets a batch (sent, refused or unreadable). */
  remove(entry: SpoolEntry): void {
    // Stryker disable next-line ConditionalExpression: equivalent because `leased` is only compared with
    // the entries makeRoom() searches, and a removed entry is no longer one of them (take() sets it anew).
    if (this.leased === entry) this.leased = undefined;
    const at = this.entries.indexOf(entry);
    if (at < 0) return;
    this.entries.splice(at, 1);
    this.total -= entry.bytes;
    if (entry.durable) {
      if (entry.data) this.cached -= entry.bytes;
      unlinkQuietly(join(this.dir, entry.name));
    }
    entry.data = undefined;
  }

  /** Keeps the newest batches' bytes in memory within MEMORY_BYTES; older ones are read from disk. */
  private trimCache(): void {
    for (const e of this.entries) {
      if (this.cached <= MEMORY_BYTES) return;
      if (!e.durable || !e.data) continue;
      e.data = undefined;
      this.cached -= e.bytes;
    }
  }

  private makeRoom(bytes: number): void {
    while (this.total + bytes > this.maxBytes) {
      const oldest = this.entries.find((e) => e !== this.leased);
      if (!oldest) return; // only the batch in flight is left: it may yet be stored
      this.remove(oldest);
      this.dropped += 1;
      this.log.warn("spool full: dropped the oldest unsent sample", {
        batch: oldest.name,
        dropped_total: this.dropped,
        max_bytes: this.maxBytes,
      });
    }
  }
}

function writeDurably(dir: string, name: string, data: Uint8Array): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  // Make the rename itself durable. Not every platform can open a directory; the file is safe anyway.
  try {
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // best effort
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
