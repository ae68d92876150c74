/**
 * Slow-loris: clients that dribble their request a byte at a time (headers or body, on both
 * doors) must not tie the server up. With REQUEST_TIMEOUT_MS=2000, the server keeps answering
 * everyone else while they dribble, then answers each dribbler 408 (JSON) and closes its socket —
 * long before the dribbler would have finished.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectClean,
  parseRaw,
  type RawResult,
  rawRequest,
  send,
  startTarget,
  type Target,
} from "./support.ts";

const BODY_DRIBBLERS = 12;
const HEADER_DRIBBLERS = 4;
const DRIP_MS = 200;
/** Enough pieces to dribble for a minute and a half: far past the 2 s the server allows. */
const PIECES = 450;

describe("slow-loris", () => {
  let t: Target;
  beforeAll(async () => {
    t = await startTarget("sqlite", { REQUEST_TIMEOUT_MS: "2000" });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("dribbling requests time out with a JSON 408 and are closed; others are served meanwhile", async () => {
    let open = 0;
    const track = (p: Promise<RawResult>) => {
      open++;
      return p.finally(() => {
        open--;
      });
    };
    const bodyDribblers = Array.from({ length: BODY_DRIBBLERS }, (_, i) => {
      const path = i % 2 === 0 ? "/api/process-data/" : "/trpc/process.submit";
      const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${PIECES + 1}\r\n\r\n{`;
      return track(
        rawRequest(t.server.port, head, {
          drip: Array(PIECES).fill(" "),
          dripMs: DRIP_MS,
          giveUpMs: 120_000,
        }),
      );
    });
    const headerDribblers = Array.from({ length: HEADER_DRIBBLERS }, () =>
      track(
        rawRequest(t.server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", {
          drip: Array(PIECES).fill("a"),
          dripMs: DRIP_MS,
          giveUpMs: 120_000,
        }),
      ),
    );

    // Everyone else is served while the dribblers hold their connections.
    const servedWhileOpen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const health = await send(`${t.server.url}/healthz`);
      expect(health.status).toBe(200);
      const stored = await send(`${t.server.url}/api/process-data/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          system_name: "patient",
          timestamp: Date.now() - i * 1000,
          processes: [{ pid: 1, name: "p", cpu_percent: 1, memory_percent: 1 }],
        }),
      });
      expect(stored.status).toBe(201);
      const listed = await send(`${t.server.url}/api/systems/`);
      expectClean(listed, "systems");
      expect(listed.status).toBe(200);
      servedWhileOpen.push(open);
    }
    // The first answers came while every dribbler was still connected.
    expect(servedWhileOpen[0]).toBe(BODY_DRIBBLERS + HEADER_DRIBBLERS);

    for (const r of [...(await Promise.all(bodyDribblers)), ...(await Promise.all(headerDribblers))]) {
      // The server closed the connection, having answered 408 with a JSON body...
      expect(r.closedByServer).toBe(true);
      const answer = parseRaw(r.response);
      expect(answer.status, r.response).toBe(408);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.body).toMatchObject({ success: false });
      // ...well before the dribbler was done.
      expect(r.written).toBeLessThan(PIECES);
    }
    expect((await send(`${t.server.url}/healthz`)).status).toBe(200);
    expect(t.server.child().exitCode).toBeNull();
    expect(await t.storedSystems()).toEqual(["patient"]);
  }, 180_000);
});
