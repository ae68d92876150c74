/**
 * Whether InfluxDB accepts our credentials for what the API does: reading the bucket (a query that
 * returns nothing) and writing to it (an empty write, which stores nothing). /readyz and the
 * start-up log use it, so a wrong INFLUX_TOKEN is named as such instead of "storage ready".
 */
import { flux } from "@influxdata/influxdb-client";
import { StorageUnavailableError } from "../types.ts";

export interface InfluxAccess {
  url: string;
  token: string;
  org: string;
  bucket: string;
  timeoutMs: number;
}

/**
 * InfluxDB's own message from an error body ({"code": ..., "message": ...}), cut short; its text
 * when not JSON (influxd answers a path it does not serve with plain text). Exported for
 * test/store/influx-errors.test.ts, which judges it on bodies no real influxd sends.
 */
export async function said(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    // Stryker disable next-line ConditionalExpression: equivalent where the typeof is dropped: a message that is not a string has no slice(), and that TypeError lands in the catch below, which falls back to the text as the check does
    if (typeof message === "string" && message) return message.slice(0, 200);
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || res.statusText;
}

/** What InfluxDB's refusal to `what` the bucket means (exported for the same test). */
export async function refusal(
  a: InfluxAccess,
  what: string,
  res: Response,
): Promise<StorageUnavailableError> {
  const where = `bucket "${a.bucket}" in org "${a.org}"`;
  const detail = `${res.status}: ${await said(res)}`;
  if (res.status === 401) {
    return new StorageUnavailableError(
      `InfluxDB refused INFLUX_TOKEN (${detail}): the token is wrong or revoked`,
    );
  }
  if (res.status === 403) {
    return new StorageUnavailableError(`INFLUX_TOKEN may not ${what} ${where} (${detail})`);
  }
  if (res.status === 404) {
    return new StorageUnavailableError(
      `cannot ${what} ${where}: it does not exist or INFLUX_TOKEN cannot see it (${detail})`,
    );
  }
  return new StorageUnavailableError(`InfluxDB answered ${detail} when asked to ${what} ${where}`);
}

/** Resolves when the token can read and write the bucket; otherwise says exactly what is wrong. */
export async function checkAccess(a: InfluxAccess): Promise<void> {
  const base = a.url.replace(/\/$/, "");
  const headers = { authorization: `Token ${a.token}` };
  const signal = () => AbortSignal.timeout(Math.min(a.timeoutMs, 5000));
  const org = encodeURIComponent(a.org);
  const request = async (what: string, url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, { ...init, signal: signal() });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new StorageUnavailableError(`InfluxDB at ${a.url} unreachable while ${what} (${cause})`);
    }
  };

  // Writing: an empty body stores nothing, and is checked for the token's write permission.
  const write = await request(
    "writing",
    `${base}/api/v2/write?org=${org}&bucket=${encodeURIComponent(a.bucket)}&precision=ms`,
    // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8 reads a write body as line protocol whatever its content type, and this one is empty
    { method: "POST", headers: { ...headers, "content-type": "text/plain; charset=utf-8" }, body: "" },
  );
  if (write.status !== 204) throw await refusal(a, "write to", write);
  await write.arrayBuffer().catch(() => undefined);

  // Reading: the bucket's name enters the query through the client library's escaping.
  const read = await request("reading", `${base}/api/v2/query?org=${org}`, {
    method: "POST",
    // Stryker disable next-line StringLiteral: equivalent because InfluxDB 2.8 reads a query body without a content type as JSON and answers CSV whatever is accepted (the ping tests pass with both empty)
    headers: { ...headers, "content-type": "application/json", accept: "application/csv" },
    body: JSON.stringify({
      query: flux`from(bucket: ${a.bucket}) |> range(start: -1ms) |> limit(n: 1)`.toString(),
    }),
  });
  if (read.status !== 200) throw await refusal(a, "read", read);
  await read.arrayBuffer().catch(() => undefined);
}
