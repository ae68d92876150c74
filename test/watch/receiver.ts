/**
 * A webhook receiver on the loopback: every POST it got (raw body, headers, when), answering with
 * the statuses it is told to (then 204), and a way to wait for deliveries without sleeping.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Delivery {
  body: string;
  event: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  receivedAt: number;
  /** What the receiver answered. */
  status: number;
}

/** The documented check (README, docs/watches.md): HMAC-SHA256 of the raw body with the secret. */
export function validSignature(body: string, header: string | string[] | undefined, secret: string): boolean {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  const got = Buffer.from(header.slice("sha256=".length), "hex");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export async function startReceiver(answers: number[] = []) {
  const deliveries: Delivery[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = answers.shift() ?? 204;
      deliveries.push({
        body,
        event: JSON.parse(body) as Record<string, unknown>,
        headers: req.headers,
        receivedAt: Date.now(),
        status,
      });
      res.writeHead(status).end();
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  /** Resolves with the accepted deliveries once `count` match; rejects after `timeoutMs`. */
  const waitFor = (match: (d: Delivery) => boolean, count: number, what: string, timeoutMs = 60_000) =>
    new Promise<Delivery[]>((resolve, reject) => {
      const check = () => {
        const found = deliveries.filter((d) => d.status < 300 && match(d));
        if (found.length >= count) {
          done();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `no ${what} within ${timeoutMs} ms; got ${JSON.stringify(deliveries.map((d) => d.event))}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    waitFor,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
