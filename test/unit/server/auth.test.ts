/** API tokens: the `name:scopes:token` syntax, the lookup, and the Authorization header. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bearer, TokenRegistry } from "../../../server/auth.ts";

const A = "aaaaaaaaaaaaaaaa-agent";
const R = "rrrrrrrrrrrrrrrr-reader";
const dir = mkdtempSync(join(tmpdir(), "procscope-tokens-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("TokenRegistry.parse", () => {
  it("reads comma- and newline-separated entries, comments, and a file", () => {
    const file = join(dir, "tokens");
    writeFileSync(file, `# readers\nreader:read:${R}\n\n`);
    const tokens = TokenRegistry.parse(` agent:write:${A} , ops:read+write:${"o".repeat(16)}`, file);
    expect(tokens.enabled).toBe(true);
    const agent = tokens.authenticate(A);
    expect(agent?.name).toBe("agent");
    expect([...(agent?.scopes ?? [])]).toEqual(["write"]);
    expect([...(tokens.authenticate("o".repeat(16))?.scopes ?? [])]).toEqual(["read", "write"]);
    expect(tokens.authenticate(R)?.name).toBe("reader");
    expect(tokens.authenticate(`${A}x`)).toBeUndefined();
    expect(tokens.authenticate("")).toBeUndefined();
  });

  it("a token may contain ':'; no entries means tokens are off", () => {
    const tokens = TokenRegistry.parse(`x:read:${A}:with:colons`, undefined);
    expect(tokens.authenticate(`${A}:with:colons`)?.name).toBe("x");
    expect(TokenRegistry.parse(undefined, undefined).enabled).toBe(false);
    expect(TokenRegistry.parse(" , # nothing\n", undefined).enabled).toBe(false);
  });

  it("names every bad entry, never its token", () => {
    let message = "";
    try {
      TokenRegistry.parse(`broken, a:admin:${A}, b:read:short, :read:${R}`, undefined);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      "entry 1: expected name:scopes:token; entry 2 (a): scopes must be read, write or read+write; " +
        "entry 3 (b): the token must be at least 16 characters; entry 4: expected name:scopes:token",
    );
    expect(message).not.toContain(A);
  });
});

describe("bearer", () => {
  it("takes the token of a Bearer header, any case, surrounding spaces allowed", () => {
    expect(bearer(`Bearer ${A}`)).toBe(A);
    expect(bearer(`bearer   ${A}  `)).toBe(A);
    expect(bearer("Basic dXNlcjpwYXNz")).toBeUndefined();
    // the scheme is the whole first word: not "NotBearer", not a second word
    expect(bearer(`NotBearer ${A}`)).toBeUndefined();
    expect(bearer(`Basic Bearer ${A}`)).toBeUndefined();
    expect(bearer("Bearer two words")).toBeUndefined();
    expect(bearer("Bearer ")).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});
