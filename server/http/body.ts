/**
 * Reading a JSON request body, the same way for both doors: a size cap (413 past the limit), a
 * nesting cap, a leading byte order mark ignored; 400 when it is not JSON. Nothing here runs before
 * the request has been authenticated (see app.ts).
 */
import type { IncomingMessage } from "node:http";
import { MAX_JSON_DEPTH } from "../../common/wire.ts";

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * MAX_JSON_DEPTH (common/wire.ts) keeps recursive code further on (trpc-to-openapi re-serialises
 * the body with JSON.stringify, which overflows the stack at a few thousand levels) away from
 * hostile nesting.
 */
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

/**
 * Whether a Content-Type header names JSON: the media type itself is `application/json` (any case,
 * parameters after `;` allowed). `application/jsonfoo` or `application/json-seq` are not JSON.
 */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? "").split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

/**
 * The body as text: at most `limit` bytes (413 past it, before reading when Content-Length says
 * so), a leading BOM dropped (RFC 8259 allows it), nesting at most MAX_JSON_DEPTH (400). Empty
 * text is returned as "" for the caller to judge.
 */
export async function readJsonText(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    throw new BodyError(413, `Request body too large: at most ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new BodyError(413, `Request body too large: at most ${limit} bytes`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    // The client went away (or timed out) before sending the whole body: its fault, not ours.
    throw new BodyError(400, "Request body incomplete: the connection ended before it did");
  }
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new BodyError(400, `Request body nests more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return text;
}

/** A JSON object body (the REST door's submissions): readJsonText, then parsed. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = await readJsonText(req, limit);
  if (text.trim() === "") throw new BodyError(400, "Request body is empty; expected JSON");
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
