/**
 * A system: its latest sample's processes, the top processes by CPU and by memory over a chosen
 * range, and what was running at a chosen instant (from the samples around it: the history
 * endpoint that will answer this directly does not exist yet).
 */
import { useState } from "preact/hooks";
import { BATCHED_PAGE_MAX, client, type Sample, type SystemInfo } from "../api.ts";
import { Chart, type ChartSeries } from "../chart.tsx";
import { href, navigate } from "../route.ts";
import { isoOf, localDateTime, showSpan, showTime, zonedInstant } from "../time.ts";
import { ErrorBox, Show, useLoad } from "../ui.tsx";
import { ProcessTable } from "./processes.tsx";
import { silentFor } from "./systems.tsx";

const RANGES: Record<string, number> = {
  "5m": 300,
  "15m": 900,
  "1h": 3600,
  "6h": 21_600,
  "24h": 86_400,
  "7d": 604_800,
};
const INSTANTS = 40;
const TOP = 5;
const PAGE_MAX = 10_000;

/** The rows of the earliest (or latest) instant among `rows`. */
function oneInstant(rows: Sample[], latest = false): Sample[] {
  let pick: string | undefined;
  for (const r of rows) {
    if (pick === undefined || (latest ? r.timestamp > pick : r.timestamp < pick)) pick = r.timestamp;
  }
  return rows.filter((r) => r.timestamp === pick);
}

async function findSystem(name: string): Promise<SystemInfo | undefined> {
  const { systems } = await client.systems.list.query({});
  return systems.find((s) => s.system_name === name);
}

async function latestSample(system: SystemInfo, zone: string): Promise<Sample[]> {
  const last = Date.parse(system.last_seen);
  const res = await client.process.filter.query({
    system_name: system.system_name,
    from: isoOf(last),
    to: isoOf(last + 1),
    tz: zone,
    page_size: PAGE_MAX,
  });
  return res.data;
}

interface TopCharts {
  x: number[];
  cpu: ChartSeries[];
  memory: ChartSeries[];
  sampled: number;
}

/** Top processes (by name, summed over same-named processes) from samples at evenly spaced instants. */
async function topOverRange(system: SystemInfo, seconds: number, zone: string): Promise<TopCharts> {
  const end = Date.parse(system.last_seen) + 1;
  const stepMs = (seconds * 1000) / INSTANTS;
  const windowMs = Math.min(stepMs, 60_000);
  const starts = Array.from(
    { length: INSTANTS },
    (_, i) => end - seconds * 1000 + (i + 1) * stepMs - windowMs,
  );
  const pageSize = Math.min(BATCHED_PAGE_MAX, system.process_count * 2 + 50);
  const answers = await Promise.all(
    starts.map((start) =>
      client.process.filter.query({
        system_name: system.system_name,
        from: isoOf(start),
        to: isoOf(start + windowMs),
        tz: zone,
        page_size: pageSize,
      }),
    ),
  );
  const samples = answers.map((a) => oneInstant(a.data));
  const x = samples.map((s, i) => Math.round((s[0] ? Date.parse(s[0].timestamp) : (starts[i] ?? 0)) / 1000));
  const series = (field: "cpu_percent" | "memory_percent"): ChartSeries[] => {
    const byName = new Map<string, (number | null)[]>();
    samples.forEach((sample, i) => {
      for (const row of sample) {
        let values = byName.get(row.name);
        if (!values) {
          values = samples.map((s) => (s.length ? 0 : null));
          byName.set(row.name, values);
        }
        values[i] = (values[i] ?? 0) + row[field];
      }
    });
    const mean = (v: (number | null)[]) => v.reduce<number>((a, b) => a + (b ?? 0), 0);
    return [...byName.entries()]
      .sort((a, b) => mean(b[1]) - mean(a[1]) || (a[0] < b[0] ? -1 : 1))
      .slice(0, TOP)
      .map(([label, values]) => ({ label, values }));
  };
  return {
    x,
    cpu: series("cpu_percent"),
    memory: series("memory_percent"),
    sampled: samples.filter((s) => s.length).length,
  };
}

export function SystemView({ params, zone }: { params: URLSearchParams; zone: string }) {
  const name = params.get("name");
  const range = params.get("range") ?? "1h";
  const at = params.get("at");
  const system = useLoad(`system:${name}`, () => (name ? findSystem(name) : Promise.resolve(undefined)));
  if (!name) return <ErrorBox message="name: which system? The link needs #/system?name=<system name>." />;
  const problems: string[] = [];
  if (RANGES[range] === undefined)
    problems.push(`range: must be one of ${Object.keys(RANGES).join(", ")} (got "${range}")`);
  return (
    <section aria-labelledby="system-h">
      <p class="crumbs">
        <a href={href("systems")}>Systems</a> ›
      </p>
      <h1 id="system-h">{name}</h1>
      {problems.map((p) => (
        <ErrorBox key={p} message={p} status={400} />
      ))}
      <Show loaded={system} what="the system">
        {(s) =>
          s ? (
            <SystemBody system={s} zone={zone} range={RANGES[range] ? range : "1h"} at={at ?? undefined} />
          ) : (
            <ErrorBox
              status={404}
              message={`No system named "${name}" has reported within the retention period.`}
            />
          )
        }
      </Show>
    </section>
  );
}

