/**
 * The HTTP server: one router behind two doors (tRPC at /trpc, REST under /api), plus health,
 * the OpenAPI document and its reference page. Nothing a client sends can crash it.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Duplex } from "node:stream";
import type { AnyTRPCRouter } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import { bearer } from "../auth.ts";
import type { Config } from "../config.ts";
import { cut, type ErrorStatus, errorBody } from "../errors.ts";
import type { Logger } from "../log.ts";
import { buildOpenApiDocument, FILTER_ALIAS } from "../openapi.ts";
import { RateLimiter } from "../ratelimit.ts";
import { appRouter, procedureMeta } from "../router.ts";
import type { ProcessStore } from "../store/types.ts";
import { type Context, RateLimited } from "../trpc.ts";
import { BodyError, readJsonBody } from "./body.ts";
import { DOCS_HTML, docsAsset } from "./docs.ts";

export interface AppDeps {
  config: Config;
  store: ProcessStore;
  log: Logger;
  now?: () => number;
}

const RETRY_AFTER_SECONDS = "5";

/** Node's HTTP-level refusals, by error code: status and message of the JSON answer. */
const CLIENT_ERRORS: Record<string, [ErrorStatus, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request timeout: the request was not received in time"],
  HPE_HEADER_OVERFLOW: [431, "Request header fields too large"],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "Chunk extensions too large"],
};

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * A success's status from the procedure's metadata (201 for a stored submission); Retry-After on
 * 503 and 429. Shared by both doors. Every error is labelled JSON: tRPC answers some (an
 * unsupported content type, a body it cannot read) with a JSON body but no content type of its
 * own, which came out as text/plain.
 */
function responseMeta(opts: {
  paths?: readonly string[];
  errors: readonly { code: string; cause?: unknown }[];
}) {
  if (opts.errors.length === 0) {
    const status = opts.paths?.length === 1 ? procedureMeta(opts.paths[0] ?? "")?.successStatus : undefined;
    return status ? { status } : {};
  }
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.errors.some((e) => e.code === "SERVICE_UNAVAILABLE")) headers["retry-after"] = RETRY_AFTER_SECONDS;
  const limited = opts.errors.find((e) => e.cause instanceof RateLimited)?.cause;
  if (limited instanceof RateLimited) headers["retry-after"] = String(limited.retryAfterSeconds);
  return { headers };
}

export function createApp(deps: AppDeps): Server {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const writeLimiter = new RateLimiter(config.WRITE_RATE_PER_MINUTE);
  const context = (req: IncomingMessage, transport: Context["transport"]): Context => {
    const token = bearer(req.headers.authorization);
    return {
      store,
      config,
      log,
      transport,
      now,
      principal: token === undefined ? undefined : config.tokens.authenticate(token),
      presentedToken: token !== undefined,
      writeLimiter,
    };
  };
  const cors = (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    if (!origin || !config.corsOrigins.includes(origin)) return false;
    res.setHeader("access-control-allow-origin", origin);
    res.setHeader("vary", "Origin");
    res.setHeader("access-control-allow-headers", "authorization, content-type");
    res.setHeader("access-control-allow-methods", "GET, POST, OPTIONS");
    res.setHeader("access-control-max-age", "600");
    return true;
  };

  const trpc = createHTTPHandler({
    router: appRouter as AnyTRPCRouter,
    basePath: "/trpc/",
    maxBodySize: config.MAX_BODY_BYTES,
    createContext: ({ req }) => context(req, "trpc"),
    responseMeta: ({ paths, errors }) => responseMeta({ paths, errors }),
  });
  // The node-http flavour hands procedures the IncomingMessage itself (the "standalone" one turns
  // it into a fetch Request first), so one createContext serves both doors.
  const rest = createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: ({ req }) => context(req, "rest"),
    // biome-ignore lint/suspicious/noExplicitAny: trpc-to-openapi's responseMeta type is not exported
    responseMeta: ((opts: any) => responseMeta(opts)) as never,
  });
  const openapi = JSON.stringify(buildOpenApiDocument());

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const corsAllowed = cors(req, res);
    if (req.method === "OPTIONS") {
      res.writeHead(corsAllowed ? 204 : 403);
      return res.end();
    }
    if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (path === "/readyz") {
      try {
        await store.ping();
        return sendJson(res, 200, { status: "ready", storage: store.kind });
      } catch (err) {
        return sendJson(
          res,
          503,
          { status: "unavailable", storage: store.kind, reason: (err as Error).message },
          { "retry-after": RETRY_AFTER_SECONDS },
        );
      }
    }
    if (path === "/openapi.json") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      return res.end(openapi);
    }
    if (path === "/docs" || path === "/docs/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(DOCS_HTML);
    }
    if (path.startsWith("/docs/")) {
      const asset = await docsAsset(path.slice("/docs/".length));
      if (!asset) return sendJson(res, 404, errorBody(404, "Not found"));
      res.writeHead(200, { "content-type": asset.type, "cache-control": "public, max-age=86400" });
      return res.end(asset.body);
    }
    if (path.startsWith("/trpc/")) return trpc(req, res);
    if (path.startsWith("/api/")) {
      if (path.replace(/\/$/, "") === FILTER_ALIAS) {
        req.url = `/api/filter-processes${url.search}`;
      }
      if (req.method === "POST" || req.method === "PUT" || req.method === "PATCH") {
        const type = req.headers["content-type"] ?? "";
        if (!type.toLowerCase().startsWith("application/json")) {
          return sendJson(
            res,
            415,
            errorBody(415, `Content-Type must be application/json (got ${type ? `"${cut(type)}"` : "none"})`),
          );
        }
        try {
          (req as IncomingMessage & { body?: unknown }).body = await readJsonBody(req, config.MAX_BODY_BYTES);
        } catch (err) {
          if (err instanceof BodyError) {
            res.setHeader("connection", "close");
            return sendJson(res, err.status, errorBody(err.status, err.message));
          }
          throw err;
        }
        req.headers["content-type"] = "application/json";
      }
      return rest(req, res);
    }
    return sendJson(res, 404, errorBody(404, `Not found: ${cut(path)}`));
  };

  const server = createServer(
    // Request and header timeouts are enforced when Node checks its connections: every second
    // rather than its default 30 s, so that REQUEST_TIMEOUT_MS means what it says.
    { connectionsCheckingInterval: 1000 },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        log.error({ err: String(err), url: req.url }, "request failed");
        sendJson(res, 500, errorBody(500, "Internal server error"));
      });
    },
  );
  // A client that dribbles its request must not hold a connection forever (slow-loris).
  server.requestTimeout = config.REQUEST_TIMEOUT_MS;
  server.headersTimeout = Math.min(config.REQUEST_TIMEOUT_MS, 20_000);
  server.keepAliveTimeout = 5_000;
  // What Node's HTTP parser refuses (malformed requests, oversized headers, timeouts) is answered
  // with a JSON error body like every other error, instead of Node's bare status line.
  server.on(
    "clientError",
    (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: ServerResponse }) => {
      // As Node's own handler: answer only when no response has started on this socket.
      if (err.code === "ECONNRESET" || !socket.writable || socket._httpMessage?.headersSent) {
        socket.destroy();
        return;
      }
      const [status, message] = CLIENT_ERRORS[err.code ?? ""] ?? [400, "Malformed HTTP request"];
      const body = JSON.stringify(errorBody(status, message));
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        () => socket.destroy(),
      );
    },
  );
  return server;
}
