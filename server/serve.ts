/** Starting the API server from the environment: config, store, HTTP, signals. */
import type { AddressInfo } from "node:net";
import { ConfigError, loadConfig } from "./config.ts";
import { createApp } from "./http/app.ts";
import { createLogger } from "./log.ts";
import { createStore } from "./store/index.ts";

export async function runServer() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`procscope: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const store = await createStore(config, log);
  // Storage may come up after us (docker compose, a restart): keep trying, serve 503 meanwhile.
  const init = async (attempt = 1): Promise<void> => {
    try {
      await store.init();
      await store.ping(); // reachable, and our credentials may read and write
      log.info({ store: store.kind }, "storage ready");
    } catch (err) {
      const delay = Math.min(30_000, 500 * 2 ** attempt);
      // Whether storage accepts our credentials says more than most failures of init() itself.
      const reason = await store.ping().then(
        () => (err as Error).message,
        (unready: Error) => unready.message,
      );
      log.warn({ err: reason, retryInMs: delay }, `storage not ready: ${reason}`);
      await new Promise((r) => setTimeout(r, delay).unref());
      return init(attempt + 1);
    }
  };
  void init();
  const server = createApp({ config, store, log });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject); // e.g. EADDRINUSE: the caller says what to do about it
    server.listen(config.PORT, config.HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ host: config.HOST, port, store: store.kind }, "listening");

  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    server.close(() => {
      void store.close().then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  return { server, port, config, log, store };
}
