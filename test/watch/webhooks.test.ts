/**
 * A receiver that hangs: the sender's memory stays bounded (WEBHOOK_QUEUE_MAX per receiver, the
 * oldest dropped with a warning, the one in flight included), and send() returns at once.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { type Transition, transitionId } from "../../server/watch/evaluate.ts";
import { WebhookSender } from "../../server/watch/webhooks.ts";

it("a receiver that never answers costs at most maxQueue events; the oldest go, each with a warning", async () => {
  const hung = createServer(() => {
    // never answers
  });
  await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
  const lines: string[] = [];
  const log = createLogger(
    "warn",
    new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const sender = new WebhookSender({
    urls: [`http://127.0.0.1:${(hung.address() as AddressInfo).port}/hook`],
    secret: "0123456789abcdef",
    log,
    maxQueue: 3,
    retryMs: 3_600_000,
  });
  const event = (i: number): Transition => ({
    id: transitionId("w", "s", "down", i),
    type: "down",
    watch: "w",
    system_name: "s",
    process_name: "p",
    at: i,
    since: i,
    last_seen: i,
    instances: 0,
    min_instances: 1,
    state: "down",
    previous_state: "up",
  });
  for (let i = 0; i < 10; i++) sender.send(event(i));
  expect(sender.pending()).toEqual([3]);
  const dropped = lines.filter((l) => l.includes("webhook queue full: dropped the oldest event"));
  expect(dropped).toHaveLength(7);
  // the first event is in flight and dropped first; then 1, 2, … — the newest three wait
  expect(dropped.map((l) => JSON.parse(l).id)).toEqual(
    [0, 1, 2, 3, 4, 5, 6].map((i) => transitionId("w", "s", "down", i)),
  );
  sender.close();
  hung.closeAllConnections();
  await new Promise<void>((r) => hung.close(() => r()));
});
