/**
 * API tokens with scopes. Tokens are configured as `name:scopes:token` entries (scopes `read`,
 * `write` or `read+write`), kept only as SHA-256 digests, and compared in constant time against
 * every configured digest, so neither the comparison nor the lookup leaks timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { TRPCError } from "@trpc/server";

export type Scope = "read" | "write";

export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
}

interface TokenEntry extends Principal {
  digest: Buffer;
}

// Stryker disable next-line StringLiteral: equivalent because Node hashes a string as UTF-8 when no encoding is named
const digest = (token: string) => createHash("sha256").update(token, "utf8").digest();

export class TokenRegistry {
  private constructor(private readonly entries: TokenEntry[]) {}

  /** Parses `API_TOKENS` (comma- or newline-separated entries) and/or the file at `API_TOKENS_FILE`. */
  static parse(inline: string | undefined, file: string | undefined): TokenRegistry {
    // Stryker disable next-line StringLiteral: equivalent because without an encoding readFileSync gives a Buffer, which join() turns into the same UTF-8 text
    const text = [inline ?? "", file ? readFileSync(file, "utf8") : ""].join("\n");
    const entries: TokenEntry[] = [];
    const problems: string[] = [];
    const lines = text
      .split(/[\n,]/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    lines.forEach((line, i) => {
      const first = line.indexOf(":");
      const second = line.indexOf(":", first + 1);
      const name = line.slice(0, first);
      const scopes = line.slice(first + 1, second).split("+");
      const token = line.slice(second + 1);
      // Stryker disable next-line EqualityOperator: equivalent because once first > 0, second is -1 or at least first + 1, never 0
      if (first <= 0 || second < 0 || !token) {
        problems.push(`entry ${i + 1}: expected name:scopes:token`);
      } else if (!scopes.every((s): s is Scope => s === "read" || s === "write")) {
        problems.push(`entry ${i + 1} (${name}): scopes must be read, write or read+write`);
      } else if (token.length < 16) {
        problems.push(`entry ${i + 1} (${name}): the token must be at least 16 characters`);
      } else {
        entries.push({ name, scopes: new Set(scopes), digest: digest(token) });
      }
    });
    if (problems.length) throw new Error(problems.join("; "));
    return new TokenRegistry(entries);
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** The principal for a presented token, or undefined. Always compares against every entry. */
  authenticate(token: string): Principal | undefined {
    const presented = digest(token);
    let found: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented) && !found) found = entry;
    }
    return found && { name: found.name, scopes: found.scopes };
  }
}

/** The bearer token of an Authorization header, if it is one. */
export function bearer(header: string | undefined): string | undefined {
  // Stryker disable next-line StringLiteral: equivalent because any text without "Bearer " matches nothing, as "" does
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Whether a caller may use a procedure needing `scope`: undefined when it may, else the error to
 * answer — 401 for a missing or unknown token (the same answer for both), 403 for a token without
 * the scope. No tokens configured = no authentication. Used by the HTTP layer before any body is
 * read, and by the procedures themselves.
 */
export function authorize(
  tokens: TokenRegistry,
  principal: Principal | undefined,
  scope: Scope | undefined,
): TRPCError | undefined {
  if (!tokens.enabled) return undefined;
  if (!principal) {
    return new TRPCError({
      code: "UNAUTHORIZED",
      message: "A valid API token is required (Authorization: Bearer <token>).",
    });
  }
  if (scope && !principal.scopes.has(scope)) {
    return new TRPCError({ code: "FORBIDDEN", message: `This token does not have the "${scope}" scope.` });
  }
  return undefined;
}
