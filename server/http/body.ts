/**
 * Reading a JSON request body with a size cap: 413 past the limit, 400 when it is not JSON.
 * Bodies may come gzip'd (`Content-Encoding: gzip`, as agents send them): the cap applies to the
 * decompressed size and is enforced while inflating, a chunk at a time, so a zip bomb costs one
 * chunk of memory past the limit and a 413, not the expanded size. Corrupt gzip is a 400, any other
 * encoding a 415.
 */
import type { IncomingMessage } from "node:http";
import { createGunzip } from "node:zlib";

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How deeply a JSON body may nest. A submission nests three levels; the limit keeps recursive code
 * further on (trpc-to-openapi re-serialises the body with JSON.stringify, which overflows the stack
 * at a few thousand levels) away from hostile nesting.
 */
export const MAX_JSON_DEPTH = 32;

/** Deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The body's content coding, lower-cased: undefined for none (or `identity`). */
function contentEncoding(req: IncomingMessage): string | undefined {
  const raw = req.headers["content-encoding"];
  const value = (Array.isArray(raw) ? raw.join(",") : (raw ?? "")).trim().toLowerCase();
  return value === "" || value === "identity" ? undefined : value;
}

/** Whether the body needs decoding before a JSON parser may see it. */
export function isEncoded(req: IncomingMessage): boolean {
  return contentEncoding(req) !== undefined;
}

const tooLarge = (limit: number) => new BodyError(413, `Request body too large: at most ${limit} bytes`);

/**
 * The body's bytes, decoded (gzip) and capped at `limit` decoded bytes, as text. A leading byte
 * order mark is ignored (RFC 8259 allows it), as the tRPC door's decoder does.
 */
export async function readBodyText(req: IncomingMessage, limit: number): Promise<string> {
  const encoding = contentEncoding(req);
  if (encoding !== undefined && encoding !== "gzip" && encoding !== "x-gzip") {
    throw new BodyError(
      415,
      `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body as is or gzip'd`,
    );
  }
  const declared = Number(req.headers["content-length"]);
  if (encoding === undefined && Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  if (encoding === undefined) {
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw tooLarge(limit);
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof BodyError) throw err;
      // The client went away (or timed out) before sending the whole body: its fault, not ours.
      throw new BodyError(400, "Request body incomplete: the connection ended before it did");
    }
  } else {
    // Inflated a chunk (16 KB) at a time, counted as it comes; past the limit both streams stop.
    const gunzip = createGunzip();
    let incomplete = false;
    const cut = () => {
      if (req.complete) return;
      incomplete = true;
      gunzip.destroy(new Error("the connection ended"));
    };
    req.once("close", cut);
    req.once("error", cut);
    req.pipe(gunzip);
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw tooLarge(limit);
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof BodyError) throw err;
      if (incomplete) {
        throw new BodyError(400, "Request body incomplete: the connection ended before it did");
      }
      throw new BodyError(400, `Request body is not valid gzip: ${(err as Error).message}`);
    } finally {
      req.off("close", cut);
      req.off("error", cut);
      req.unpipe(gunzip);
      gunzip.destroy();
      // What the client still sends is read and dropped; the answer closes the connection.
      req.resume();
    }
  }
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
}

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = await readBodyText(req, limit);
  if (text.trim() === "") throw new BodyError(400, "Request body is empty; expected JSON");
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new BodyError(400, `Request body nests more than ${MAX_JSON_DEPTH} levels deep`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BodyError(400, `Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BodyError(400, "Request body must be a JSON object");
  }
  return parsed;
}

/**
 * For the tRPC door: a coded body is decoded here (same rules and limits as the REST door) and
 * handed to tRPC's adapter as text, which it then parses as if it had come plain.
 */
export async function decodeForTrpc(req: IncomingMessage, limit: number): Promise<void> {
  const text = await readBodyText(req, limit);
  (req as IncomingMessage & { body?: unknown }).body = text;
  delete req.headers["content-encoding"];
  delete req.headers["content-length"];
}

const TRPC_CODES = {
  400: ["BAD_REQUEST", -32600],
  413: ["PAYLOAD_TOO_LARGE", -32013],
  415: ["UNSUPPORTED_MEDIA_TYPE", -32015],
} as const;

/** A BodyError as the tRPC door's error envelope (the shape tRPC clients parse). */
export function trpcBodyError(err: BodyError) {
  const [code, number] = TRPC_CODES[err.status];
  return {
    error: { success: false, message: err.message, code: number, data: { code, httpStatus: err.status } },
  };
}
