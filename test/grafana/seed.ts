/**
 * A small fleet written through the real InfluxStore, so the points have exactly the shape the
 * server writes (measurement, tags, encoded names, field types). Every number the dashboard tests
 * check follows from the plan below.
 */

import { InfluxDB } from "@influxdata/influxdb-client";
import type { InfluxConnection } from "../../harness/influxd.ts";
import { createLogger } from "../../server/log.ts";
import { InfluxStore } from "../../server/store/influx/store.ts";
import type { BatchProcess, SampleBatch } from "../../server/store/types.ts";
import type { Transition } from "../../server/watch/evaluate.ts";
import { watchPoint } from "../../server/watch/service.ts";

export const SAMPLE_MS = 5_000;
const SAMPLES = 240; // 20 minutes
export const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
export const RANGE = { from: T0, to: T0 + SAMPLES * SAMPLE_MS };

/** A system name and a process name with every character that needs escaping somewhere. */
export const ODD_SYSTEM = 'lab\\pc "7" 50% (old)';
export const ODD_PROCESS = 'C:\\Tools\\agent "x" 100%.exe';

interface Plan {
  pid: number;
  name: string;
  /** Sample indexes at which the process is present. */
  alive: (i: number) => boolean;
  cpu: (i: number) => number;
  mem: number;
  extras?: Partial<BatchProcess>;
}

const always = () => true;
const DAY = 86_400_000;

const FLEET: Record<string, { lastSample: number; processes: Plan[] }> = {
  "web-01": {
    lastSample: SAMPLES - 1,
    processes: [
      {
        pid: 1,
        name: "systemd",
        alive: always,
        cpu: () => 0.1,
        mem: 0.2,
        extras: { user: "root", state: "sleeping", started_at: T0 - DAY, command: "/sbin/init" },
      },
      {
        pid: 100,
        name: "nginx",
        alive: always,
        cpu: () => 1.5,
        mem: 0.5,
        extras: { user: "root", started_at: T0 - DAY, command: "nginx: master process" },
      },
      {
        pid: 101,
        name: "nginx",
        alive: always,
        cpu: (i) => 10 + (i % 4),
        mem: 1.2,
        extras: { user: "www-data", started_at: T0 - DAY, command: "nginx: worker process" },
      },
      {
        pid: 200,
        name: "node",
        alive: always,
        cpu: (i) => 40 + (i % 10),
        mem: 6.5,
        extras: { user: "app", state: "running", started_at: T0 - 3_600_000, memory_rss: 512 * 2 ** 20 },
      },
      // Two runs of 5 minutes (samples 0–59 and 120–179), 5 minutes apart, with different pids.
      {
        pid: 300,
        name: "backup.sh",
        alive: (i) => i < 60,
        cpu: () => 25,
        mem: 2,
        extras: { user: "root", started_at: T0 },
      },
      {
        pid: 301,
        name: "backup.sh",
        alive: (i) => i >= 120 && i < 180,
        cpu: () => 25,
        mem: 2,
        extras: { user: "root", started_at: T0 + 120 * SAMPLE_MS },
      },
      // No optional fields at all.
      { pid: 400, name: ODD_PROCESS, alive: always, cpu: () => 3, mem: 0.8 },
    ],
  },
  "db-01": {
    lastSample: 199, // stops reporting 200 s before the end
    processes: [
      { pid: 1, name: "systemd", alive: always, cpu: () => 0.1, mem: 0.2, extras: { started_at: T0 - DAY } },
      { pid: 500, name: "postgres", alive: always, cpu: () => 20, mem: 12, extras: { started_at: T0 - DAY } },
      { pid: 501, name: "postgres", alive: always, cpu: () => 5, mem: 4, extras: { started_at: T0 - DAY } },
      { pid: 502, name: "postgres", alive: always, cpu: () => 5, mem: 4, extras: { started_at: T0 - DAY } },
    ],
  },
  [ODD_SYSTEM]: {
    lastSample: SAMPLES - 1,
    processes: [
      { pid: 1, name: "systemd", alive: always, cpu: () => 0.2, mem: 0.3 },
      {
        pid: 600,
        name: "python",
        alive: always,
        cpu: (i) => (i % 2 ? 70 : 30),
        mem: 9,
        extras: { user: "lab" },
      },
      { pid: 601, name: ODD_PROCESS, alive: always, cpu: () => 1, mem: 0.4 },
    ],
  },
};

export function batches(): SampleBatch[] {
  const out: SampleBatch[] = [];
  for (const [system_name, { lastSample, processes }] of Object.entries(FLEET)) {
    for (let i = 0; i <= lastSample; i++) {
      out.push({
        system_name,
        timestamp: T0 + i * SAMPLE_MS,
        processes: processes
          .filter((p) => p.alive(i))
          .map((p) => ({
            pid: p.pid,
            name: p.name,
            cpu_percent: p.cpu(i),
            memory_percent: p.mem,
            ...p.extras,
          })),
      });
    }
  }
  return out;
}

/** Processes in each system's last sample. */
export function latestCounts(): Record<string, number> {
  return Object.fromEntries(
    Object.entries(FLEET).map(([system, { lastSample, processes }]) => [
      system,
      processes.filter((p) => p.alive(lastSample)).length,
    ]),
  );
}

export function seedStore(conn: InfluxConnection): InfluxStore {
  return new InfluxStore({ ...conn, retentionDays: 30, timeoutMs: 30_000, log: createLogger("silent") });
}

/** Writes the fleet, a few batches at a time; resolves with the number of samples written. */
export async function seedFleet(conn: InfluxConnection): Promise<number> {
  const store = seedStore(conn);
  await store.init();
  const queue = batches();
  let written = 0;
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const n = await store.write(batch);
      written += n;
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  await store.close();
  return written;
}

/** Watch transitions (the `watch` measurement): one before the range, changes inside it, down at the end. */
const WATCH_TRANSITIONS: {
  watch: string;
  system: string;
  process: string;
  state: Transition["state"];
  at: number;
}[] = [
  { watch: "nginx", system: "web-01", process: "nginx", state: "up", at: T0 - 60_000 },
  { watch: "nginx", system: "web-01", process: "nginx", state: "down", at: T0 + 300_000 },
  { watch: "agent", system: ODD_SYSTEM, process: ODD_PROCESS, state: "never_seen", at: T0 - 60_000 },
  { watch: "agent", system: ODD_SYSTEM, process: ODD_PROCESS, state: "up", at: T0 + 60_000 },
  { watch: "agent", system: ODD_SYSTEM, process: ODD_PROCESS, state: "down", at: T0 + 600_000 },
  {
    watch: "postgres",
    system: "db-01",
    process: "postgres",
    state: "system_silent",
    at: T0 + 199 * SAMPLE_MS,
  },
];

/** Writes transitions as the server does (server/watch/service.ts `watchPoint`). */
export async function writeWatchTransitions(conn: InfluxConnection, list = WATCH_TRANSITIONS): Promise<void> {
  const write = new InfluxDB({ url: conn.url, token: conn.token }).getWriteApi(conn.org, conn.bucket, "ms");
  for (const t of list)
    write.writePoint(
      watchPoint({
        watch: t.watch,
        system_name: t.system,
        process_name: t.process,
        state: t.state,
        id: `${t.watch}/${t.system}/${t.at}`,
        since: t.at,
        at: t.at,
      }),
    );
  await write.close();
}
