/**
 * A process: on every system that ran it in a range (default the last 24 h), its runs as a
 * timeline, how long it ran, restarts, instances and crash loops — from the history endpoint
 * `process.runs`, one call for all systems.
 */
import { client, type ProcessRuns } from "../api.ts";
import { href } from "../route.ts";
import { isoOf, showSpan, showTime } from "../time.ts";
import { ErrorBox, Show, TableBox, useLoad } from "../ui.tsx";

const SHOWN_RUNS = 20;
const SYSTEMS_PAGE = 100;
const DAY = 86_400_000;

type SystemRunsOut = ProcessRuns["systems"][number];

export function ProcessView({ params, zone }: { params: URLSearchParams; zone: string }) {
  const name = params.get("name");
  const system = params.get("system");
  const from = params.get("from");
  const to = params.get("to");
  const loaded = useLoad(
    `process:${name}:${system}:${from}:${to}`,
    () =>
      name
        ? client.process.runs.query({
            process_name: name,
            ...(system ? { system_name: system } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            page_size: SYSTEMS_PAGE,
          })
        : new Promise<ProcessRuns>(() => undefined), // no name: only the message below
  );
  if (!name) return <ErrorBox message="name: which process? The link needs #/process?name=<process name>." />;
  const now = Date.now();
  const span = (days: number) =>
    href("process", { name, system: system ?? undefined, from: isoOf(now - days * DAY) });
  return (
    <section aria-labelledby="process-h">
      <p class="crumbs">
        <a href={href("systems")}>Systems</a> ›{" "}
        {system ? (
          <>
            <a href={href("system", { name: system })}>{system}</a> ›
          </>
        ) : null}
      </p>
      <h1 id="process-h">{name}</h1>
      <nav class="toolbar" aria-label="Range">
        <span>Range:</span>
        <a href={href("process", { name, system: system ?? undefined })}>last 24 h</a>
        <a href={span(7)}>last 7 days</a>
        <a href={span(30)}>last 30 days</a>
        {system ? (
          <a href={href("process", { name, from: from ?? undefined, to: to ?? undefined })}>every system</a>
        ) : null}
      </nav>
      <Show loaded={loaded} what="its runs">
        {(r) => {
          const start = Date.parse(r.from);
          const end = Date.parse(r.to);
          return (
            <>
              <p class="muted">
                {r.count} system{r.count === 1 ? "" : "s"} ran it between {showTime(r.from, zone)} and{" "}
                {showTime(r.to, zone)} ({zone})
                {r.count > r.systems.length ? `; the first ${r.systems.length} shown` : ""}. A run ends where
                samples stop for longer than the server's run gap.
              </p>
              {r.systems.map((s) => (
                <SystemRuns key={s.system_name} facts={s} start={start} end={end} zone={zone} />
              ))}
            </>
          );
        }}
      </Show>
    </section>
  );
}

function SystemRuns({
  facts,
  start,
  end,
  zone,
}: {
  facts: SystemRunsOut;
  start: number;
  end: number;
  zone: string;
}) {
  const span = Math.max(1, end - start);
  const observed = facts.runs.reduce((sum, r) => sum + r.seconds, 0);
  const lastSeenAgo = (Date.now() - Date.parse(facts.last_seen)) / 1000;
  const headingId = `runs-${facts.system_name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    <article class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        on <a href={href("system", { name: facts.system_name })}>{facts.system_name}</a>
      </h2>
      <dl class="facts">
        <div>
          <dt>Last seen</dt>
          <dd>{showSpan(lastSeenAgo)} ago</dd>
        </div>
        <div>
          <dt>Observed running</dt>
          <dd>{showSpan(observed)}</dd>
        </div>
        <div>
          <dt>Runs</dt>
          <dd>{facts.runs.length}</dd>
        </div>
        <div>
          <dt>Restarts</dt>
          <dd>
            {facts.restarts}
            {facts.crash_loop ? <span class="warn"> (crash loop)</span> : null}
          </dd>
        </div>
        <div>
          <dt>Instances (PIDs)</dt>
          <dd>{facts.instances.length}</dd>
        </div>
        <div>
          <dt>First / last seen</dt>
          <dd>
            {showTime(facts.first_seen, zone)} / {showTime(facts.last_seen, zone)}
          </dd>
        </div>
      </dl>
      <svg
        class="timeline"
        viewBox="0 0 1000 20"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${facts.runs.length} runs between ${showTime(start, zone)} and ${showTime(end, zone)}`}
      >
        <rect class="track" x="0" y="0" width="1000" height="20" />
        {facts.runs.map((r) => {
          const x = ((Date.parse(r.start) - start) / span) * 1000;
          const w = Math.max(1.5, ((Date.parse(r.end) - Date.parse(r.start)) / span) * 1000);
          return <rect key={r.start} class="run" x={x.toFixed(2)} y="2" width={w.toFixed(2)} height="16" />;
        })}
      </svg>
      <p class="axis muted">
        <span>{showTime(start, zone)}</span>
        <span>{showTime(end, zone)}</span>
      </p>
      <TableBox label={`Runs on ${facts.system_name}`}>
        <table class="data">
          <caption class="muted">
            {facts.runs.length > SHOWN_RUNS
              ? `The latest ${SHOWN_RUNS} of ${facts.runs.length} runs`
              : "Runs"}{" "}
            ({zone})
          </caption>
          <thead>
            <tr>
              <th scope="col">Start</th>
              <th scope="col">End</th>
              <th scope="col" class="num">
                Length
              </th>
              <th scope="col">PIDs</th>
            </tr>
          </thead>
          <tbody>
            {facts.runs
              .slice(-SHOWN_RUNS)
              .reverse()
              .map((r) => (
                <tr key={r.start}>
                  <td>{showTime(r.start, zone)}</td>
                  <td>{showTime(r.end, zone)}</td>
                  <td class="num">{showSpan(r.seconds)}</td>
                  <td>{r.instances.map((i) => i.pid).join(", ")}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </TableBox>
    </article>
  );
}
