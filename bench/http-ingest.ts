/**
 * Ingest through the server's two doors: N simulated agents, each a loop posting one 300-process
 * batch after the other (a new sampling instant each time), over REST (`POST /api/process-data/`,
 * node:http with keep-alive) or over tRPC (the typed client, `createTRPCClient<AppRouter>`, as the
 * agent uses it). Measures rows acknowledged per second, request latency and the server's peak RSS.
 *
 * The third door, "raw", is the ceiling: the same batches as line protocol, one point per process
 * with every field (300 lines: the batch shape release 0.1 wrote, see rawLines), posted straight
 * to influxd's /api/v2/write with the same keep-alive client, no server in between.
 *
 * Shapes: `churn` makes that share of each batch's processes short-lived (a new pid in every
 * sample, as on a build machine); `stagger` puts agent i's clock i × 173 ms after agent 0's
 * (lockstep otherwise: every system samples at the same instant).
 */
import { Agent, request } from "node:http";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../server/router.ts";
import {
  assignSlots,
  floatValue,
  instantNs,
  intValue,
  stringValue,
  tagValue,
  WRITE_PRECISION,
} from "../server/store/influx/line-protocol.ts";
import {
  type BenchProcess,
  type BenchServer,
  cpuSeconds,
  percentile,
  processList,
  schedSeconds,
} from "./harness.ts";

export type Transport = "rest" | "trpc" | "raw";

