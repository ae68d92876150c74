/**
 * GET / and /assets/*: the built-in console (console/). The page is never cached and carries a
 * strict Content-Security-Policy (own scripts and styles only, calls to this origin only); assets
 * have content-hashed names and are cached for a year. Built on first use (console/dist when it was
 * made from the current sources, else an in-memory esbuild build, ~0.3 s), so a server that is
 * only an API pays nothing. CONSOLE=0 turns all of it off.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConsoleBuild } from "../../console/build.ts";
import type { Logger } from "../log.ts";

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const COMMON = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" };

/** Serves the console's paths; resolves false for any other path (the caller answers it). */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export function createConsole(log: Logger): ConsoleHandler {
  let built: Promise<ConsoleBuild> | undefined;
  const load = () => {
    built ??= (async () => {
      const started = performance.now();
      const { buildConsole, readConsole } = await import("../../console/build.ts");
      const fromDist = readConsole();
      const result = fromDist ?? (await buildConsole());
      log.info(
        { ms: Math.round(performance.now() - started), from: fromDist ? "console/dist" : "sources" },
        "console ready",
      );
      return result;
    })();
    built.catch(() => {
      built = undefined; // try again on the next request
    });
    return built;
  };

  return async (req, res, path) => {
    const isPage = path === "/" || path === "/index.html";
    if (!isPage && !path.startsWith("/assets/")) return false;
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    let console: ConsoleBuild;
    try {
      console = await load();
    } catch (err) {
      log.error({ err: String(err) }, "console build failed");
      res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "5" });
      res.end(
        JSON.stringify({ success: false, message: "The console could not be built; the API is unaffected." }),
      );
      return true;
    }
    if (isPage) {
      const body = Buffer.from(console.html);
      res.writeHead(200, {
        ...COMMON,
        "content-type": "text/html; charset=utf-8",
        "content-length": body.length,
        "cache-control": "no-cache",
        "content-security-policy": CONSOLE_CSP,
      });
      res.end(req.method === "HEAD" ? undefined : body);
      return true;
    }
    const asset = console.assets.get(path.slice("/assets/".length));
    if (!asset) return false;
    res.writeHead(200, {
      ...COMMON,
      "content-type": asset.type,
      "content-length": asset.body.length,
      "cache-control": "public, max-age=31536000, immutable",
    });
    res.end(req.method === "HEAD" ? undefined : asset.body);
    return true;
  };
}
