/**
 * The HTTP app in-process, listening on a real port, over a real store. For API tests that need
 * to choose the clock or the configuration; harness/server.ts runs the real entry point.
 */
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { ServerEnv } from "../../harness/stores.ts";
import { loadConfig } from "../../server/config.ts";
import { createApp } from "../../server/http/app.ts";
import { createLogger } from "../../server/log.ts";
import { createStore } from "../../server/store/index.ts";
import type { ProcessStore } from "../../server/store/types.ts";
import { WatchService } from "../../server/watch/service.ts";

export interface RunningApp {
  url: string;
  store: ProcessStore;
  /** Every JSON log line the app wrote. */
  logs: string[];
  close(): Promise<void>;
}

export interface AppOptions {
  env?: Record<string, string>;
  now?: () => number;
  store?: ProcessStore;
}

/**
 * The app on the store `storeEnv` selects (influxEnv(conn), or a StoreTarget's env), chosen and
 * built as the server does it (createStore), unless `opts.store` gives one.
 */
export async function startApp(storeEnv: ServerEnv | undefined, opts: AppOptions = {}): Promise<RunningApp> {
  const config = loadConfig({ ...storeEnv, ...opts.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const log = createLogger("debug", sink);
  const store = opts.store ?? (await createStore(config, log));
  await store.init().catch(() => undefined);
  const watches =
    config.WATCHES_FILE && config.watches
      ? new WatchService(config.WATCHES_FILE, config.watches, config, store, log)
      : undefined;
  watches?.start();
  const server = createApp({ config, store, log, watches, ...(opts.now ? { now: opts.now } : {}) });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    logs,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await watches?.stop();
      if (!opts.store) await store.close();
    },
  };
}

/** fetch + JSON, returning status, headers and the parsed body (or the raw text when not JSON). */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies and assert on them
export type Body = any;

export async function call(
  url: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<{ status: number; headers: Headers; body: Body }> {
  const { json, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    ...(json !== undefined
      ? {
          method: rest.method ?? "POST",
          body: JSON.stringify(json),
          headers: { "content-type": "application/json", ...rest.headers },
        }
      : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the test will say so
  }
  return { status: res.status, headers: res.headers, body };
}