/** Where "raw" writes: an InfluxDB bucket. */
export interface RawTarget {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

export interface Batch {
  system_name: string;
  timestamp: number;
  processes: BenchProcess[];
}

/** Posts one batch; resolves with the HTTP status (201 = stored). Rejects on a network error. */
export type Post = (batch: Batch, json: string) => Promise<number>;

/** POSTs bodies to one URL over keep-alive connections (node:http); resolves with the status. */
function poster(
  url: URL,
  concurrency: number,
  headers: Record<string, string>,
): { send(body: string): Promise<number>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const send = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: "POST",
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  return { send, close: () => agent.destroy() };
}

export function restPoster(base: string, concurrency: number): { post: Post; close(): void } {
  const p = poster(new URL("/api/process-data/", base), concurrency, { "content-type": "application/json" });
  return { post: (_batch, json) => p.send(json), close: p.close };
}

/**
 * The ceiling's lines: the batch as one point per process with every field the agent sent — the
 * shape release 0.1 wrote, with `pid` a field (as in `sample`) so that churn costs it no series
 * either. Like the REST door's pre-serialised JSON, the line of a process that has not changed is
 * built once and only the timestamp is appended, so the load generator spends little CPU on it.
 */
function rawLines(): (batch: Batch) => string {
  const cache = new WeakMap<BenchProcess, { slot: number; system: string; line: string }>();
  return (batch) => {
    const slots = assignSlots(batch.processes);
    const ts = ` ${instantNs(batch.timestamp)}\n`;
    let out = "";
    batch.processes.forEach((p, i) => {
      const slot = slots[i] as number;
      let c = cache.get(p);
      if (!c || c.slot !== slot || c.system !== batch.system_name) {
        const line =
          `raw,name=${tagValue(p.name)},slot=${slot},system=${tagValue(batch.system_name)} ` +
          `pid=${intValue(p.pid)},cpu_percent=${floatValue(p.cpu_percent)},memory_percent=${floatValue(p.memory_percent)},` +
          `memory_rss=${intValue(p.memory_rss)},started_at=${intValue(p.started_at)},parent_pid=${intValue(p.parent_pid)},` +
          `user=${stringValue(p.user)},command=${stringValue(p.command)},state=${stringValue(p.state)}`;
        c = { slot, system: batch.system_name, line };
        cache.set(p, c);
      }
      out += c.line + ts;
    });
    return out;
  };
}

/** The ceiling: line protocol straight to influxd (204 counts as stored, reported as 201). */
export function rawPoster(target: RawTarget, concurrency: number): { post: Post; close(): void } {
  const url = new URL(
    `/api/v2/write?${new URLSearchParams({ org: target.org, bucket: target.bucket, precision: WRITE_PRECISION })}`,
    target.url,
  );
  const lines = rawLines();
  const p = poster(url, concurrency, {
    authorization: `Token ${target.token}`,
    "content-type": "text/plain; charset=utf-8",
  });
  return {
    post: async (batch) => ((await p.send(lines(batch))) === 204 ? 201 : 0),
    close: p.close,
  };
}

export function trpcPoster(base: string): { post: Post; close(): void } {
  const client = createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/trpc` })] });
  const post: Post = async (batch) => {
    try {
      await client.process.submit.mutate(batch);
      return 201;
    } catch (err) {
      if (err instanceof TRPCClientError && typeof err.data?.httpStatus === "number") {
        return err.data.httpStatus as number;
      }
      throw err;
    }
  };
  return { post, close: () => undefined };
}

export interface IngestResult {
  transport: Transport;
  agents: number;
  churn: number;
  stagger: boolean;
  batch: number;
  seconds: number;
  requests: number;
  rows: number;
  rows_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Answers other than 201 (and network errors). */
  errors: number;
  peak_rss_mb: number;
  peak_rss_reset: boolean;
  /** Cores each process kept busy during the timed phase (CPU seconds / wall seconds). */
  cores: Record<string, number>;
  /**
   * Where the server's main thread spent the timed phase, as shares of wall time: running on a
   * CPU, runnable but waiting for a CPU (other processes had both cores), and the rest (blocked
   * in I/O such as SQLite's fsync, or idle waiting for requests).
   */
  server_thread: { on_cpu: number; waiting_for_cpu: number; blocked_or_idle: number };
}

export interface IngestOptions {
  server: BenchServer;
  transport: Transport;
  agents: number;
  /** Processes per batch. */
  batch: number;
  /** Timed phase length (after a short warm-up that is not counted)... */
  seconds?: number;
  /** ...or a fixed number of batches per agent, with no warm-up (loading a data set). */
  batchesPerAgent?: number;
  /** First sampling instant; agent i posts at `base + k * stepMs`, k = 0, 1, 2... */
  base: number;
  stepMs?: number;
  /** System names are `${prefix}${i}`. */
  prefix?: string;
  /** Other processes whose CPU time to report (e.g. influxd), by label. */
  watch?: Record<string, number | undefined>;
  /** Share of each batch's processes with a new pid in every batch (default 0). */
  churn?: number;
  /** Agent i samples i × 173 ms after agent 0 (default false: all at the same instant). */
  stagger?: boolean;
  /** Required for transport "raw". */
  raw?: RawTarget;
}

/**
 * One cell of the matrix. Every agent keeps exactly one request in flight, so the concurrency is
 * the number of agents. The payload JSON is assembled from a pre-serialised process list, so the
 * load generator spends little CPU of its own on REST (tRPC's client serialises each batch itself).
 */
export async function ingest(opts: IngestOptions): Promise<IngestResult> {
  const { server, transport, agents, batch, base } = opts;
  const seconds = opts.seconds ?? Number.POSITIVE_INFINITY;
  const quota = opts.batchesPerAgent ?? Number.POSITIVE_INFINITY;
  if (!Number.isFinite(seconds) && !Number.isFinite(quota))
    throw new Error("give seconds or batchesPerAgent");
  const step = opts.stepMs ?? 1000;
  const prefix = opts.prefix ?? "agent-";
  const post =
    transport === "rest"
      ? restPoster(server.url, agents)
      : transport === "trpc"
        ? trpcPoster(server.url)
        : rawPoster(
            opts.raw ??
              (() => {
                throw new Error("transport raw needs opts.raw");
              })(),
            agents,
          );
  // The last `churning` processes of each list get a new pid in every batch.
  const churning = Math.round(batch * (opts.churn ?? 0));
  const lists = Array.from({ length: agents }, (_, i) => {
    const processes = processList(batch, i, base - 86_400_000);
    const stable = processes.slice(0, batch - churning);
    return { stable, churners: processes.slice(batch - churning), json: JSON.stringify(stable).slice(1, -1) };
  });
  const next = Array.from({ length: agents }, () => 0);
  const send = async (i: number): Promise<{ status: number; ms: number }> => {
    const k = next[i] ?? 0;
    next[i] = k + 1;
    const list = lists[i] as (typeof lists)[number];
    // short-lived: pids above every stable one, new in each batch, wrapping below 4 194 304
    const churned = list.churners.map((p, m) => ({
      ...p,
      pid: 100_000 + ((((k * agents + i) * Math.max(1, churning) + m) % 4_000_000) as number),
      started_at: base + k * step - 500,
    }));
    const timestamp = base + k * step + (opts.stagger ? i * 173 : 0);
    const b: Batch = {
      system_name: `${prefix}${i}`,
      timestamp,
      processes: churned.length ? [...list.stable, ...churned] : list.stable,
    };
    let processesJson = list.json;
    if (churned.length) processesJson += `${processesJson ? "," : ""}${JSON.stringify(churned).slice(1, -1)}`;
    const json = `{"system_name":${JSON.stringify(b.system_name)},"timestamp":${b.timestamp},"processes":[${processesJson}]}`;
    const t0 = performance.now();
    let status: number;
    try {
      status = await post.post(b, json);
    } catch {
      status = 0;
    }
    return { status, ms: performance.now() - t0 };
  };

  try {
    // Warm-up: connections, JIT, InfluxDB series creation. Not counted.
    if (Number.isFinite(seconds)) {
      const warmEnd = performance.now() + Math.min(2000, seconds * 200);
      await Promise.all(
        Array.from({ length: agents }, async (_, i) => {
          do await send(i);
          while (performance.now() < warmEnd);
        }),
      );
    }
    const reset = server.resetPeak();
    const watched: Record<string, number | "self"> = { server: server.pid, "load generator": "self" };
    for (const [what, pid] of Object.entries(opts.watch ?? {})) if (pid !== undefined) watched[what] = pid;
    const cpu0 = Object.fromEntries(Object.entries(watched).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const sched0 = schedSeconds(server.pid);
    const latencies: number[] = [];
    let ok = 0;
    let errors = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: agents }, async (_, i) => {
        while (performance.now() < end && (next[i] as number) < quota) {
          const r = await send(i);
          latencies.push(r.ms);
          if (r.status === 201) ok++;
          else errors++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const sched = schedSeconds(server.pid);
    const onCpu = (sched.cpu - sched0.cpu) / elapsed;
    const waiting = (sched.runqueue - sched0.runqueue) / elapsed;
    const cores = Object.fromEntries(
      Object.entries(watched).map(([k, pid]) => [k, (cpuSeconds(pid) - (cpu0[k] ?? 0)) / elapsed]),
    );
    return {
      transport,
      agents,
      churn: opts.churn ?? 0,
      stagger: opts.stagger ?? false,
      batch,
      seconds: elapsed,
      requests: latencies.length,
      rows: ok * batch,
      rows_per_s: (ok * batch) / elapsed,
      p50_ms: percentile(latencies, 50),
      p99_ms: percentile(latencies, 99),
      errors,
      peak_rss_mb: server.peakRssMb(),
      peak_rss_reset: reset,
      cores,
      server_thread: {
        on_cpu: onCpu,
        waiting_for_cpu: waiting,
        blocked_or_idle: Math.max(0, 1 - onCpu - waiting),
      },
    };
  } finally {
    post.close();
  }
}
