/**
 * Drains the spool in order, one batch in flight at a time: stored or refused batches leave the
 * spool; on failure the batch stays first in line and the sender waits (exponential backoff with
 * jitter) before trying it again. Sampling never waits on any of this.
 */
import type { Backoff } from "./backoff.ts";
import type { Outcome, Submit } from "./client.ts";
import { errorText, type Logger } from "./log.ts";
import type { Spool, SpoolEntry } from "./spool.ts";

/** A Retry-After is honoured up to this (a misconfigured proxy must not park the agent for hours). */
const MAX_RETRY_AFTER_MS = 300_000;

interface Waiter {
  /** An idle wait ends when a batch arrives; a backoff wait only when its time is up (or on stop). */
  idle: boolean;
  wake: () => void;
}

export class Sender {
  private stopping = false;
  private running: Promise<void> | undefined;
  private waiter: Waiter | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly submit: Submit,
    private readonly backoff: Backoff,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** A batch was spooled. */
  notify(): void {
    if (this.waiter?.idle) this.waiter.wake();
  }

  /** Lets the send in flight finish (it is bounded by the request timeout), then stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.waiter?.wake();
    await this.running;
  }

  /**
   * Tries one batch once; stored and refused batches leave the spool (and are logged), failed ones
   * stay first in line (logged by the caller, who knows whether and when it retries).
   */
  async deliver(entry: SpoolEntry): Promise<Outcome> {
    let body: Uint8Array;
    try {
      body = this.spool.load(entry);
    } catch (err) {
      this.spool.remove(entry);
      this.log.error("unreadable spooled sample dropped", { batch: entry.name, err: errorText(err) });
      return { kind: "refused", status: 0, message: "unreadable spool file" };
    }
    const outcome = await this.submit(body);
    if (outcome.kind === "failed") {
      this.spool.release();
      return outcome; // the caller says what happens next
    }
    this.spool.remove(entry);
    // A batch spooled under the earlier naming has no instant or count in its name: the line then
    // has no timestamp (an undefined field is left out of the JSON) and a sent one the count accepted.
    if (outcome.kind === "refused") {
      this.log.error("server refused the sample; dropped", {
        timestamp: entry.timestamp,
        processes: entry.processes,
        batch: entry.name,
        status: outcome.status,
        message: outcome.message,
        ...(outcome.errors ? { errors: outcome.errors } : {}),
      });
    } else {
      this.log.debug("sent", {
        timestamp: entry.timestamp,
        processes: entry.processes ?? outcome.accepted,
        accepted: outcome.accepted,
        bytes: outcome.bytes,
        pending: this.spool.count,
      });
    }
    return outcome;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const entry = this.spool.take();
      if (!entry) {
        await this.wait(true);
        continue;
      }
      const outcome = await this.deliver(entry);
      if (outcome.kind === "failed") {
        // The server's Retry-After (503, 429), when longer than our own backoff, wins.
        const ms = Math.max(this.backoff.next(), Math.min(outcome.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
        this.log.warn("send failed; the sample stays in the spool", {
          reason: outcome.reason,
          ...(outcome.status ? { status: outcome.status } : {}),
          pending: this.spool.count,
          attempt: this.backoff.attempts,
          retry_in_ms: ms,
        });
        await this.wait(false, ms);
      } else if (this.backoff.attempts > 0) {
        this.backoff.reset();
        this.log.info("server answers again; replaying the spool", { pending: this.spool.count });
      }
    }
  }

  private wait(idle: boolean, ms?: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      // Stryker disable next-line ConditionalExpression: equivalent in behaviour — an idle wait would poll each tick (setTimeout without a delay) instead of sleeping until notify
      const timer = ms === undefined ? undefined : setTimeout(() => wake(), ms);
      const wake = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = { idle, wake };
    });
  }
}
