/**
 * The hostile-input tests' target: the real server process over a fresh InfluxDB bucket or SQLite
 * file, what its storage really holds (read from the database itself, not through the API), the
 * one rule every answer must follow, and raw TCP requests for what fetch cannot send.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { flux, InfluxDB } from "@influxdata/influxdb-client";
import Database from "better-sqlite3";
import { expect } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import type { ServerEnv, StoreKind } from "../../harness/stores.ts";
import { decodeTag } from "../../server/store/influx/tags.ts";
import { storeEnvs } from "../support/stores.ts";

export const STORES: StoreKind[] = ["sqlite", "influxdb"];

export interface Target {
  kind: StoreKind;
  server: ServerProcess;
  /** Every system name in storage, over all time, read from the database itself. */
  storedSystems(): Promise<string[]>;
  /** Stops the server and removes its data directory (SQLite). */
  dispose(): Promise<void>;
}

export async function startTarget(kind: StoreKind, env: Record<string, string> = {}): Promise<Target> {
  const stores = storeEnvs("hostile");
  const storeEnv = await stores.env(kind);
  const server = await startServer({
    env: { ...storeEnv, WRITE_RATE_PER_MINUTE: "0", LOG_LEVEL: "warn", ...env },
  });
  return {
    kind,
    server,
    storedSystems: () => (kind === "sqlite" ? sqliteSystems(storeEnv) : influxSystems(storeEnv)),
    async dispose() {
      await server.stop();
      stores.cleanup();
    },
  };
}

async function sqliteSystems(env: ServerEnv): Promise<string[]> {
  const db = new Database(join(env.DATA_DIR as string, "procscope.sqlite"), { readonly: true });
  try {
    return (db.prepare("SELECT DISTINCT system FROM samples").pluck().all() as string[]).sort();
  } finally {
    db.close();
  }
}

async function influxSystems(env: ServerEnv): Promise<string[]> {
  const { INFLUX_URL: url = "", INFLUX_TOKEN: token, INFLUX_ORG: org = "", INFLUX_BUCKET: bucket = "" } = env;
  const rows = await new InfluxDB({ url, token })
    .getQueryApi(org)
    .collectRows<{ _value: string }>(flux`import "influxdata/influxdb/schema"
schema.tagValues(bucket: ${bucket}, tag: "system", start: time(v: 0))`);
  return rows.map((r) => decodeTag(r._value)).sort();
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are arbitrary JSON, inspected by the tests
  body: any;
}

export async function send(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text, body };
}

/** The message of an error answer on either door: REST `{message}`, tRPC `{error: {message}}`. */
function errorMessage(body: unknown): unknown {
  const b = body as { message?: unknown; error?: { message?: unknown } } | undefined;
  if (Array.isArray(body)) return errorMessage(body.find((x) => (x as { error?: unknown }).error) ?? body[0]);
  return b?.error?.message ?? b?.message;
}

/**
 * The rule: a 2xx, or a 4xx whose body is JSON with a message. Never a 5xx, never a body that is
 * not JSON (a tRPC batch may answer 207 with one result per call).
 */
export function expectClean(a: Answer, what: string): void {
  const where = `${what} → ${a.status} ${a.text.slice(0, 300)}`;
  expect(a.status >= 200 && a.status < 500, where).toBe(true);
  expect(a.status >= 300 && a.status < 400, where).toBe(false);
  if (a.status === 204) return;
  expect(a.contentType, where).toMatch(/^application\/json/);
  expect(a.body, where).not.toBeUndefined();
  if (a.status >= 400) {
    const message = errorMessage(a.body);
    expect(typeof message === "string" && message.length > 0, where).toBe(true);
  }
}

export interface RawResult {
  /** Everything the server sent back. */
  response: string;
  /** The server closed the connection (rather than this side giving up after `giveUpMs`). */
  closedByServer: boolean;
  /** Bytes written before the connection closed. */
  written: number;
}

/**
 * A request over a raw socket: `head` at once, then each of `drip` separately, `dripMs` apart, for
 * as long as the server keeps the connection open. `halfClose` ends the writing side after the
 * last piece; the server's answer is still read. Gives up (and says so) after `giveUpMs`.
 */
export function rawRequest(
  port: number,
  head: string | Buffer,
  opts: { drip?: (string | Buffer)[]; dripMs?: number; halfClose?: boolean; giveUpMs?: number } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let written = 0;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ response: Buffer.concat(chunks).toString("utf8"), closedByServer, written });
    };
    const giveUp = setTimeout(() => finish(false), opts.giveUpMs ?? 30_000);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    const write = (piece: string | Buffer) => {
      if (done || socket.destroyed || !socket.writable) return;
      socket.write(piece);
      written += Buffer.byteLength(piece);
    };
    socket.on("connect", () => {
      write(head);
      const drip = [...(opts.drip ?? [])];
      const next = () => {
        const piece = drip.shift();
        if (piece === undefined) {
          if (opts.halfClose) socket.end();
          return;
        }
        write(piece);
        timer = setTimeout(next, opts.dripMs ?? 0);
      };
      if (drip.length === 0) {
        if (opts.halfClose) socket.end();
      } else timer = setTimeout(next, opts.dripMs ?? 0);
    });
  });
}

/** Status code and parsed JSON body of a raw HTTP/1.1 response (undefined body when not JSON). */
export function parseRaw(response: string): {
  status: number;
  contentType: string;
  body: unknown;
  text: string;
} {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
  const split = response.indexOf("\r\n\r\n");
  const headers = split < 0 ? response : response.slice(0, split);
  const contentType = /\r\ncontent-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? "";
  let text = split < 0 ? "" : response.slice(split + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(headers)) {
    // "<hex size>\r\n<bytes>\r\n" … "0\r\n\r\n"; sizes count bytes, so work on bytes
    let rest = Buffer.from(text, "utf8");
    const parts: Buffer[] = [];
    for (;;) {
      const nl = rest.indexOf("\r\n");
      const size = Number.parseInt(rest.subarray(0, nl).toString("latin1"), 16);
      if (!(size > 0)) break;
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      rest = rest.subarray(nl + 2 + size + 2);
    }
    text = Buffer.concat(parts).toString("utf8");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status, contentType, body, text };
}

/**
 * One request through node:http, which (unlike fetch) sends any Host header it is given and any
 * method; the answer as `send` gives it.
 */
export function request(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path,
        headers: opts.headers,
        setHost: !opts.headers || !Object.keys(opts.headers).some((h) => h.toLowerCase() === "host"),
        agent: false,
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"] ?? "",
            text,
            body,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}
