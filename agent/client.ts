/**
 * Submits one spooled batch to the server's tRPC door (`process.submit` at
 * `<server>/trpc/process.submit`, the request tRPC's own client makes) and says what became of it:
 * stored, refused (a 4xx: retrying cannot help), or failed (worth retrying).
 *
 * The body is the spool file's gzip'd JSON, sent as it is with `Content-Encoding: gzip`: nothing is
 * decompressed, parsed or serialised again on the way (the spool file was checked against the
 * router's input type when it was written, see Spool.put). A server that does not take gzip'd
 * bodies (procscope before gzip support answers 400 "not valid JSON"; others 415) gets the same
 * batch again as plain JSON, and from then on only plain JSON.
 */
import { gunzipSync } from "node:zlib";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../server/router.ts";
import { createPost, type Post } from "./http.ts";
import type { Logger } from "./log.ts";

type SubmitOutput = inferRouterOutputs<AppRouter>["process"]["submit"];

export type Outcome =
  | { kind: "stored"; accepted: number; bytes: number }
  | { kind: "refused"; status: number; message: string; errors?: unknown }
  | { kind: "failed"; reason: string; status?: number; retryAfterMs?: number };

export interface ClientOptions {
  server: string;
  token: string | undefined;
  timeoutMs: number;
}

/**
 * 4xx answers that mean "later", not "never": timeouts and rate limits, and a missing or wrong
 * token (the sample is fine, the agent's configuration is not: once fixed, nothing is lost).
 */
const RETRYABLE_4XX = new Set([401, 403, 408, 425, 429]);

/** Sends one batch, given as its gzip'd JSON. */
export type Submit = (gzipped: Uint8Array) => Promise<Outcome>;

/** A tRPC answer: `{ result: { data } }` or `{ error: { message, errors?, data: { code } } }`. */
interface Envelope {
  result?: { data?: SubmitOutput };
  error?: { message?: unknown; errors?: unknown; data?: { code?: unknown } };
}

interface Attempt {
  outcome: Outcome;
  /** The answer says the body could not be read: an unknown encoding, or gzip taken for JSON. */
  unreadable: boolean;
}

export function createSubmit(opts: ClientOptions, log: Logger, post: Post = createPost()): Submit {
  const url = `${opts.server}/trpc/process.submit`;
  const base: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) base.authorization = `Bearer ${opts.token}`;
  const gzipHeaders = { ...base, "content-encoding": "gzip" };
  let plain = false;

  const attempt = async (body: Uint8Array, headers: Record<string, string>): Promise<Attempt> => {
    try {
      const answer = await post(url, body, headers, opts.timeoutMs);
      return classify(answer.status, answer.body, answer.retryAfter, body.byteLength);
    } catch (err) {
      return { outcome: { kind: "failed", reason: describe(err) }, unreadable: false };
    }
  };

  return async (gzipped) => {
    if (!plain) {
      const first = await attempt(gzipped, gzipHeaders);
      if (!first.unreadable) return first.outcome;
      const json = gunzipQuietly(gzipped);
      if (!json) return { kind: "refused", status: 0, message: "unreadable spool file (not gzip)" };
      const second = await attempt(json, base);
      if (second.unreadable) return second.outcome; // the body itself is the problem, not its encoding
      plain = true;
      log.warn(
        "the server does not take gzip'd bodies (an older procscope?): sending plain JSON from now on",
        {
          status: first.outcome.kind === "stored" ? undefined : (first.outcome as { status?: number }).status,
        },
      );
      return second.outcome;
    }
    const json = gunzipQuietly(gzipped);
    if (!json) return { kind: "refused", status: 0, message: "unreadable spool file (not gzip)" };
    return (await attempt(json, base)).outcome;
  };
}

function gunzipQuietly(data: Uint8Array): Buffer | undefined {
  try {
    return gunzipSync(data);
  } catch {
    return undefined;
  }
}

/** `Retry-After` in seconds (the server's form; an HTTP date is ignored), as milliseconds. */
function retryAfterMs(value: string | undefined): number | undefined {
  const seconds = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function parse(text: string): Envelope | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null ? (value as Envelope) : undefined;
  } catch {
    return undefined;
  }
}

function classify(status: number, text: string, retryAfter: string | undefined, bytes: number): Attempt {
  const envelope = parse(text);
  const accepted = envelope?.result?.data?.accepted;
  if (status >= 200 && status < 300 && typeof accepted === "number") {
    return { outcome: { kind: "stored", accepted, bytes }, unreadable: false };
  }
  const error = envelope?.error;
  // A tRPC error body carries the server's message; anything else is shown as the text it was.
  const message =
    typeof error?.message === "string"
      ? error.message
      : `unexpected answer: ${text.slice(0, 200) || `HTTP ${status} without a body`}`;
  // 415: an encoding the server does not know. 400 with no field named: the body could not be read
  // at all (an older server's JSON parser meeting gzip); a refusal of the sample names its fields.
  const unreadable =
    status === 415 ||
    (status === 400 && error !== undefined && error.errors === undefined && /JSON/i.test(message));
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
    const errors = error?.errors;
    return { outcome: { kind: "refused", status, message, ...(errors ? { errors } : {}) }, unreadable };
  }
  const after = retryAfterMs(retryAfter);
  return {
    outcome: {
      kind: "failed",
      status,
      reason: message,
      ...(after === undefined ? {} : { retryAfterMs: after }),
    },
    unreadable: false,
  };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
  const message = cause && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
  return code && !message.includes(code) ? `${message}: ${code}` : message;
}
