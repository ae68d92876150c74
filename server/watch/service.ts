/**
 * Watches in a running server (docs/watches.md): the file, reloaded on SIGHUP and when it changes
 * (an invalid new file keeps the old set); the evaluation every WATCH_EVALUATION_MS; transitions
 * to the webhook receivers and, on InfluxDB, to the `watch` measurement Grafana reads.
 */
import { unwatchFile, watchFile } from "node:fs";
import { InfluxDB, Point, type WriteApi } from "@influxdata/influxdb-client";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { encodeTag } from "../store/influx/tags.ts";
import type { ProcessStore } from "../store/types.ts";
import { type Transition, WatchEvaluator } from "./evaluate.ts";
import { loadWatches, type Watch, WatchesFileError } from "./file.ts";
import { WebhookSender } from "./webhooks.ts";

/** Batches delivered up to this late still count toward the live status. */
const OVERLAP_MS = 10_000;
/** The measurement of watch transitions (grafana/dashboards/watches.json). */
const WATCH_MEASUREMENT = "watch";

/**
 * A transition as the point Grafana's "Watches" dashboard reads, at its `since`: deterministic, so
 * servers on one store write the same point. Tags are stored encoded as the samples' are
 * (`\\` → `%5C`, `%` → `%25`: store/influx/tags.ts), so the dashboards' pickers agree.
 */
export function watchPoint(
  t: Pick<Transition, "watch" | "system_name" | "process_name" | "state" | "id" | "since" | "at">,
): Point {
  return new Point(WATCH_MEASUREMENT)
    .tag("watch", encodeTag(t.watch))
    .tag("system", encodeTag(t.system_name))
    .tag("process", encodeTag(t.process_name))
    .stringField("state", t.state)
    .intField("down", t.state === "down" || t.state === "never_seen" ? 1 : 0)
    .stringField("id", t.id)
    .timestamp(t.since ?? t.at);
}

export class WatchService {
  readonly evaluator: WatchEvaluator;
  private readonly webhooks: WebhookSender | undefined;
  private readonly influx: WriteApi | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly onHup = () => this.reload("SIGHUP");
  private stopped = false;
  /** Evaluations done so far. */
  evaluations = 0;
  /** Why the last evaluation failed (storage), or undefined when it succeeded: the states are stale. */
  failure: Error | undefined;
  private first: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    watches: Watch[],
    private readonly config: Config,
    store: ProcessStore,
    private readonly log: Logger,
    now: () => number = Date.now,
  ) {
    this.evaluator = new WatchEvaluator({
      store,
      log,
      now,
      defaultGapMs: config.RUN_GAP_SECONDS * 1000,
      lookbackMs: config.WATCH_LOOKBACK_SECONDS * 1000,
      overlapMs: OVERLAP_MS,
    });
    this.evaluator.setWatches(watches);
    if (config.webhookUrls.length > 0 && config.WEBHOOK_SECRET) {
      this.webhooks = new WebhookSender({
        urls: config.webhookUrls,
        secret: config.WEBHOOK_SECRET,
        log,
        maxQueue: config.WEBHOOK_QUEUE_MAX,
        retryMs: config.WEBHOOK_RETRY_SECONDS * 1000,
        now,
      });
    }
    if (store.kind === "influxdb" && config.INFLUX_URL && config.INFLUX_TOKEN) {
      this.influx = new InfluxDB({ url: config.INFLUX_URL, token: config.INFLUX_TOKEN }).getWriteApi(
        config.INFLUX_ORG,
        config.INFLUX_BUCKET,
        "ms",
        { flushInterval: 1000, maxRetryTime: 3_600_000, maxBufferLines: 100_000 },
      );
    }
  }

  start(): void {
    process.on("SIGHUP", this.onHup);
    watchFile(this.file, { interval: 1000, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) this.reload("file changed");
    });
    const tick = () => {
      if (this.stopped) return;
      this.running ??= this.evaluateOnce().finally(() => {
        this.running = undefined;
      });
    };
    tick();
    this.first = this.running;
    this.timer = setInterval(tick, this.config.WATCH_EVALUATION_MS);
    this.timer.unref();
    this.log.info(
      { file: this.file, watches: this.evaluator.list().length, every_ms: this.config.WATCH_EVALUATION_MS },
      "watches loaded",
    );
  }

  /** Resolves once the first evaluation has finished (or failed). */
  async settled(): Promise<void> {
    await this.first;
  }

  /** Reads the file again; keeps the current watches if it is invalid. */
  reload(why: string): boolean {
    try {
      const watches = loadWatches(this.file);
      this.evaluator.setWatches(watches);
      this.log.info({ file: this.file, watches: watches.length, why }, "watches reloaded");
      return true;
    } catch (err) {
      const problems = err instanceof WatchesFileError ? err.problems : [String(err)];
      this.log.error(
        { file: this.file, why, problems },
        "watches file invalid: keeping the previous watches",
      );
      return false;
    }
  }

  private async evaluateOnce(): Promise<void> {
    let transitions: Transition[];
    try {
      transitions = await this.evaluator.evaluate();
    } catch (err) {
      this.failure = err as Error;
      this.log.warn({ err: String(err) }, "watch evaluation failed (storage?); states unchanged");
      return;
    }
    this.failure = undefined;
    this.evaluations += 1;
    for (const t of transitions) {
      this.log.info(
        { id: t.id, type: t.type, watch: t.watch, system_name: t.system_name, since: t.since },
        `watch ${t.type}`,
      );
      this.webhooks?.send(t);
      this.influx?.writePoint(watchPoint(t));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    process.off("SIGHUP", this.onHup);
    unwatchFile(this.file);
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.webhooks?.close();
    await this.influx?.close().catch(() => undefined);
  }
}
