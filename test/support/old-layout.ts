/** Writing a bucket the way release 0.1 did (measurement "process", pid as a tag): what `npm run migrate` converts. */
import type { InfluxConnection } from "../../harness/influxd.ts";
import { floatValue, intValue, stringValue, tagValue } from "../../server/store/influx/line-protocol.ts";
import type { SampleBatch } from "../../server/store/types.ts";

/** The release-0.1 layout, as its point builder wrote it (tags percent-encoded as tags.ts says), precision ms. */
export function oldLines(b: SampleBatch): string {
  return b.processes
    .map((p) => {
      let fields = `cpu_percent=${floatValue(p.cpu_percent)},memory_percent=${floatValue(p.memory_percent)}`;
      if (p.memory_rss !== undefined) fields += `,memory_rss=${intValue(p.memory_rss)}`;
      if (p.started_at !== undefined) fields += `,started_at=${intValue(p.started_at)}`;
      if (p.parent_pid !== undefined) fields += `,parent_pid=${intValue(p.parent_pid)}`;
      for (const k of ["user", "command", "state"] as const) {
        const v = p[k]?.replaceAll("\r", "");
        if (v) fields += `,${k}=${stringValue(v)}`;
      }
      return `process,name=${tagValue(p.name)},pid=${p.pid},system=${tagValue(b.system_name)} ${fields} ${b.timestamp}`;
    })
    .join("\n");
}

/** Writes `body` (line protocol) into the connection's bucket; fails unless InfluxDB answers 204. */
export async function writeLines(
  conn: InfluxConnection,
  body: string,
  precision: "ms" | "ns",
): Promise<void> {
  const qs = new URLSearchParams({ org: conn.org, bucket: conn.bucket, precision });
  const res = await fetch(`${conn.url}/api/v2/write?${qs}`, {
    method: "POST",
    headers: { authorization: `Token ${conn.token}` },
    body,
  });
  if (res.status !== 204) throw new Error(`writing to ${conn.bucket}: ${res.status} ${await res.text()}`);
}
