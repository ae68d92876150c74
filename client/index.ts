/**
 * The typed procscope client, for TypeScript projects outside this repository:
 *
 *   import { createProcscopeClient } from "procscope/client";
 *   const api = createProcscopeClient("http://127.0.0.1:8000", { token: process.env.PROCSCOPE_TOKEN });
 *   const { systems } = await api.systems.list.query();
 *
 * Every procedure of the server's router, with its input and output types, over tRPC at
 * `<url>/trpc`. The router's type is exported too, for those who build their own tRPC client.
 */
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../server/router.ts";

export type { AppRouter };
export type ProcscopeClient = TRPCClient<AppRouter>;
/** Each procedure's input, e.g. `ProcscopeInputs["process"]["submit"]`. */
export type ProcscopeInputs = inferRouterInputs<AppRouter>;
/** Each procedure's answer, e.g. `ProcscopeOutputs["process"]["duration"]`. */
export type ProcscopeOutputs = inferRouterOutputs<AppRouter>;

export interface ProcscopeClientOptions {
  /** An API token, sent as `Authorization: Bearer <token>` (needed when the server has tokens). */
  token?: string | undefined;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A fetch of your own (a proxy, a test double); the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** A client for the server at `url` (its base URL, e.g. "http://127.0.0.1:8000"). */
export function createProcscopeClient(url: string, options: ProcscopeClientOptions = {}): ProcscopeClient {
  const headers = {
    ...options.headers,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url.replace(/\/+$/, "")}/trpc`,
        headers,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}
