/**
 * The HTTP server: one router behind two doors (tRPC at /trpc, REST under /api), plus health,
 * the OpenAPI document and its reference page. Nothing a client sends can crash it.
 *
 * Every request goes through the same pipeline, cheapest check first:
 *   Host and request target valid (400) → a route for the path (404) → a method it answers (405 with
 *   Allow; HEAD is GET without the body) → authenticated for what it asks (401/403, before any byte
 *   of the body is read) → the door's own limits (calls per batch, content type, body size and
 *   nesting) → the procedure, whose answer is bounded by the request's budget (server/budget.ts).
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type AnyTRPCRouter, TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { createOpenApiNodeHttpHandler } from "trpc-to-openapi";
import { authorize, bearer, type Scope } from "../auth.ts";
import { RequestBudget } from "../budget.ts";
import type { Config } from "../config.ts";
import { cutMessage, type ErrorStatus, echo, errorBody } from "../errors.ts";
import type { Logger } from "../log.ts";
import { buildOpenApiDocument, FILTER_ALIAS } from "../openapi.ts";
import { RateLimiter } from "../ratelimit.ts";
import { appRouter, procedureMeta } from "../router.ts";
import type { ProcessStore } from "../store/types.ts";
import { type Context, RateLimited } from "../trpc.ts";
import type { WatchService } from "../watch/service.ts";
import { BodyError, isJsonContentType, readJsonBody, readJsonText } from "./body.ts";
import { createConsole } from "./console.ts";
import { DOCS_HEADERS, DOCS_HTML, docsAsset, isDocsAsset } from "./docs.ts";
import { requestTarget, validHost } from "./request.ts";
import { watchEventLoop } from "./stalls.ts";

export interface AppDeps {
  config: Config;
  store: ProcessStore;
  log: Logger;
  now?: () => number;
  watches?: WatchService | undefined;
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

/** The REST door's error body (as the procedures' errors are formatted there: no tRPC `data`). */
function sendError(res: ServerResponse, error: TRPCError, headers: Record<string, string> = {}) {
  sendJson(
    res,
    getHTTPStatusCodeFromError(error),
    errorBody(getHTTPStatusCodeFromError(error) as ErrorStatus, error.message),
    headers,
  );
}

/** A parsed body's toJSON for trpc-to-openapi's fetch Request (see restRoute): no body there. */
const noBody = (): undefined => undefined;

/** Whether the request still has body bytes on the wire that nobody is going to read. */
const bodyPending = (req: IncomingMessage) =>
  !req.complete &&
  (req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0);

/**
 * Answering without reading the body: the connection closes after the answer, so the unread bytes
 * are never parsed (Node discards them), and a body that never ends costs nothing.
 */
function leaveBodyUnread(req: IncomingMessage, res: ServerResponse) {
  if (!bodyPending(req)) return;
  res.setHeader("connection", "close");
  lingerBeforeClosing(req.socket);
}

/** How long a connection closed over an unread body goes on reading (and discarding) after the answer. */
const LINGER_MS = 2_000;

/**
 * A lingering close, as nginx does it. Closing a socket whose receive buffer still holds unread
 * bytes makes the kernel send a reset, and the reset can overtake the answer: the client sees
 * "connection reset" instead of its 413 (6 of 200 one-byte-over submissions lost it on a quiet
 * machine). So once the answer is out (Node calls destroySoon), only the writing side is shut, and
 * what the client still sends is read and dropped until it closes or LINGER_MS passes.
 */
function lingerBeforeClosing(socket: Socket) {
  socket.destroySoon = () => {
    socket.end();
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };
}

const BODY_ERROR_CODES = {
  400: "BAD_REQUEST",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
} as const;
const bodyError = (err: BodyError) =>
  new TRPCError({ code: BODY_ERROR_CODES[err.status], message: err.message });

const unsupportedType = (req: IncomingMessage) => {
  const type = req.headers["content-type"];
  return new TRPCError({
    code: "UNSUPPORTED_MEDIA_TYPE",
    message: `Content-Type must be application/json (got ${type ? echo(type) : "none"})`,
  });
};

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

