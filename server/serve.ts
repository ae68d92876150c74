/**
 * The API server on a validated configuration: store, HTTP, and a way to stop both. It never exits
 * the process; entry points (main.ts, start.ts) decide what a failure or a signal means.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.ts";
import { createApp } from "./http/app.ts";
import { createLogger, type Logger } from "./log.ts";
import { createStore } from "./store/index.ts";
import type { ProcessStore } from "./store/types.ts";
import { WatchService } from "./watch/service.ts";

export interface RunningServer {
  server: Server;
  port: number;
  config: Config;
  log: Logger;
  store: ProcessStore;
  /** Stops accepting requests, lets those in flight finish (at most 5 s), closes the store. */
  close(): Promise<void>;
}

/** Serves `config`; rejects when the port cannot be had (EADDRINUSE, EACCES: the caller says what to do). */
export async function serve(
  config: Config,
  log: Logger = createLogger(config.LOG_LEVEL),
): Promise<RunningServer> {
  const store = await createStore(config, log);
  // Storage may come up after us (docker compose, a restart): keep trying, serve 503 meanwhile.
  let closing = false;
  const init = async (attempt = 1): Promise<void> => {
    try {
      await store.init();
      await store.ping(); // reachable, and our credentials may read and write
      log.info({ store: store.kind }, "storage ready");
    } catch (err) {
      if (closing) return;
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      // Whether storage accepts our credentials says more than most failures of init() itself.
      const reason = await store.ping().then(
        () => (err as Error).message,
        (unready: Error) => unready.message,
      );
      log.warn({ err: reason, retryInMs: delay }, `storage not ready: ${reason}`);
      await new Promise((r) => setTimeout(r, delay).unref());
      if (!closing) return init(attempt + 1);
    }
  };
  void init();
  const watches =
    config.WATCHES_FILE && config.watches
      ? new WatchService(config.WATCHES_FILE, config.watches, config, store, log)
      : undefined;
  const server = createApp({ config, store, log, watches });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.PORT, config.HOST, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    closing = true;
    await store.close().catch(() => undefined);
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  log.info({ host: config.HOST, port, store: store.kind }, "listening");
  watches?.start();
  const close = async () => {
    closing = true;
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.race([drained, new Promise((r) => setTimeout(r, 5000).unref())]);
    await watches?.stop();
    await store.close();
  };
  return { server, port, config, log, store, close };
}

/** Resolves with the first SIGINT or SIGTERM. */
export function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}
