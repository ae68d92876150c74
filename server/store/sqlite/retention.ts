/**
 * Retention for the embedded store: samples older than N days are deleted in the background, a
 * bounded chunk per transaction, yielding to the event loop between chunks so that requests and
 * writes are never held up for long. The file does not shrink; SQLite reuses the freed pages.
 */
import type Database from "better-sqlite3";
import type { Logger } from "../../log.ts";
import type { SqliteHistory } from "./history.ts";
import { DELETE_EXPIRED_BATCHES, DELETE_EXPIRED_CHUNK } from "./queries.ts";

const CHUNK = 5000;

export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;
  private readonly remove: Database.Statement;
  private readonly removeBatches: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: {
      intervalMs: number;
      log: Logger;
      now: () => number;
      /** Compacts finished days first; says before when raw samples may go (whole UTC days). */
      history: SqliteHistory;
    },
  ) {
    this.remove = db.prepare(DELETE_EXPIRED_CHUNK);
    this.removeBatches = db.prepare(DELETE_EXPIRED_BATCHES);
  }

  /** Sweep now and then every intervalMs; the timer never keeps the process alive. Idempotent. */
  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.sweep().catch((err: unknown) => {
        this.opts.log.warn({ err: (err as Error).message }, "retention sweep failed");
      });
    };
    this.timer = setInterval(tick, this.opts.intervalMs);
    this.timer.unref();
    tick();
  }

  stop(): void {
    this.stopped = true;
    // Stryker disable next-line ConditionalExpression: equivalent when true because clearInterval(undefined) does nothing
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Resolves once no sweep is running. */
  async idle(): Promise<void> {
    // Stryker disable next-line ArrowFunction: equivalent because the value is not used
    await this.running?.catch(() => 0);
  }

  /**
   * Compacts finished days into history, then deletes every sample of the UTC days before the
   * retention period's first day, then history past its own retention; one sweep at a time.
   */
  sweep(now: number = this.opts.now()): Promise<number> {
    if (!this.running) {
      this.running = this.run(now).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async run(now: number): Promise<number> {
    // Stryker disable next-line ArrowFunction: equivalent in results because stopping compaction early only saves time at close(); the next sweep compacts the rest
    const stopped = () => this.stopped;
    const cutoff = await this.opts.history.compactFinished(now, stopped);
    let total = 0;
    for (;;) {
      // Stryker disable next-line ConditionalExpression: equivalent because close() stops the timer and waits for a running sweep before it closes the connection, so a sweep never finds it closed (the check guards against a future caller that does not)
      if (!this.db.open) return total;
      const { changes } = this.remove.run({ cutoff, chunk: CHUNK });
      total += changes;
      if (changes < CHUNK || this.stopped) break;
      await new Promise((r) => setImmediate(r));
    }
    // the batch rows of those samples (not counted: `total` is samples)
    // Stryker disable BlockStatement: equivalent in results because the wait only yields to other work between chunks
    while (
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, as the check above
      this.db.open &&
      !this.stopped &&
      this.removeBatches.run({ cutoff, chunk: CHUNK }).changes === CHUNK
    ) {
      await new Promise((r) => setImmediate(r));
    }
    // Stryker restore BlockStatement
    await this.opts.history.expire(now, stopped);
    if (total > 0)
      this.opts.log.info({ deleted: total, before: new Date(cutoff).toISOString() }, "retention");
    return total;
  }
}
