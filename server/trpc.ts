/**
 * tRPC initialisation: the context every procedure sees, the error shape every client gets, and the
 * middleware that turns validation and storage failures into clear 4xx/503 answers.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError, type z } from "zod";
import { authorize, type Principal, type Scope } from "./auth.ts";
import type { RequestBudget } from "./budget.ts";
import type { Config } from "./config.ts";
import { badRequest, cutMessage, echo, type FieldError, fieldErrors, InputError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { RateLimiter } from "./ratelimit.ts";
import { type ProcessStore, StorageRefusedError, StorageUnavailableError } from "./store/types.ts";
import type { WatchService } from "./watch/service.ts";

export interface Context {
  store: ProcessStore;
  config: Config;
  log: Logger;
  /** Which door the call came through; REST error bodies carry no tRPC-only fields. */
  transport: "rest" | "trpc";
  now: () => number;
  /** The caller, when it presented a valid token; undefined otherwise. */
  principal: Principal | undefined;
  writeLimiter: RateLimiter;
  /** What this HTTP request may still return, all calls of a batch together. */
  budget: RequestBudget;
  /** Expected-process watches, when WATCHES_FILE is set (docs/watches.md). */
  watches?: WatchService | undefined;
}

/** Carried as the cause of a TOO_MANY_REQUESTS: when to try again. */
export class RateLimited extends Error {
  override readonly name = "RateLimited";
  constructor(readonly retryAfterSeconds: number) {
    super("rate limited");
  }
}

/**
 * @public Part of the router's type, which client/ declares for other projects.
 *
 * What a procedure says about itself, beside its zod input and output: everything the HTTP layer
 * and the OpenAPI document need to know that is not a schema. Nothing is keyed by procedure name.
 */
export interface Meta extends OpenApiMeta {
  /** The scope a call needs; set by readProcedure and writeProcedure (writes are rate limited). */
  scope?: Scope;
  /** HTTP status of a successful answer (default 200); a submission that created data is 201. */
  successStatus?: 200 | 201;
  /**
   * The message of the 400 when a required field is absent or empty, worded as the old service
   * did; the field errors still name each missing field. Default: the first field error.
   */
  requiredMessage?: string;
  /**
   * Answers this procedure gives beyond those of its scope, with what they mean (400: its input can
   * be invalid; 404: it can find nothing). server/openapi.ts documents exactly these plus the ones
   * every procedure of the scope can give; test/api/conformance.test.ts proves the list both ways.
   */
  errors?: { 400?: string; 404?: string };
  /** False for a procedure that never reads storage (so never answers 503). */
  storage?: false;
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

/** Absent, or given but empty: what the old service answered with its "are required" message. */
const blank = (value: unknown) =>
  value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);

/**
 * A ZodError → the 400 body's field errors and message. Read from the input as it arrived, not
 * from zod's wording: a top-level field that failed and is absent or empty is "required"; a query
 * parameter given more than once (which arrives as an array) is said to be so.
 */
function inputError(issues: readonly z.core.$ZodIssue[], raw: unknown, ctx: Context, meta: Meta | undefined) {
  const given = raw !== null && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const top = (issue: z.core.$ZodIssue) => (issue.path.length >= 1 ? String(issue.path[0]) : undefined);
  const missing = new Set<string>();
  const repeated = new Map<string, unknown[]>();
  for (const issue of issues) {
    const key = top(issue);
    if (key === undefined) continue;
    const value = Object.hasOwn(given, key) ? given[key] : undefined;
    if (issue.path.length === 1 && blank(value)) missing.add(key);
    else if (ctx.transport === "rest" && issue.path.length === 1 && Array.isArray(value))
      repeated.set(key, value);
  }
  const errors: FieldError[] = [];
  const said = new Set<string>();
  for (const issue of issues) {
    const key = top(issue);
    if (key !== undefined && (missing.has(key) || repeated.has(key))) {
      if (said.has(key)) continue;
      said.add(key);
      const values = repeated.get(key);
      errors.push({
        path: key,
        message: values
          ? `given ${values.length} times (${values.map((v) => echo(String(v))).join(", ")}); give it once`
          : "required",
      });
    } else {
      errors.push(...fieldErrors([issue]));
    }
  }
  if (missing.size > 0 && meta?.requiredMessage) return badRequest(meta.requiredMessage, errors);
  const first = errors[0];
  return badRequest(first ? `${first.path}: ${first.message}` : "Invalid input", errors);
}

/**
 * Runs around input parsing: a ZodError becomes a 400 naming each field; storage trouble becomes
 * 503; anything unexpected is logged and answered as a bare 500 (never with its stack).
 */
const errorBoundary = t.middleware(async ({ next, meta, path, ctx, getRawInput }) => {
  const result = await next();
  if (result.ok) return result;
  const { error } = result;
  if (error.cause instanceof ZodError) {
    const raw = await getRawInput().catch(() => undefined);
    throw inputError(error.cause.issues, raw, ctx, meta);
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
export const readProcedure = baseProcedure.use(requireScope("read")).meta({ scope: "read" });
export const writeProcedure = baseProcedure
  .use(requireScope("write"))
  .use(writeRateLimit)
  .meta({ scope: "write" });
