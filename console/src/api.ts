/**
 * The console's only way to the server: a tRPC client typed by the server's own AppRouter (a
 * type-only import, so a router change breaks this build, never a user's page). Around every call:
 * a token asked for once (kept in sessionStorage, never in a URL) when the server answers 401/403,
 * and "reconnecting" with retries while the server cannot be reached.
 */
import { createTRPCClient, httpBatchLink, httpLink, splitLink, TRPCClientError } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../server/router.ts";

export type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;
export type Sample = Outputs["process"]["filter"]["data"][number];
export type SystemInfo = Outputs["systems"]["list"]["systems"][number];
export type ProcessRuns = Outputs["process"]["runs"];

const TOKEN_KEY = "procscope.token";

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const headers = () => {
  const token = tokenStore.get();
  return token ? { authorization: `Bearer ${token}` } : {};
};

/**
 * The server bounds a request: at most 10 calls in a batch, and their pages together at most
 * 10 000 rows (MAX_BATCH_CALLS, MAX_ROWS_PER_REQUEST; the defaults). Calls asking for pages of
 * up to 1000 rows are batched ten at a time; a larger page travels alone.
 */
export const BATCHED_PAGE_MAX = 1000;

export const client = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) =>
        ((op.input as { page_size?: number } | undefined)?.page_size ?? 0) > BATCHED_PAGE_MAX,
      true: httpLink({ url: "/trpc", headers }),
      // Queries travel in the URL: split a batch before it nears the server's header limit.
      false: httpBatchLink({ url: "/trpc", maxItems: 10, maxURLLength: 6000, headers }),
    }),
  ],
});

/** An answer from the API that is not a success: its status and its own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the page shows while the server is away, and how it asks for a token. */
export interface ConnectionHooks {
  setReconnecting(on: boolean): void;
  /** Resolves once the user has given a token (the promise is shared by concurrent callers). */
  askToken(reason: string): Promise<void>;
}

let hooks: ConnectionHooks = {
  setReconnecting: () => undefined,
  askToken: () => Promise.reject(new ApiError(401, "A token is required")),
};
export function setConnectionHooks(h: ConnectionHooks): void {
  hooks = h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The HTTP status behind a tRPC client error; undefined when no answer came (network). */
function statusOf(err: TRPCClientError<AppRouter>): number | undefined {
  const data = err.data as { httpStatus?: number } | undefined;
  if (data?.httpStatus) return data.httpStatus;
  const meta = err.meta as { response?: { status?: number } } | undefined;
  return meta?.response?.status;
}

let outstandingRetries = 0;

/**
 * Runs one API call: retries while the server is unreachable (showing "reconnecting"), asks for a
 * token on 401/403 and retries with it, and turns any other error into an ApiError carrying the
 * server's message.
 */
export async function api<T>(call: () => Promise<T>): Promise<T> {
  let delay = 500;
  let reconnecting = false;
  try {
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof TRPCClientError)) throw err;
        const status = statusOf(err);
        if (status === undefined || status === 502 || status === 504) {
          if (!reconnecting) {
            reconnecting = true;
            outstandingRetries += 1;
            hooks.setReconnecting(true);
          }
          await sleep(delay);
          delay = Math.min(delay * 2, 4000);
          continue;
        }
        if (status === 401 || status === 403) {
          tokenStore.clear();
          await hooks.askToken(err.message);
          continue;
        }
        throw new ApiError(status, err.message);
      }
    }
  } finally {
    if (reconnecting) {
      outstandingRetries -= 1;
      if (outstandingRetries === 0) hooks.setReconnecting(false);
    }
  }
}
