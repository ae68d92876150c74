/**
 * Issue 13's end-to-end case: a real agent (Node) samples this machine every second; a real process
 * it sees is watched; killing it gets a signed `down` webhook on a loopback receiver, starting it
 * again gets `up`. The server is the real entry point on the embedded store. The latency is printed
 * (bench/watches.ts measures it with the 5 s defaults); the test checks what was sent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv } from "../../harness/stores.ts";
import { type AgentProcess, removeTempDirs, startAgent, tempDir, uniqueName } from "../agent/support.ts";
import { startReceiver, validSignature } from "./receiver.ts";

const SECRET = "kill-test-secret-0123456789";
const dir = tempDir("watch-kill");
// Its own copy of sleep under a name no other process on this machine has (comm: ≤ 15 bytes).
const name = `zz${Math.random().toString(36).slice(2, 10)}`;
const binary = join(dir, name);
const systemName = uniqueName("watched");
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let server: ServerProcess;
let agent: AgentProcess;
let sleeper: ChildProcess | undefined;

const startSleeper = () => {
  const child = spawn(binary, ["600"], { stdio: "ignore" });
  sleeper = child;
  return child;
};

beforeAll(async () => {
  copyFileSync("/bin/sleep", binary);
  const file = join(dir, "watches.yaml");
  writeFileSync(file, `watches:\n  - process_name: ${name}\n    systems: [${JSON.stringify(systemName)}]\n`);
  receiver = await startReceiver();
  server = await startServer({
    env: {
      ...sqliteEnv(tempDir("watch-kill-data")),
      WATCHES_FILE: file,
      WATCH_EVALUATION_MS: "500",
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
    },
  });
  startSleeper();
  agent = startAgent("node", [
    "--server",
    server.url,
    "--interval",
    "1",
    "--system-name",
    systemName,
    "--spool-dir",
    tempDir("watch-kill-spool"),
    "--log-level",
    "info",
  ]);
});

afterAll(async () => {
  sleeper?.kill("SIGKILL");
  await agent?.stop();
  await server?.stop();
  await receiver?.close();
  removeTempDirs();
});

async function status() {
  const res = await fetch(`${server.url}/api/process-status/?system_name=${encodeURIComponent(systemName)}`);
  return ((await res.json()) as { statuses: Record<string, unknown>[] }).statuses[0];
}

it("kill a real process → signed `down`; start it again → `up`; the status says so", async () => {
  // up first (no event for a watch that is up from the start)
  for (let s = await status(); s?.state !== "up"; s = await status())
    await new Promise((r) => setTimeout(r, 200));
  expect(await status()).toMatchObject({ state: "up", instances: 1, for_seconds: 3, process_name: name });

  const killedAt = Date.now();
  sleeper?.kill("SIGKILL");
  const [down] = await receiver.waitFor((d) => d.event.type === "down", 1, "down event");
  const latency = (down?.receivedAt ?? 0) - killedAt;
  process.stdout.write(
    `[watch kill test] down received ${latency} ms after the kill (1 s sampling, for = 3 s, evaluation every 0.5 s)\n`,
  );
  const shown = Object.fromEntries(
    Object.entries(down?.headers ?? {}).filter(([k]) => k.startsWith("x-procscope")),
  );
  process.stdout.write(`[watch kill test] the down event: ${JSON.stringify(shown)} ${down?.body}\n`);
  expect(down?.headers["content-type"]).toBe("application/json");
  expect(validSignature(down?.body ?? "", down?.headers["x-procscope-signature"], SECRET)).toBe(true);
  expect(validSignature(down?.body ?? "", down?.headers["x-procscope-signature"], `${SECRET}x`)).toBe(false);
  expect(down?.headers["x-procscope-event-id"]).toBe(down?.event.id);
  expect(down?.event).toMatchObject({
    type: "down",
    watch: name,
    system_name: systemName,
    process_name: name,
    state: "down",
    previous_state: "up",
    instances: 0,
    min_instances: 1,
  });
  expect(down?.event.id).toMatch(/^[0-9a-f]{32}$/);
  // since = its last sighting, as the history has it: the end of its last run
  const runs = (await (
    await fetch(
      `${server.url}/api/process-runs/?process_name=${name}&system_name=${encodeURIComponent(systemName)}`,
    )
  ).json()) as { systems: { runs: { end: string }[] }[] };
  expect(down?.event.since).toBe(runs.systems[0]?.runs.at(-1)?.end);
  expect(down?.event.last_seen).toBe(down?.event.since);
  expect(Date.parse(String(down?.event.since))).toBeLessThanOrEqual(killedAt);
  expect(await status()).toMatchObject({ state: "down", since: down?.event.since, instances: 0 });

  const restartedAt = Date.now();
  startSleeper();
  const [up] = await receiver.waitFor((d) => d.event.type === "up", 1, "up event");
  process.stdout.write(
    `[watch kill test] up received ${(up?.receivedAt ?? 0) - restartedAt} ms after the restart\n`,
  );
  expect(validSignature(up?.body ?? "", up?.headers["x-procscope-signature"], SECRET)).toBe(true);
  expect(up?.event).toMatchObject({
    type: "up",
    previous_state: "down",
    instances: 1,
    system_name: systemName,
  });
  // since = its first sighting back: after the restart, and a sample the store holds
  const since = Date.parse(String(up?.event.since));
  expect(since).toBeGreaterThan(restartedAt - 1000);
  const back = (await (
    await fetch(
      `${server.url}/api/process-runs/?process_name=${name}&system_name=${encodeURIComponent(systemName)}`,
    )
  ).json()) as { systems: { runs: { start: string }[] }[] };
  expect(up?.event.since).toBe(back.systems[0]?.runs.at(-1)?.start);
  expect(receiver.deliveries.map((d) => d.event.type)).toEqual(["down", "up"]);
});
