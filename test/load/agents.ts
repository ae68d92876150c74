/**
 * Simulated agents for the load and fault tests: loops that post batches over real HTTP, each with
 * its own sampling instant, and remember exactly what the server acknowledged (a 201) and what
 * else it answered. Plus reading back, through the API, what the store holds for one system.
 */

export interface Outcome {
  timestamp: number;
  /** HTTP status, or 0 when the request got no answer (connection refused, reset...). */
  status: number;
}

export interface SimAgentOptions {
  url: () => string;
  systemName: string;
  processes: number;
  /** First sampling instant; batch k is at `base + k * stepMs`. */
  base: number;
  stepMs: number;
  /**
   * true: a batch that was not acknowledged is sent again, same instant, until it is (as the real
   * agent does; retries are idempotent). false: every batch is sent once.
   */
  retry: boolean;
  /** Pause between attempts after a failure, ms. */
  retryDelayMs?: number;
  /**
   * Open loop: batch k is offered at start + k × paceMs (sent at once when the agent is behind),
   * so the load offered is known and a slow server shows as a shortfall. Default: closed loop.
   */
  paceMs?: number;
}

export class SimAgent {
  /** Instants of the batches the server acknowledged with 201, in order. */
  readonly acked: number[] = [];
  /** Every answer, including retries. */
  readonly outcomes: Outcome[] = [];
  /** Network errors seen (connection refused, reset...), by message. */
  readonly networkErrors = new Map<string, number>();
  private k = 0;
  private readonly body: string;
  private readonly processes: Record<string, unknown>[];

  constructor(readonly opts: SimAgentOptions) {
    const processes = Array.from({ length: opts.processes }, (_, i) => ({
      pid: 100 + i,
      name: `proc-${i % 7}`,
      cpu_percent: i % 100,
      memory_percent: (i % 50) / 2,
      memory_rss: 1024 * (i + 1),
      user: "load",
      command: `/usr/bin/proc-${i % 7} --n ${i}`,
    }));
    this.processes = processes;
    this.body = JSON.stringify(processes);
  }

  /** The rows the API must return for the batch at `timestamp` (as filter returns them, sorted by pid). */
  expectedRows(timestamp: number): Record<string, unknown>[] {
    return this.processes.map((p) => ({
      system_name: this.opts.systemName,
      ...p,
      timestamp: new Date(timestamp).toISOString(),
    }));
  }

  /** Timestamps of every batch this agent sent at least once. */
  get attempted(): number[] {
    return Array.from({ length: this.k }, (_, i) => this.opts.base + i * this.opts.stepMs);
  }

  private async post(timestamp: number): Promise<number> {
    const json = `{"system_name":${JSON.stringify(this.opts.systemName)},"timestamp":${timestamp},"processes":${this.body}}`;
    try {
      const res = await fetch(`${this.opts.url()}/api/process-data/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: json,
        signal: AbortSignal.timeout(60_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch (err) {
      const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
      const what = cause?.code ?? cause?.message ?? (err as Error).message;
      this.networkErrors.set(what, (this.networkErrors.get(what) ?? 0) + 1);
      return 0;
    }
  }

  /**
   * Posts batch after batch until `stop()` says so. With `retry`, the batch in hand is finished
   * (acknowledged) before the loop returns, so every batch sent is eventually acknowledged.
   */
  async run(stop: () => boolean): Promise<void> {
    const start = performance.now();
    while (!stop()) {
      if (this.opts.paceMs) {
        const due = start + this.k * this.opts.paceMs - performance.now();
        if (due > 0) await new Promise((r) => setTimeout(r, due));
        if (stop()) break;
      }
      const timestamp = this.opts.base + this.k * this.opts.stepMs;
      this.k++;
      for (;;) {
        const status = await this.post(timestamp);
        this.outcomes.push({ timestamp, status });
        if (status === 201) {
          this.acked.push(timestamp);
          break;
        }
        if (!this.opts.retry) break;
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 100));
      }
    }
  }
}

export interface StoredRow {
  timestamp: number;
  pid: number;
  name: string;
  /** The row exactly as the API returned it. */
  row: Record<string, unknown>;
}

/** Every stored row of one system over [from, to), read page by page through the API. */
export async function storedRows(
  url: string,
  systemName: string,
  from: number,
  to: number,
  extra: Record<string, string> = {},
): Promise<StoredRow[]> {
  const q = new URLSearchParams({
    system_name: systemName,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    tz: "UTC",
    page_size: "10000",
    ...extra,
  });
  const rows: StoredRow[] = [];
  let next: string | null = `${url}/api/filter-processes/?${q}`;
  while (next) {
    const res = await fetch(next, { signal: AbortSignal.timeout(120_000) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`filter for ${systemName}: ${res.status} ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as {
      next: string | null;
      data: { timestamp: string; pid: number; name: string }[];
    };
    for (const d of body.data)
      rows.push({ timestamp: Date.parse(d.timestamp), pid: d.pid, name: d.name, row: d });
    // Links are relative unless the server has a PUBLIC_URL.
    next = body.next === null ? null : new URL(body.next, next).href;
  }
  return rows;
}

/** Each value with how often it occurs more than once (empty when all are distinct). */
export function duplicates<T>(values: T[]): Map<T, number> {
  const seen = new Map<T, number>();
  for (const v of values) seen.set(v, (seen.get(v) ?? 0) + 1);
  return new Map([...seen].filter(([, n]) => n > 1));
}
