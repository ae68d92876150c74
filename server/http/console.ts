/**
 * GET / and /assets/*: the built-in console (console/). The page is never cached and carries a
 * strict Content-Security-Policy (own scripts and styles only, calls to this origin only); assets
 * have content-hashed names and are cached for a year. Built on first use (console/dist when it was
 * made from the current sources, else an in-memory esbuild build, ~0.3 s), so a server that is
 * only an API pays nothing. CONSOLE=0 turns all of it off.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { ConsoleBuild } from "../../console/build.ts";
import type { Logger } from "../log.ts";

const CONSOLE_CSP = [
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

/** The console's two routes: the page ("/") and its assets ("/assets/<hashed name>"). */
export interface ConsolePages {
  page(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** app.ts's prefix entry for the assets. */
  prefix: [string, () => { methods: string[]; handle: ConsoleAssetHandler }];
}
type ConsoleAssetHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

export function createConsole(log: Logger): ConsolePages {
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
  /** The build, or undefined once a 503 has been answered. */
  const ready = async (res: ServerResponse): Promise<ConsoleBuild | undefined> => {
    try {
      return await load();
    } catch (err) {
      log.error({ err: String(err) }, "console build failed");
      sendJson(
        res,
        503,
        { success: false, message: "The console could not be built; the API is unaffected." },
        { "retry-after": "5" },
      );
      return undefined;
    }
  };

  /** Each asset gzip'd once, on first request: a third of the bytes on the wire. */
  const gzipped = new Map<string, Buffer>();
  const accepts = (req: IncomingMessage) => /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));

  async function asset(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const built = await ready(res);
    if (!built) return;
    const name = url.pathname.slice("/assets/".length);
    const file = built.assets.get(name);
    if (!file) return sendJson(res, 404, { success: false, message: "Not found: no such console asset" });
    let body = file.body;
    const headers: Record<string, string | number> = {
      ...COMMON,
      "content-type": file.type,
      "cache-control": "public, max-age=31536000, immutable",
      vary: "accept-encoding",
    };
    if (accepts(req)) {
      let gz = gzipped.get(name);
      if (!gz) {
        gz = gzipSync(file.body, { level: 9 });
        gzipped.set(name, gz);
      }
      body = gz;
      headers["content-encoding"] = "gzip";
    }
    res.writeHead(200, { ...headers, "content-length": body.length });
    res.end(body);
  }

  return {
    async page(_req, res) {
      const built = await ready(res);
      if (!built) return;
      const body = Buffer.from(built.html);
      res.writeHead(200, {
        ...COMMON,
        "content-type": "text/html; charset=utf-8",
        "content-length": body.length,
        "cache-control": "no-cache",
        "content-security-policy": CONSOLE_CSP,
      });
      res.end(body);
    },
    prefix: ["/assets/", () => ({ methods: ["GET"], handle: asset })],
  };
}