function SystemBody({
  system,
  zone,
  range,
  at,
}: {
  system: SystemInfo;
  zone: string;
  range: string;
  /** As the URL has it: the API judges it (a bad one is its 400 in the page). */
  at: string | undefined;
}) {
  const name = system.system_name;
  const quiet = silentFor(system, Date.now());
  const latest = useLoad(`latest:${name}:${system.last_seen}`, () => latestSample(system, zone));
  const seconds = RANGES[range] ?? 3600;
  // The charts' 40 small queries wait for the table's one: the table is what a person reads first.
  const top = useLoad(`top:${name}:${system.last_seen}:${range}:${latest.state === "loading"}`, () =>
    latest.state === "loading"
      ? new Promise<TopCharts>(() => undefined)
      : topOverRange(system, seconds, zone),
  );
  const link = (p: Record<string, string | undefined>) => href("system", { name, range, at, ...p });
  return (
    <>
      <p class="muted">
        Last sample <time dateTime={system.last_seen}>{showTime(system.last_seen, zone)}</time> ({zone}),{" "}
        {system.process_count} processes;{" "}
        {quiet === undefined ? (
          <span class="ok">reporting</span>
        ) : (
          <span class="warn">silent for {showSpan(quiet)}</span>
        )}
        .
      </p>
      <h2 id="top-h">Top processes</h2>
      <div class="toolbar">
        <label for="range">Range</label>
        <select
          id="range"
          value={range}
          onChange={(e) => navigate(link({ range: (e.target as HTMLSelectElement).value }))}
        >
          {Object.keys(RANGES).map((r) => (
            <option key={r} value={r}>
              last {r} of samples
            </option>
          ))}
        </select>
      </div>
      <Show loaded={top} what="the charts">
        {(t) => (
          <>
            <p class="muted">
              Same-named processes summed; {t.sampled} of {INSTANTS} evenly spaced instants had a sample.
            </p>
            <div class="charts">
              <Chart
                title="CPU % by process"
                summary={summary(t.cpu, "%")}
                x={t.x}
                series={t.cpu}
                unit="%"
                zone={zone}
              />
              <Chart
                title="Memory % by process"
                summary={summary(t.memory, "%")}
                x={t.x}
                series={t.memory}
                unit="%"
                zone={zone}
              />
            </div>
          </>
        )}
      </Show>

      <h2>Processes in the latest sample</h2>
      <Show loaded={latest} what="the latest sample">
        {(rows) => <ProcessTable rows={rows} label={`Processes on ${name}`} idPrefix="latest" />}
      </Show>

      <h2>What was running at…</h2>
      <AtForm system={system} zone={zone} at={at} onPick={(ms) => navigate(link({ at: isoOf(ms) }))} />
      {at === undefined ? null : <AtResult system={system} zone={zone} at={at} />}
    </>
  );
}

function summary(series: ChartSeries[], unit: string): string {
  return series
    .map((s) => `${s.label}: peak ${Math.max(0, ...s.values.map((v) => v ?? 0)).toFixed(1)} ${unit}`)
    .join("; ");
}

function AtForm({
  system,
  zone,
  at,
  onPick,
}: {
  system: SystemInfo;
  zone: string;
  at: string | undefined;
  onPick: (ms: number) => void;
}) {
  const atMs = at === undefined ? Number.NaN : Date.parse(at);
  const [value, setValue] = useState(
    localDateTime(Number.isNaN(atMs) ? Date.parse(system.last_seen) : atMs, zone),
  );
  const [problem, setProblem] = useState<string>();
  return (
    <form
      class="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        const ms = zonedInstant(value, zone);
        if (ms === undefined) setProblem("Pick a date and time.");
        else {
          setProblem(undefined);
          onPick(ms);
        }
      }}
    >
      <label for="at">Time ({zone})</label>
      <input
        id="at"
        type="datetime-local"
        value={value}
        onInput={(e) => setValue((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Show</button>
      {problem ? <ErrorBox message={problem} /> : null}
      <p class="muted note">
        The sample in force at that time: the last one at or before it, unless the system had gone silent
        (process.at).
      </p>
    </form>
  );
}

/** At most this many processes of the sample in force (the API's own limit). */
const AT_TOP = 1000;

function AtResult({ system, zone, at }: { system: SystemInfo; zone: string; at: string }) {
  const loaded = useLoad(`at:${system.system_name}:${at}`, () =>
    client.process.at.query({ system_name: system.system_name, at, top: AT_TOP, sort: "cpu" }),
  );
  return (
    <Show loaded={loaded} what="the processes at that time">
      {(r) => (
        <>
          <p role="status">
            Sample of <time dateTime={r.sample_time}>{showTime(r.sample_time, zone)}</time>: {r.process_count}{" "}
            processes
            {r.process_count > r.processes.length ? ` (the ${r.processes.length} busiest shown)` : ""}.
          </p>
          <ProcessTable
            rows={r.processes}
            label={`Processes on ${system.system_name} at that time`}
            idPrefix="at"
          />
        </>
      )}
    </Show>
  );
}
