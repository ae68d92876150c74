/**
 * Reading a JSON request body, the same way for both doors: a size cap (413 past the limit), a
 * nesting cap, a leading byte order mark ignored; 400 when it is not JSON. Nothing here runs before
 * the request has been authenticated (see app.ts).
 *
 * Bodies may come gzip'd (`Content-Encoding: gzip`, as agents send them): the cap applies to the
 * decompressed size and is enforced while inflating, a chunk at a time, so a zip bomb costs one
 * chunk of memory past the limit and a 413, not the expanded size. Corrupt gzip is a 400, any other
 * encoding a 415.
 */
import type { IncomingMessage } from "node:http";
import { createGunzip } from "node:zlib";
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
 * How many distinct member names a JSON body may use, all objects together. Every body this API
 * takes uses a few dozen (a tRPC batch of submissions: ~25). Parsing text with many distinct names
 * is what is slow in JSON.parse (a 3.5 MB body of 300 000 names: ~1 s of blocked event loop, then
 * as long again to copy and re-serialise it); one with few names parses at ~100 MB/s.
 */
const MAX_JSON_NAMES = 100;

/**
 * Checks JSON text's shape before it is parsed, in one pass: nesting at most MAX_JSON_DEPTH, at
 * most MAX_JSON_NAMES distinct member names (400 otherwise). Stops at the first excess.
 */
function checkJsonShape(text: string): void {
  let depth = 0;
  let start = -1; // where the last string began (its opening quote), while looking for a ':'
  let end = -1;
  const names = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote: the next one not escaped by an odd run of backslashes.
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j < 0) {
          j = text.length;
          break;
        }
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      start = i;
      end = i = j;
      continue;
    }
    if (c === 0x3a && start >= 0) {
      names.add(text.slice(start, end));
      if (names.size > MAX_JSON_NAMES) {
        throw new BodyError(400, `Request body uses more than ${MAX_JSON_NAMES} distinct member names`);
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new BodyError(400, `Request body nests more than ${MAX_JSON_DEPTH} levels deep`);
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) start = -1;
  }
}

/**
 * Whether a Content-Type header names JSON: the media type itself is `application/json` (any case,
 * parameters after `;` allowed). `application/jsonfoo` or `application/json-seq` are not JSON.
 */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? "").split(";", 1)[0]?.trim().toLowerCase() === "application/json";
}

/** The body's content coding, lower-cased: undefined for none (or `identity`). */
function contentEncoding(req: IncomingMessage): string | undefined {
  const raw = req.headers["content-encoding"];
  const value = (Array.isArray(raw) ? raw.join(",") : (raw ?? "")).trim().toLowerCase();
  return value === "" || value === "identity" ? undefined : value;
}

const tooLarge = (limit: number) => new BodyError(413, `Request body too large: at most ${limit} bytes`);
const incomplete = () => new BodyError(400, "Request body incomplete: the connection ended before it did");

/** The body's bytes as they came, at most `limit` of them. */
async function readPlain(req: IncomingMessage, limit: number): Promise<Buffer[]> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    // The client went away (or timed out) before sending the whole body: its fault, not ours.
    throw incomplete();
  }
  return chunks;
}

/** A gzip'd body inflated a chunk (16 KB) at a time and counted as it comes: past `limit` it stops. */
async function readGzip(req: IncomingMessage, limit: number): Promise<Buffer[]> {
  const gunzip = createGunzip();
  let cutShort = false;
  const cut = () => {
    if (req.complete) return;
    cutShort = true;
    gunzip.destroy(new Error("the connection ended"));
  };
  req.once("close", cut);
  req.once("error", cut);
  req.pipe(gunzip);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof BodyError) throw err;
    if (cutShort) throw incomplete();
    throw new BodyError(400, `Request body is not valid gzip: ${(err as Error).message}`);
  } finally {
    req.off("close", cut);
    req.off("error", cut);
    req.unpipe(gunzip);
    gunzip.destroy();
  }
  // The headers now describe the decoded body handed on (tRPC builds a request from them).
  delete req.headers["content-encoding"];
  delete req.headers["content-length"];
  return chunks;
}

/**
 * The body as text: at most `limit` bytes, decoded (413 past it, before reading when an
 * uncompressed body's Content-Length says so), a leading BOM dropped (RFC 8259 allows it), nesting
 * checked (checkJsonShape). Empty text is returned as "" for the caller to judge.
 */
export async function readJsonText(req: IncomingMessage, limit: number): Promise<string> {
  const encoding = contentEncoding(req);
  if (encoding !== undefined && encoding !== "gzip" && encoding !== "x-gzip") {
    throw new BodyError(
      415,
      `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body as is or gzip'd`,
    );
  }
  const chunks = encoding === undefined ? await readPlain(req, limit) : await readGzip(req, limit);
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  checkJsonShape(text);
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
