/**
 * What the agent puts on the wire: its spool files' gzip'd bytes as they are, with
 * `Content-Encoding: gzip`; and against a server that cannot read gzip'd bodies (procscope before
 * gzip support answers 400 "is not valid JSON"; others 415) the same batch again as plain JSON,
 * once, then plain JSON only. The servers here are real HTTP servers written for the test, acting
 * as an older procscope would (tRPC's envelope), recording every request.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { is, RUNTIMES, removeTempDirs, startAgent, tempDir, timestampsOf } from "./support.ts";

interface Seen {
  encoding: string | undefined;
  bytes: number;
  payload: { timestamp: number; processes: unknown[] };
}

type Mode = "new" | "old-400" | "old-415";

/** A real server taking process.submit: gzip'd or plain ("new"), or plain only ("old-…"). */
async function submitServer(mode: Mode) {
  const seen: Seen[] = [];
  /** Content-Encoding of every request, answered or refused. */
  const encodings: (string | undefined)[] = [];
  const server: Server = createServer((req, res) => {
    encodings.push(req.headers["content-encoding"]);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const encoding = req.headers["content-encoding"];
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      let text: string;
      if (encoding === "gzip" && mode === "new") text = gunzipSync(raw).toString();
      else if (encoding !== undefined && mode === "old-415") {
        return answer(415, {
          error: { message: `unsupported encoding ${encoding}`, code: -32015, data: { httpStatus: 415 } },
        });
      } else text = raw.toString();
      let payload: Seen["payload"];
      try {
        payload = JSON.parse(text);
      } catch (err) {
        // What tRPC's own JSON parsing answered to a gzip'd body before procscope decoded them.
        return answer(400, {
          error: {
            success: false,
            message: (err as Error).message,
            code: -32600,
            data: { code: "BAD_REQUEST", httpStatus: 400 },
          },
        });
      }
      seen.push({ encoding, bytes: raw.length, payload });
      answer(200, {
        result: { data: { success: true, message: "ok", accepted: payload.processes.length } },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    encodings,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

afterAll(removeTempDirs);

const FALLBACK =
  "the server does not take gzip'd bodies (an older procscope?): sending plain JSON from now on";

describe.each(RUNTIMES)("agent under %s: the wire", (runtime) => {
  it("sends each sample as its spool file's gzip'd bytes, Content-Encoding: gzip", async () => {
    const server = await submitServer("new");
    const spool = tempDir("wire");
    const agent = startAgent(runtime, [
      ...["--server", server.url, "--system-name", "wire", "--spool-dir", spool],
      ...["--interval", "0.3", "--log-level", "debug"],
    ]);
    try {
      const sent = await agent.waitForLogs(is("sent"), 3, "three samples sent");
      expect(server.seen.slice(0, 3).map((s) => s.encoding)).toEqual(["gzip", "gzip", "gzip"]);
      // The bytes on the wire are the compressed batch: its size is what the agent logged.
      expect(server.seen.slice(0, 3).map((s) => s.bytes)).toEqual(sent.map((l) => l.bytes));
      for (const s of server.seen.slice(0, 3)) {
        expect(s.bytes).toBeLessThan(JSON.stringify(s.payload).length / 4);
      }
      expect(server.seen.slice(0, 3).map((s) => s.payload.timestamp)).toEqual(timestampsOf(sent, "sent"));
    } finally {
      await agent.stop();
      await server.close();
    }
    expect(agent.logs().filter(is(FALLBACK))).toEqual([]);
  });

  for (const mode of ["old-400", "old-415"] as const) {
    it(`against a server refusing gzip (${mode.slice(4)}), resends the batch plain once and stays plain, losing nothing`, async () => {
      const server = await submitServer(mode);
      const spool = tempDir("fallback");
      const agent = startAgent(runtime, [
        ...["--server", server.url, "--system-name", "fallback", "--spool-dir", spool],
        ...["--interval", "0.3", "--log-level", "debug"],
      ]);
      try {
        await agent.waitForLogs(is("sent"), 4, "four samples sent");
      } finally {
        await agent.stop();
        await server.close();
      }
      const logs = agent.logs();
      const sampled = timestampsOf(logs, "sampled");
      const sent = timestampsOf(logs, "sent");
      // Every sample taken was stored, in order, each once; the server stored only plain JSON.
      expect(server.seen.map((s) => s.payload.timestamp)).toEqual(sent);
      expect(sent).toEqual(sampled.slice(0, sent.length));
      expect(server.seen.every((s) => s.encoding === undefined)).toBe(true);
      // gzip was tried once, on the first batch, which then went plain at once.
      expect(server.encodings[0]).toBe("gzip");
      expect(server.encodings.slice(1).every((e) => e === undefined)).toBe(true);
      expect(server.encodings.length).toBe(server.seen.length + 1);
      // Told once, and nothing dropped or retried after.
      expect(logs.filter(is(FALLBACK))).toHaveLength(1);
      expect(logs.filter(is("server refused the sample; dropped"))).toEqual([]);
      expect(logs.filter(is("send failed; the sample stays in the spool"))).toEqual([]);
    });
  }
});