/** What a procedure's callers need: queries read, mutations write. */
const scopeOf = (type: string): Scope => (type === "mutation" ? "write" : "read");

/** A procedure of the router by its dotted path (own entries only: never "constructor"). */
function procedureAt(name: string): { type: string } | undefined {
  const procedures = (appRouter as AnyTRPCRouter)._def.procedures as Record<
    string,
    { _def: { type: string } }
  >;
  return Object.hasOwn(procedures, name) ? procedures[name]?._def : undefined;
}

interface RestOperation {
  procedure: string;
  scope: Scope;
  /** Whether the operation takes a JSON body (POST, PUT, PATCH) rather than a query string. */
  body: boolean;
}

/** REST paths (lower case, no trailing slash, as trpc-to-openapi matches them) → method → operation. */
function restOperations(): Map<string, Map<string, RestOperation>> {
  const table = new Map<string, Map<string, RestOperation>>();
  const procedures = (appRouter as AnyTRPCRouter)._def.procedures as Record<
    string,
    { _def: { type: string; meta?: { openapi?: { method: string; path: string; enabled?: boolean } } } }
  >;
  for (const [procedure, { _def }] of Object.entries(procedures)) {
    const openapi = _def.meta?.openapi;
    if (!openapi || openapi.enabled === false) continue;
    if (openapi.path.includes("{")) throw new Error(`${procedure}: path parameters are not routed by app.ts`);
    const op = {
      procedure,
      scope: scopeOf(_def.type),
      body: ["POST", "PUT", "PATCH"].includes(openapi.method),
    };
    const paths = [openapi.path, ...(procedure === "process.filter" ? [FILTER_ALIAS] : [])];
    for (const path of paths) {
      const key = restKey(path);
      table.set(key, (table.get(key) ?? new Map()).set(openapi.method, op));
    }
  }
  return table;
}
// Exactly trpc-to-openapi's normalisation (one slash off each end, case-insensitive), so that every
// path routed here is one it routes to a procedure.
const restKey = (path: string) => `/${path.replace(/^\/|\/$/g, "")}`.toLowerCase();

/** The query string as trpc-to-openapi reads it, in an object without a prototype ("?constructor=x"). */
function queryObject(params: URLSearchParams): Record<string, string[]> {
  const query = Object.create(null) as Record<string, string[]>;
  for (const [key, value] of params) {
    if (Object.hasOwn(query, key)) query[key]?.push(value);
    else query[key] = [value];
  }
  return query;
}

/** A path's handler: the methods it answers (HEAD comes with GET), or "any" to judge them itself. */
interface Route {
  methods: readonly string[] | "any";
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void | Promise<void>;
}

