/**
 * Webhook delivery (docs/watches.md): each transition is POSTed to every WEBHOOK_URLS receiver as
 * JSON, signed with HMAC-SHA256 over the raw body (`X-Procscope-Signature: sha256=<hex>`).
 *
 * Each receiver has its own queue, delivered one event at a time in order (so in order per
 * (system, process)); a failure (no answer within 10 s, or not 2xx) is retried with exponential
 * backoff (1 s doubling to 5 min) for WEBHOOK_RETRY_SECONDS (an hour by default), then dropped with a
 * warning. A queue holds at most WEBHOOK_QUEUE_MAX events; beyond that the oldest is dropped, with a
 * warning. Sending never waits: evaluation and ingest go on whatever the receivers do.
 */
import { createHmac } from "node:crypto";
import type { Logger } from "../log.ts";
import type { Transition } from "./evaluate.ts";

const TIMEOUT_MS = 10_000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 300_000;

export interface WebhookOptions {
  urls: string[];
  secret: string;
  log: Logger;
  maxQueue: number;
  retryMs: number;
  now?: () => number;
}

interface Pending {
  id: string;
  type: string;
  body: string;
  queuedAt: number;
  attempts: number;
}

class Receiver {
  readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private closed = false;

  constructor(
    /** For logs: scheme, host and path only (never credentials or a query string). */
    private readonly label: string,
    private readonly url: string,
    private readonly opts: WebhookOptions,
  ) {}

  push(p: Pending): void {
    if (this.queue.length >= this.opts.maxQueue) {
      const dropped = this.queue.shift() as Pending;
      this.opts.log.warn(
        { receiver: this.label, id: dropped.id, type: dropped.type, max: this.opts.maxQueue },
        "webhook queue full: dropped the oldest event",
      );
    }
    this.queue.push(p);
    if (!this.busy && !this.timer) void this.run();
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.busy || this.closed) return;
    this.busy = true;
    const now = this.opts.now ?? Date.now;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const head = this.queue[0] as Pending;
        if (now() - head.queuedAt > this.opts.retryMs) {
          this.queue.shift();
          this.opts.log.warn(
            { receiver: this.label, id: head.id, type: head.type, attempts: head.attempts },
            "webhook event dropped: not delivered within WEBHOOK_RETRY_SECONDS",
          );
          continue;
        }
        head.attempts += 1;
        const failure = await this.post(head);
        // a full queue may have dropped it meanwhile (the oldest goes first): then go on with the next
        if (this.queue[0] !== head) continue;
        if (failure === undefined) {
          this.queue.shift();
          continue;
        }
        const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (head.attempts - 1));
        this.opts.log.warn(
          { receiver: this.label, id: head.id, attempts: head.attempts, retryInMs: delay, err: failure },
          "webhook delivery failed; will retry",
        );
        this.timer = setTimeout(() => void this.run(), delay);
        this.timer.unref();
        return;
      }
    } finally {
      this.busy = false;
    }
  }

  /** undefined when delivered; otherwise why not. */
  private async post(p: Pending): Promise<string | undefined> {
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: signedHeaders(p.body, this.opts.secret, { id: p.id, type: p.type, attempt: p.attempts }),
        body: p.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return e.name === "TimeoutError"
        ? `no answer within ${TIMEOUT_MS / 1000} s`
        : (e.cause?.code ?? e.message);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The headers of a delivery: the signature is HMAC-SHA256(secret, raw body), hex. */
function signedHeaders(
  body: string,
  secret: string,
  meta: { id: string; type: string; attempt: number },
): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "procscope-webhook/1",
    "x-procscope-event": meta.type,
    "x-procscope-event-id": meta.id,
    "x-procscope-delivery-attempt": String(meta.attempt),
    "x-procscope-signature": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
  };
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The JSON body of an event (docs/watches.md). */
function eventBody(t: Transition): string {
  return JSON.stringify({
    id: t.id,
    type: t.type,
    watch: t.watch,
    system_name: t.system_name,
    process_name: t.process_name,
    at: iso(t.at),
    since: iso(t.since),
    last_seen: iso(t.last_seen),
    instances: t.instances,
    min_instances: t.min_instances,
    state: t.state,
    previous_state: t.previous_state,
  });
}

export class WebhookSender {
  private readonly receivers: Receiver[];

  constructor(private readonly opts: WebhookOptions) {
    this.receivers = opts.urls.map((url) => {
      const u = new URL(url);
      return new Receiver(`${u.protocol}//${u.host}${u.pathname}`, url, opts);
    });
  }

  /** Queues the event for every receiver; returns at once. */
  send(t: Transition): void {
    const body = eventBody(t);
    const now = (this.opts.now ?? Date.now)();
    for (const r of this.receivers) r.push({ id: t.id, type: t.type, body, queuedAt: now, attempts: 0 });
  }

  /** Events waiting, per receiver (for tests and logs). */
  pending(): number[] {
    return this.receivers.map((r) => r.queue.length);
  }

  close(): void {
    for (const r of this.receivers) r.close();
  }
}
