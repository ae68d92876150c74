/**
 * The old service's whole flow — submit, filter, duration, systems — through a client generated
 * from openapi/openapi.json alone: openapi-typescript's types (openapi/types.ts) and openapi-fetch.
 * It typechecks with the project (`npm run typecheck`); test/api/openapi-client.test.ts runs it
 * against a real server. Nothing here imports the server's code.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "../../../openapi/types.ts";

export type RestClient = ReturnType<typeof restClient>;

export function restClient(baseUrl: string, token?: string) {
  return createClient<paths>({
    baseUrl,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

export interface FlowResult {
  accepted: number;
  submitStatus: number;
  window: components["schemas"]["Sample"][];
  windowCount: number;
  secondPage: number | null;
  duration: { seconds: number; human: string; runs: number };
  systems: { system_name: string; process_count: number }[];
  missingParameter: { status: number; error: components["schemas"]["Error"] | undefined };
}

/** `day` is a UTC date "YYYY-MM-DD"; samples go in at 00:45 and 12:00 and 12:00:05 that day. */
export async function oldServiceFlow(client: RestClient, day: string): Promise<FlowResult> {
  const at = (time: string) => `${day}T${time}Z`;
  const readme = {
    system_name: "System_A",
    processes: [
      { pid: 1234, name: "python", cpu_percent: 5.2, memory_percent: 1.5 },
      { pid: 5678, name: "chrome", cpu_percent: 15.7, memory_percent: 8.3 },
    ],
  };
  const first = await client.POST("/api/process-data", { body: { ...readme, timestamp: at("00:45:00") } });
  if (!first.data) throw new Error(`submit: ${first.response.status} ${JSON.stringify(first.error)}`);
  for (const timestamp of [at("12:00:00"), at("12:00:05")]) {
    const res = await client.POST("/api/process-data", {
      body: {
        system_name: "Vinay",
        timestamp,
        processes: [{ pid: 42, name: "Code.exe", cpu_percent: 1, memory_percent: 2 }],
      },
    });
    if (!res.data) throw new Error(`submit: ${res.response.status}`);
  }

  const filter = await client.GET("/api/filter-processes", {
    params: { query: { start_time: "00:30:00", end_time: "01:05:00", date: day, tz: "UTC", page_size: 1 } },
  });
  if (!filter.data) throw new Error(`filter: ${filter.response.status}`);
  const rest = filter.data.next_page
    ? await client.GET("/api/process-filter", {
        params: {
          query: {
            start_time: "00:30:00",
            end_time: "01:05:00",
            date: day,
            tz: "UTC",
            page_size: 1,
            page: filter.data.next_page,
          },
        },
      })
    : undefined;

  const duration = await client.GET("/api/process-duration", {
    params: {
      query: { system_name: "Vinay", process_name: "Code.exe", from: at("00:00:00"), to: at("23:59:59") },
    },
  });
  if (!duration.data) throw new Error(`duration: ${duration.response.status}`);

  const systems = await client.GET("/api/systems");
  if (!systems.data) throw new Error(`systems: ${systems.response.status}`);

  // A required parameter left out: the generated types would refuse it, so it is sent as a caller
  // without types would send it.
  const missing = await client.GET("/api/process-duration", {
    params: { query: { system_name: "Vinay" } as { system_name: string; process_name: string } },
  });

  return {
    accepted: first.data.accepted,
    submitStatus: first.response.status,
    window: [...filter.data.data, ...(rest?.data?.data ?? [])],
    windowCount: filter.data.count,
    secondPage: filter.data.next_page,
    duration: {
      seconds: duration.data.duration_seconds,
      human: duration.data.duration_human_readable,
      runs: duration.data.runs.length,
    },
    systems: systems.data.systems.map((s) => ({
      system_name: s.system_name,
      process_count: s.process_count,
    })),
    missingParameter: { status: missing.response.status, error: missing.error },
  };
}
