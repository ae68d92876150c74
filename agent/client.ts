/**
 * Submits one batch through the typed tRPC client (`process.submit` at `<server>/trpc`) and says
 * what became of it: stored, refused (a 4xx: retrying cannot help), or failed (worth retrying).
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../server/router.ts";
import type { SubmitPayload } from "./payload.ts";

export type Outcome =
  | { kind: "stored"; accepted: number }
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

export type Submit = (payload: SubmitPayload) => Promise<Outcome>;

export function createSubmit(opts: ClientOptions): Submit {
  const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
  return async (payload) => {
    // What the server really answered, even when the body is not the JSON tRPC expects.
    const seen: Seen = {};
    const client = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${opts.server}/trpc`,
          headers,
          fetch: async (url, init) => {
            const res = await fetch(url, init);
            const body = await res.text();
            seen.status = res.status;
            seen.body = body;
            seen.retryAfter = res.headers.get("retry-after") ?? undefined;
            return new Response(body, {
              status: res.status,
              statusText: res.statusText,
              headers: res.headers,
            });
          },
        }),
      ],
    });
    try {
      const out = await client.process.submit.mutate(payload, {
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      return { kind: "stored", accepted: out.accepted };
    } catch (err) {
      return classify(err, seen, opts.timeoutMs);
    }
  };
}

interface Seen {
  status?: number;
  body?: string;
  retryAfter?: string;
}

/** `Retry-After` in seconds (the server's form; an HTTP date is ignored), as milliseconds. */
function retryAfterMs(value: string | undefined): number | undefined {
  const seconds = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function classify(err: unknown, seen: Seen, timeoutMs: number): Outcome {
  const status = (err instanceof TRPCClientError ? err.data?.httpStatus : undefined) ?? seen.status;
  if (status === undefined) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
    return { kind: "failed", reason: timedOut ? `no answer within ${timeoutMs} ms` : describe(err) };
  }
  // A tRPC error body carries the server's message; anything else is shown as the text it was.
  const message =
    err instanceof TRPCClientError && err.shape
      ? err.message
      : `unexpected answer: ${(seen.body ?? "").slice(0, 200) || describe(err)}`;
  if (status >= 400 && status < 500 && !RETRYABLE_4XX.has(status)) {
    const errors =
      err instanceof TRPCClientError ? (err.shape as { errors?: unknown } | undefined)?.errors : undefined;
    return { kind: "refused", status, message, ...(errors ? { errors } : {}) };
  }
  const after = retryAfterMs(seen.retryAfter);
  return { kind: "failed", status, reason: message, ...(after === undefined ? {} : { retryAfterMs: after }) };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const code =
    (cause?.cause as { code?: string } | undefined)?.code ?? (cause as { code?: string } | undefined)?.code;
  return [err.message, cause && cause.message !== err.message ? cause.message : "", code ?? ""]
    .filter(Boolean)
    .join(": ");
}