export function createApp(deps: AppDeps): Server {
  const { config, store, log } = deps;
  const now = deps.now ?? Date.now;
  const writeLimiter = new RateLimiter(config.WRITE_RATE_PER_MINUTE);
  const principalOf = (req: IncomingMessage) => {
    const token = bearer(req.headers.authorization);
    return token === undefined ? undefined : config.tokens.authenticate(token);
  };
  /** tRPC requests the pipeline refused before tRPC saw them: createContext throws the refusal. */
  const refusals = new WeakMap<IncomingMessage, TRPCError>();
  const context = (req: IncomingMessage, transport: Context["transport"]): Context => {
    const refusal = refusals.get(req);
    if (refusal) throw refusal;
    return {
      store,
      config,
      log,
      transport,
      now,
      principal: principalOf(req),
      writeLimiter,
      watches: deps.watches,
      budget: new RequestBudget({ rows: config.MAX_ROWS_PER_REQUEST, bytes: config.MAX_RESPONSE_BYTES }),
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
  const operations = restOperations();
  const consolePages = config.CONSOLE ? createConsole(log) : undefined;

  /** The REST door: authentication, then the JSON body (if any), then trpc-to-openapi. */
  const restRoute = (byMethod: Map<string, RestOperation>): Route => ({
    methods: [...byMethod.keys()],
    async handle(req, res, url) {
      const op = byMethod.get(req.method ?? "") as RestOperation;
      const refused = authorize(config.tokens, principalOf(req), op.scope);
      if (refused) {
        leaveBodyUnread(req, res);
        return sendError(res, refused);
      }
      if (op.body) {
        if (!isJsonContentType(req.headers["content-type"])) {
          leaveBodyUnread(req, res);
          return sendError(res, unsupportedType(req));
        }
        try {
          const body = (await readJsonBody(req, config.MAX_BODY_BYTES)) as object;
          // trpc-to-openapi turns the request into a fetch Request only to take its abort signal,
          // and re-serialises the parsed body for it (JSON.stringify: ~6 % of the server's CPU per
          // submission). A non-enumerable toJSON makes that body empty; the input it hands the
          // procedure is a spread copy of the body, which does not carry it.
          if (!Object.hasOwn(body, "toJSON")) Object.defineProperty(body, "toJSON", { value: noBody });
          (req as IncomingMessage & { body?: unknown }).body = body;
        } catch (err) {
          if (!(err instanceof BodyError)) throw err;
          leaveBodyUnread(req, res);
          return sendError(res, bodyError(err));
        }
        req.headers["content-type"] = "application/json";
      } else {
        // trpc-to-openapi collects the query into a plain object, where "constructor" or
        // "__proto__" already exist (a 500 on every GET); it uses req.query when there is one.
        (req as IncomingMessage & { query?: unknown }).query = queryObject(url.searchParams);
      }
      if (restKey(url.pathname) === restKey(FILTER_ALIAS)) req.url = `/api/filter-processes${url.search}`;
      return rest(req, res);
    },
  });

  /**
   * The tRPC door. Refusals made here (too many calls, no token, wrong content type, a body too
   * large or too deep) reach the client in tRPC's own error shape, one per call: tRPC is handed an
   * empty body and createContext throws the refusal.
   */
  const trpcRoute: Route = {
    methods: "any", // tRPC answers a wrong method itself: 405 with Allow, in its own error shape
    async handle(req, res, url) {
      let refusal: TRPCError | undefined;
      let path = url.pathname.slice("/trpc/".length);
      try {
        path = decodeURIComponent(path);
      } catch {
        // tRPC answers the bad encoding itself
      }
      const names = url.searchParams.get("batch") === "1" ? path.split(",") : [path];
      if (names.length > config.MAX_BATCH_CALLS) {
        refusal = new TRPCError({
          code: "BAD_REQUEST",
          message: `at most ${config.MAX_BATCH_CALLS} calls per batch (got ${names.length})`,
        });
      }
      const principal = principalOf(req);
      refusal ??= authorize(config.tokens, principal, undefined);
      for (const name of names) {
        const procedure = procedureAt(name);
        if (procedure) refusal ??= authorize(config.tokens, principal, scopeOf(procedure.type));
      }
      if (!refusal && req.method === "POST") {
        if (!isJsonContentType(req.headers["content-type"])) refusal = unsupportedType(req);
        else {
          try {
            (req as IncomingMessage & { body?: unknown }).body = await readJsonText(
              req,
              config.MAX_BODY_BYTES,
            );
          } catch (err) {
            if (!(err instanceof BodyError)) throw err;
            refusal = bodyError(err);
          }
        }
      }
      if (refusal || req.method !== "POST") {
        (req as IncomingMessage & { body?: unknown }).body = "";
        leaveBodyUnread(req, res);
      }
      // So that tRPC's own content-type check (which echoes the header uncut) lets the refusal through.
      if (refusal && req.method === "POST") req.headers["content-type"] = "application/json";
      if (refusal) refusals.set(req, refusal);
      return trpc(req, res);
    },
  };

  /** Exact paths. To add a page: one more entry. */
  const routes = new Map<string, Route>([
    ["/healthz", { methods: ["GET"], handle: (_req, res) => sendJson(res, 200, { status: "ok" }) }],
    [
      "/readyz",
      {
        methods: ["GET"],
        async handle(_req, res) {
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
        },
      },
    ],
    [
      "/openapi.json",
      {
        methods: ["GET"],
        handle(_req, res) {
          res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
          res.end(openapi);
        },
      },
    ],
    [
      "/docs",
      {
        methods: ["GET"],
        handle(_req, res) {
          res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...DOCS_HEADERS });
          res.end(DOCS_HTML);
        },
      },
    ],
  ]);
  routes.set("/docs/", routes.get("/docs") as Route);
  if (consolePages) routes.set("/", { methods: ["GET"], handle: consolePages.page });

  /** Paths under a prefix: the route for the rest of the path, or undefined (404). */
  const prefixes: [string, (path: string) => Route | undefined][] = [
    ["/trpc/", () => trpcRoute],
    ...(consolePages ? [consolePages.prefix] : []),
    [
      "/api/",
      (path) => {
        const byMethod = operations.get(restKey(path));
        return byMethod && restRoute(byMethod);
      },
    ],
    [
      "/docs/",
      (path) => {
        const name = path.slice("/docs/".length);
        if (!isDocsAsset(name)) return undefined;
        return {
          methods: ["GET"],
          async handle(_req, res) {
            const asset = await docsAsset(name);
            if (!asset) return sendJson(res, 404, errorBody(404, "Not found"));
            res.writeHead(200, {
              "content-type": asset.type,
              "cache-control": "public, max-age=86400",
              ...DOCS_HEADERS,
            });
            res.end(asset.body);
          },
        };
      },
    ],
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!validHost(req.headers.host)) {
      leaveBodyUnread(req, res);
      return sendJson(res, 400, errorBody(400, "The Host header is not a valid host[:port]"));
    }
    const url = requestTarget(req);
    if (!url) {
      leaveBodyUnread(req, res);
      return sendJson(res, 400, errorBody(400, "The request target is not a path"));
    }
    const path = url.pathname;
    const corsAllowed = cors(req, res);
    const route = routes.get(path) ?? prefixes.find(([prefix]) => path.startsWith(prefix))?.[1](path);
    if (!route) {
      leaveBodyUnread(req, res);
      return sendJson(res, 404, errorBody(404, `Not found: ${echo(path)}`));
    }
    if (req.method === "OPTIONS") {
      res.writeHead(corsAllowed ? 204 : 403);
      return res.end();
    }
    // HEAD is GET without the body (Node leaves the body out of a HEAD's answer by itself): the
    // same route, the same authentication, the same status.
    const method = req.method;
    if (method === "HEAD") req.method = "GET";
    if (route.methods !== "any" && !route.methods.includes(req.method ?? "")) {
      const allow = [...route.methods, ...(route.methods.includes("GET") ? ["HEAD"] : [])].join(", ");
      leaveBodyUnread(req, res);
      return sendJson(
        res,
        405,
        errorBody(405, `Method ${echo(method ?? "")} is not allowed here; use ${allow}`),
        { allow },
      );
    }
    return route.handle(req, res, url);
  };

  const server = createServer(
    // Request and header timeouts are enforced when Node checks its connections: every second
    // rather than its default 30 s, so that REQUEST_TIMEOUT_MS means what it says.
    { connectionsCheckingInterval: 1000 },
    (req, res) => {
      const method = req.method;
      // Every 5xx this server answers is logged, whichever part of it answered.
      res.once("finish", () => {
        if (res.statusCode < 500) return;
        const entry = { status: res.statusCode, method, url: cutMessage(req.url ?? "") };
        if (res.statusCode === 503) log.warn(entry, "answered 503");
        else log.error(entry, `answered ${res.statusCode}`);
      });
      handle(req, res).catch((err: unknown) => {
        log.error({ err: String(err), url: cutMessage(req.url ?? "") }, "request failed");
        sendJson(res, 500, errorBody(500, "Internal server error"));
      });
    },
  );
  const stopWatching = watchEventLoop(log);
  server.once("close", stopWatching);
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
