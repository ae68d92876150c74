/**
 * vitest global setup: one real InfluxDB 2.x for the whole run (see harness/influxd.ts for where
 * it comes from). Suites read it with `influx()` from ./influx.ts; when none can be had they fail
 * with a message naming the ways to provide one — they are never skipped.
 */
import type { TestProject } from "vitest/node";
import {
  HOW_TO_PROVIDE_INFLUX,
  type InfluxdInstance,
  resolveInfluxdBinary,
  startInfluxd,
} from "../../harness/influxd.ts";

declare module "vitest" {
  export interface ProvidedContext {
    influx:
      | { ok: true; url: string; token: string; org: string; bucket: string; binary?: string }
      | { ok: false; error: string };
  }
}

let instance: InfluxdInstance | undefined;

export default async function setup(project: TestProject) {
  const { INFLUX_URL, INFLUX_TOKEN } = process.env;
  if (INFLUX_URL && INFLUX_TOKEN) {
    project.provide("influx", {
      ok: true,
      url: INFLUX_URL,
      token: INFLUX_TOKEN,
      org: process.env.INFLUX_ORG ?? "procscope",
      bucket: process.env.INFLUX_BUCKET ?? "procscope",
    });
    return;
  }
  let binary: string | undefined;
  try {
    binary = resolveInfluxdBinary();
  } catch (err) {
    project.provide("influx", { ok: false, error: `${(err as Error).message}\n${HOW_TO_PROVIDE_INFLUX}` });
    return;
  }
  if (!binary) {
    project.provide("influx", { ok: false, error: HOW_TO_PROVIDE_INFLUX });
    return;
  }
  const started = Date.now();
  instance = await startInfluxd({ binary });
  process.stderr.write(`[influx harness] ${binary} up at ${instance.url} in ${Date.now() - started} ms\n`);
  const { url, token, org, bucket } = instance;
  project.provide("influx", { ok: true, url, token, org, bucket, binary });
  return async () => {
    await instance?.dispose();
  };
}
