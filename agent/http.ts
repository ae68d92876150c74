/**
 * One POST, answered with its status, body text and Retry-After. Under Node through node:http(s)
 * with one kept-alive connection: Node's fetch (undici) costs the agent ~30 MB of resident memory
 * when first used, node:http ~8 MB (bench/agent.ts). Under Deno through its own fetch, which is
 * native code there.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

interface Answer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

/** No answer within the time allowed. */
class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

export type Post = (
  url: string,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
) => Promise<Answer>;

/** The answers' bodies are small (a tRPC envelope); a larger one is cut here. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function createPost(): Post {
  return "Deno" in globalThis ? fetchPost : nodePost();
}

const fetchPost: Post = async (url, body, headers, timeoutMs) => {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text.slice(0, MAX_ANSWER_BYTES),
      retryAfter: res.headers.get("retry-after") ?? undefined,
    };
  } catch (err) {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      throw new TimeoutError(`no answer within ${timeoutMs} ms`);
    }
    throw err;
  }
};

function nodePost(): Post {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 1 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 1 }),
  };
  return (url, body, headers, timeoutMs) =>
    new Promise<Answer>((resolve, reject) => {
      const target = new URL(url);
      const https = target.protocol === "https:";
      const send = https ? httpsRequest : httpRequest;
      const req = send(
        target,
        {
          method: "POST",
          agent: https ? agents.https : agents.http,
          headers: { ...headers, "content-length": String(body.byteLength) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          res.on("end", () => {
            clearTimeout(timer);
            const retryAfter = res.headers["retry-after"];
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_ANSWER_BYTES),
              retryAfter: typeof retryAfter === "string" ? retryAfter : undefined,
            });
          });
          res.on("error", fail);
        },
      );
      const timer = setTimeout(
        () => req.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      function fail(err: Error) {
        clearTimeout(timer);
        reject(err);
      }
      req.on("error", fail);
      req.end(body);
    });
}
