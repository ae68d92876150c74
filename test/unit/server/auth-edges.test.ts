/**
 * The edges of API tokens that the mutation run of server/auth.ts found untested: who is let in
 * (authorize: 401 vs 403 vs nothing), the 16-character minimum exactly, which entry wins when two
 * share a token, and entries malformed in each of the ways the parser tells apart.
 */
import { describe, expect, it } from "vitest";
import { authorize, type Principal, TokenRegistry } from "../../../server/auth.ts";

const T16 = "0123456789abcdef";

/** The parse error for `inline`, or "" when it parses. */
const problem = (inline: string): string => {
  try {
    TokenRegistry.parse(inline, undefined);
    return "";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("authorize", () => {
  const tokens = TokenRegistry.parse(`reader:read:${T16}, agent:write:${T16}x`, undefined);
  const reader: Principal = { name: "reader", scopes: new Set(["read"]) };

  it("no tokens configured: everyone may do everything, even with no principal", () => {
    const off = TokenRegistry.parse(undefined, undefined);
    expect(authorize(off, undefined, "write")).toBeUndefined();
    expect(authorize(off, undefined, undefined)).toBeUndefined();
  });

  it("tokens configured: no principal is 401 with how to authenticate, whatever the scope", () => {
    for (const scope of ["read", "write", undefined] as const) {
      const refused = authorize(tokens, undefined, scope);
      expect(refused?.code).toBe("UNAUTHORIZED");
      expect(refused?.message).toBe("A valid API token is required (Authorization: Bearer <token>).");
    }
  });

  it("a principal without the scope is 403 naming it; with it, or when none is needed, allowed", () => {
    const refused = authorize(tokens, reader, "write");
    expect(refused?.code).toBe("FORBIDDEN");
    expect(refused?.message).toBe('This token does not have the "write" scope.');
    expect(authorize(tokens, reader, "read")).toBeUndefined();
    expect(authorize(tokens, reader, undefined)).toBeUndefined();
  });
});

describe("TokenRegistry edges", () => {
  it("a token of exactly 16 characters is accepted, 15 refused", () => {
    expect(TokenRegistry.parse(`a:read:${T16}`, undefined).authenticate(T16)?.name).toBe("a");
    expect(problem(`a:read:${T16.slice(1)}`)).toBe("entry 1 (a): the token must be at least 16 characters");
  });

  it("two entries with the same token: the first one configured is the principal", () => {
    const tokens = TokenRegistry.parse(`first:read:${T16}\nsecond:write:${T16}`, undefined);
    const p = tokens.authenticate(T16);
    expect(p?.name).toBe("first");
    expect([...(p?.scopes ?? [])]).toEqual(["read"]);
  });

  it("tells each malformed entry apart", () => {
    // one colon: no token part at all
    expect(problem("name:read")).toBe("entry 1: expected name:scopes:token");
    // two colons, empty token
    expect(problem("name:read:")).toBe("entry 1: expected name:scopes:token");
    // empty name
    expect(problem(`:read:${T16}`)).toBe("entry 1: expected name:scopes:token");
    // a scope list with one bad member, and an empty scope
    expect(problem(`n:read+admin:${T16}`)).toBe("entry 1 (n): scopes must be read, write or read+write");
    expect(problem(`n::${T16}`)).toBe("entry 1 (n): scopes must be read, write or read+write");
    // a one-character name is a name
    expect(TokenRegistry.parse(`n:write:${T16}`, undefined).authenticate(T16)?.name).toBe("n");
  });

  it("entries are numbered after blank lines and comments are dropped; a '#' inside a token is kept", () => {
    expect(problem(`# comment\n\n  \nok:read:${T16}\nbad`)).toBe("entry 2: expected name:scopes:token");
    const tokens = TokenRegistry.parse(`h:read:${T16}#x`, undefined);
    expect(tokens.authenticate(`${T16}#x`)?.name).toBe("h");
    expect(tokens.authenticate(T16)).toBeUndefined();
  });

  it("a token with non-ASCII characters is compared as the same text, not as its bytes in another encoding", () => {
    const token = "ünïcödé-tökén-ÿ€𝄞";
    const tokens = TokenRegistry.parse(`u:read:${token}`, undefined);
    expect(tokens.authenticate(token)?.name).toBe("u");
    expect(tokens.authenticate(token.normalize("NFD"))).toBeUndefined();
  });
});
