/**
 * tRPC initialisation: the context every procedure sees, the error shape every client gets, and the
 * middleware that turns validation and storage failures into clear 4xx/503 answers.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import { authorize, type Principal, type Scope } from "./auth.ts";
import type { RequestBudget } from "./budget.ts";
import type { Config } from "./config.ts";
import { badRequest, cutMessage, fieldErrors, InputError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { type ProcessStore, StorageRefusedError, StorageUnavailableError } from "./store/types.ts";

export interface Context {
  store: ProcessStore;
  config: Config;
  log: Logger;
  /** Which door the call came through; REST error bodies carry no tRPC-only fields. */
  transport: "rest" | "trpc";
  /** The request's own URL (absolute), for pagination links. */
  url: URL | undefined;
  now: () => number;
  /** The caller, when it presented a valid token; undefined otherwise. */
  principal: Principal | undefined;
  writeLimiter: RateLimiter;
  /** What this HTTP request may still return, all calls of a batch together. */
  budget: RequestBudget;
}

/** Carried as the cause of a TOO_MANY_REQUESTS: when to try again. */
export class RateLimited extends Error {
  override readonly name = "RateLimited";
  constructor(readonly retryAfterSeconds: number) {
    super("rate limited");
  }
}

/** @public Part of the router's type, which client/ declares for other projects. */
export interface Meta extends OpenApiMeta {
  /** Message for a request missing its required fields, as the old service worded it. */
  requiredMessage?: string;
  /** Top-level input keys whose absence or emptiness gets `requiredMessage`. */
  requiredKeys?: string[];
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    errorFormatter({ shape, error, ctx }) {
      const errors =
        error.cause instanceof InputError
          ? error.cause.errors.map((e) => ({ path: e.path, message: cutMessage(e.message) }))
          : undefined;
      const message =
        error.code === "INTERNAL_SERVER_ERROR" ? "Internal server error" : cutMessage(error.message);
      const body = { success: false as const, message, ...(errors ? { errors } : {}) };
      if (ctx?.transport === "rest") return { ...body, code: shape.code, data: undefined };
      return {
        ...body,
        code: shape.code,
        data: { code: shape.data.code, httpStatus: shape.data.httpStatus },
      };
    },
  });

const isMissing = (issue: ZodError["issues"][number]) =>
  issue.path.length === 1 &&
  (issue.code === "too_small" || (issue.code === "invalid_type" && issue.message.includes("undefined")));

/**
 * Runs around input parsing: a ZodError becomes a 400 naming each field; storage trouble becomes
 * 503; anything unexpected is logged and answered as a bare 500 (never with its stack).
 */
const errorBoundary = t.middleware(async ({ next, meta, path, ctx }) => {
  const result = await next();
  if (result.ok) return result;
  const { error } = result;
  if (error.cause instanceof ZodError) {
    const issues = error.cause.issues;
    const required = meta?.requiredKeys;
    if (required && meta?.requiredMessage) {
      const missing = issues.some((i) => isMissing(i) && required.includes(String(i.path[0])));
      if (missing) throw badRequest(meta.requiredMessage, fieldErrors(issues));
    }
    const errors = fieldErrors(issues);
    const first = errors[0];
    throw badRequest(first ? `${first.path}: ${first.message}` : "Invalid input", errors);
  }
  if (error.cause instanceof StorageRefusedError) {
    const { field, message } = error.cause;
    throw badRequest(`${field}: ${message}`, [{ path: field, message }]);
  }
  if (error.cause instanceof StorageUnavailableError) {
    ctx.log.warn({ path, err: error.cause.message }, "storage unavailable");
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "storage unavailable", cause: error.cause });
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    ctx.log.error({ path, err: String(error.cause ?? error) }, "unexpected error");
  }
  return result;
});

/**
 * With tokens configured, a call needs a valid token (401 otherwise — the same answer for a
 * missing and an unknown token) carrying the scope (403 otherwise). Checked before the input is.
 */
const requireScope = (scope: Scope) =>
  t.middleware(({ ctx, next }) => {
    const refused = authorize(ctx.config.tokens, ctx.principal, scope);
    if (refused) throw refused;
    return next();
  });

const writeRateLimit = t.middleware(({ ctx, next }) => {
  const wait = ctx.writeLimiter.take(ctx.principal?.name ?? "(unauthenticated)");
  if (wait > 0) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `Too many writes for this token; retry in ${wait} s.`,
      cause: new RateLimited(wait),
    });
  }
  return next();
});

export const router = t.router;
export const mergeRouters = t.mergeRouters;
export const createCallerFactory = t.createCallerFactory;
const baseProcedure = t.procedure.use(errorBoundary);
export const readProcedure = baseProcedure.use(requireScope("read"));
export const writeProcedure = baseProcedure.use(requireScope("write")).use(writeRateLimit);
