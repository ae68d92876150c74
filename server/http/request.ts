/**
 * What every request is checked for before it is routed: a Host header that is a host, a
 * request target that is a path. Both are refused with 400 (RFC 9112 §3.2: a Host field with an
 * invalid value gets a 400), never passed on to code that builds URLs from them.
 */
import type { IncomingMessage } from "node:http";

/**
 * RFC 3986 `host [":" port]`: an IP literal in brackets, or a registered name / IPv4 address made
 * of unreserved and sub-delimiter characters; percent-encoding and userinfo (`a@b`) are refused.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=-]+)(?::(\d{1,5}))?$/;

export function validHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const match = HOST.exec(host);
  if (!match || Number(match[1] ?? 0) > 65_535) return false;
  try {
    return new URL(`http://${host}/`).host !== "";
  } catch {
    return false;
  }
}

/** The request's path and query; undefined when the target is neither origin- nor absolute-form. */
export function requestTarget(req: IncomingMessage): URL | undefined {
  const raw = req.url ?? "";
  try {
    // "//api//x" is a path here, not a scheme-relative URL naming the host "api".
    if (raw.startsWith("/")) return new URL(`http://localhost${raw}`);
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}
