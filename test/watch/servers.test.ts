/**
 * Watches across real servers (issue 13): two servers on one InfluxDB bucket with one receiver
 * (each event arrives from both, duplicates share the id); a receiver that fails is retried in
 * order while another receiver that cannot even be reached does not hold it up; the watches file
 * refused at start-up and kept on an invalid reload; the `watch` measurement Grafana reads.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, influxEnv } from "../../harness/influxd.ts";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { removeTempDirs, tempDir, uniqueName } from "../agent/support.ts";
import { freshBucket } from "../support/influx.ts";
import { type Delivery, startReceiver, validSignature } from "./receiver.ts";

const SECRET = "two-servers-secret-0123456789";
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  removeTempDirs();
});

const post = (url: string, system: string, names: string[]) =>
  fetch(`${url}/api/process-data/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      system_name: system,
      interval_ms: 500,
      processes: names.map((name, i) => ({ pid: 100 + i, name, cpu_percent: 1, memory_percent: 1 })),
    }),
  }).then((r) => expect(r.status).toBe(201));

describe("two servers on one store", () => {
  it("each event arrives from both, with the same id; a failing receiver gets them in order; an unreachable one holds nothing up", async () => {
    const conn = await freshBucket("watch2");
    const dir = tempDir("watch2");
    const file = join(dir, "watches.yaml");
    const system = uniqueName("pair");
    writeFileSync(file, `watches:\n  - name: svc\n    process_name: svc\n    systems: all\n`);
    // answers 503 to its first two deliveries, then accepts
    const receiver = await startReceiver([503, 503]);
    const unreachable = `http://127.0.0.1:${await freePort()}/nobody`;
    const env = {
      ...influxEnv(conn),
      WATCHES_FILE: file,
      WATCH_EVALUATION_MS: "250",
      WEBHOOK_URLS: `${unreachable},${receiver.url}`,
      WEBHOOK_SECRET: SECRET,
    };
    const [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    servers.push(a as ServerProcess, b as ServerProcess);
    const sa = a as ServerProcess;
    const sb = b as ServerProcess;
    // svc runs for 2 s (sent to server A), is gone for 2.5 s (sent to B), then back (to A)
    const tick = () => new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 4; i++) {
      await post(sa.url, system, ["svc", "init"]);
      await tick();
    }
    for (let i = 0; i < 5; i++) {
      await post(sb.url, system, ["init"]);
      await tick();
    }
    await receiver
      .waitFor((d) => d.event.type === "down", 2, "down from both servers")
      .catch((err: Error) => {
        // what the servers saw, to tell a store problem from an evaluation one
        throw new Error(`${err.message}\n${sa.output().slice(-3000)}`);
      });
    for (let i = 0; i < 3; i++) {
      await post(sa.url, system, ["svc", "init"]);
      await tick();
    }
    const ups = await receiver.waitFor((d) => d.event.type === "up", 2, "up from both servers");
    const accepted = receiver.deliveries.filter((d) => d.status < 300);
    const downs = accepted.filter((d) => d.event.type === "down");
    for (const d of accepted)
      expect(validSignature(d.body, d.headers["x-procscope-signature"], SECRET)).toBe(true);
    // duplicates share the id and everything data-derived; only `at` (each server's clock) may differ
    const same = (x: Delivery) => ({ ...x.event, at: undefined });
    expect(downs).toHaveLength(2);
    expect(same(downs[0] as Delivery)).toEqual(same(downs[1] as Delivery));
    expect(ups).toHaveLength(2);
    expect(same(ups[0] as Delivery)).toEqual(same(ups[1] as Delivery));
    expect(downs[0]?.event.id).not.toBe(ups[0]?.event.id);
    expect(new Set(accepted.map((d) => d.event.id)).size).toBe(2);
    // the two refused deliveries were retried (attempt 2 and more) and nothing came out of order:
    // per server, down before up
    const refused = receiver.deliveries.filter((d) => d.status >= 300);
    expect(refused).toHaveLength(2);
    expect(accepted.some((d) => Number(d.headers["x-procscope-delivery-attempt"]) > 1)).toBe(true);
    for (const id of [downs[0]?.event.id, ups[0]?.event.id]) {
      expect(accepted.filter((d) => d.event.id === id)).toHaveLength(2);
    }
    const order = receiver.deliveries.map((d) => d.event.type);
    expect(order.lastIndexOf("down")).toBeLessThan(order.lastIndexOf("up"));
    // the unreachable receiver is logged, never a crash, never a block
    expect(sa.output() + sb.output()).toContain("webhook delivery failed; will retry");

    // both servers answer the same status
    const status = async (s: ServerProcess) =>
      (
        (await (
          await fetch(`${s.url}/api/process-status/?system_name=${encodeURIComponent(system)}`)
        ).json()) as {
          statuses: unknown[];
        }
      ).statuses;
    expect(await status(sa)).toEqual(await status(sb));
    expect((await status(sa))[0]).toMatchObject({ state: "up", since: ups[0]?.event.since, instances: 1 });

    // Grafana's measurement: the transitions as points at their `since`, written once whatever the servers
    const query = `from(bucket: "${conn.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "watch" and r._field == "state") |> keep(columns: ["_time", "_value", "system", "watch"])`;
    let rows: string[] = [];
    for (let i = 0; i < 50 && rows.length < 2; i++) {
      const res = await fetch(`${conn.url}/api/v2/query?org=${encodeURIComponent(conn.org)}`, {
        method: "POST",
        headers: { authorization: `Token ${conn.token}`, "content-type": "application/vnd.flux" },
        body: query,
      });
      rows = (await res.text())
        .split("\n")
        .filter((l) => l.includes(system))
        .map((l) => l.trim());
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows.map((r) => r.split(",").slice(3, 5)).map(([t, v]) => [Date.parse(String(t)), v])).toEqual([
      [Date.parse(String(downs[0]?.event.since)), "down"],
      [Date.parse(String(ups[0]?.event.since)), "up"],
    ]);
    await receiver.close();
  });
});

describe("the watches file", () => {
  it("a broken file stops the server from starting, naming file, entry and field", async () => {
    const dir = tempDir("watch-bad");
    const file = join(dir, "watches.yaml");
    writeFileSync(
      file,
      [
        "watches:",
        "  - process_name: nginx",
        "    systems: all",
        '  - process_name: "/(unclosed/"',
        "    systems: all",
        "  - process_name: cron",
        "    systems: [a]",
        "    colour: red",
        "    min_instances: 0",
        "",
      ].join("\n"),
    );
    const port = await freePort();
    const err = await startServer({
      env: { ...sqliteLike(dir), WATCHES_FILE: file },
      port,
      timeoutMs: 15_000,
    }).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(err).toContain("the server exited with 2");
    expect(err).toContain(
      `WATCHES_FILE: ${file}:4: entry 2 (/(unclosed/): field process_name: invalid regular expression`,
    );
    expect(err).toContain(`WATCHES_FILE: ${file}:6: entry 3 (cron): unknown field colour`);
    expect(err).toContain(`WATCHES_FILE: ${file}:6: entry 3 (cron): field min_instances:`);
    const badUrl = await startServer({
      env: { ...sqliteLike(dir), WEBHOOK_URLS: "ftp://example.org/x", WEBHOOK_SECRET: SECRET },
      port,
      timeoutMs: 15_000,
    }).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(badUrl).toContain("WEBHOOK_URLS: entry 1 is not an http(s) URL (scheme ftp:)");
  });

  it("reloads on change and on SIGHUP; an invalid new file keeps the old watches", async () => {
    const dir = tempDir("watch-reload");
    const file = join(dir, "watches.yaml");
    writeFileSync(file, "watches:\n  - process_name: one\n    systems: all\n");
    const server = await startServer({ env: { ...sqliteLike(dir), WATCHES_FILE: file } });
    servers.push(server);
    const names = async () =>
      (
        (await (await fetch(`${server.url}/api/watches/`)).json()) as { watches: { name: string }[] }
      ).watches.map((w) => w.name);
    expect(await names()).toEqual(["one"]);
    writeFileSync(
      file,
      "watches:\n  - process_name: one\n    systems: all\n  - process_name: two\n    systems: [x, y]\n    for: 1m\n",
    );
    for (let i = 0; i < 100 && (await names()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await (await fetch(`${server.url}/api/watches/`)).json()).toEqual({
      success: true,
      file,
      watches: [
        { name: "one", process_name: "one", systems: "all", min_instances: 1, for: null },
        { name: "two", process_name: "two", systems: ["x", "y"], min_instances: 1, for: "1m" },
      ],
    });
    writeFileSync(file, "watches:\n  - process_name: three\n    systems: all\n    when: always\n");
    server.child().kill("SIGHUP");
    for (let i = 0; i < 100 && !server.output().includes("keeping the previous watches"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(server.output()).toContain("unknown field when");
    expect(await names()).toEqual(["one", "two"]);
    expect(server.child().exitCode).toBeNull();
  });
});

/** The embedded store in `dir` (and no InfluxDB). */
function sqliteLike(dir: string) {
  return { INFLUX_URL: undefined, INFLUX_TOKEN: undefined, DATA_DIR: join(dir, "data") };
}
