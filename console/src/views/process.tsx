/**
 * A process: on every system that ran it, its runs as a timeline, how long it ran, restarts and
 * instances. From `process.duration` (the history endpoints will answer this when they exist).
 */
import { TRPCClientError } from "@trpc/client";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, client, type Duration } from "../api.ts";
import { href } from "../route.ts";
import { showSpan, showTime } from "../time.ts";
import { ErrorBox, Loading, TableBox } from "../ui.tsx";

const SHOWN_RUNS = 20;

/** Each system's facts as they arrive (null: never seen there), so the first cards show early. */
interface Runs {
  systems?: string[];
  found: Map<string, Duration | null>;
  error?: { message: string; status?: number };
}

function useRuns(name: string | null, system: string | null, from: string | null, to: string | null): Runs {
  const [runs, setRuns] = useState<Runs>({ found: new Map() });
  useEffect(() => {
    let current = true;
    setRuns({ found: new Map() });
    if (!name) return;
    const fail = (err: unknown) => {
      if (!current) return;
      const error =
        err instanceof ApiError
          ? { message: err.message, status: err.status }
          : { message: err instanceof Error ? err.message : String(err) };
      setRuns((r) => ({ ...r, error }));
    };
    const range = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
    const systems = system
      ? Promise.resolve([system])
      : api(() => client.systems.list.query({})).then((r) => r.systems.map((s) => s.system_name));
    systems.then((list) => {
      if (!current) return;
      setRuns((r) => ({ ...r, systems: list }));
      for (const s of list) {
        api(() =>
          client.process.duration
            .query({ system_name: s, process_name: name, ...range })
            .catch((err: unknown) => {
              // Not seen on this system: said in the page; anything else is the API's error.
              const status =
                err instanceof TRPCClientError
                  ? (err.data as { httpStatus?: number })?.httpStatus
                  : undefined;
              if (status === 404 && !system) return null;
              throw err;
            }),
        ).then((facts) => {
          if (current) setRuns((r) => ({ ...r, found: new Map(r.found).set(s, facts) }));
        }, fail);
      }
    }, fail);
    return () => {
      current = false;
    };
  }, [name, system, from, to]);
  return runs;
}

export function ProcessView({ params, zone }: { params: URLSearchParams; zone: string }) {
  const name = params.get("name");
  const system = params.get("system");
  const from = params.get("from");
  const to = params.get("to");
  const runs = useRuns(name, system, from, to);
  if (!name) return <ErrorBox message="name: which process? The link needs #/process?name=<process name>." />;
  const systems = runs.systems ?? [];
  const seen = systems.flatMap((s) => {
    const facts = runs.found.get(s);
    return facts ? [facts] : [];
  });
  const pending = systems.filter((s) => !runs.found.has(s)).length;
  const unseen = systems.filter((s) => runs.found.get(s) === null);
  const start = Math.min(...seen.map((f) => Date.parse(from ?? f.first_seen)));
  const end = Math.max(...seen.map((f) => Date.parse(to ?? f.last_seen)));
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
      <p class="muted">
        Runs end where samples stop for longer than the server's run gap (RUN_GAP_SECONDS).{" "}
        {system ? <a href={href("process", { name })}>On every system</a> : null}
      </p>
      {runs.error ? <ErrorBox message={runs.error.message} status={runs.error.status} /> : null}
      {!runs.error && runs.systems === undefined ? <Loading what="its runs" /> : null}
      {seen.map((f) => (
        <SystemRuns key={f.system_name} facts={f} start={start} end={end} zone={zone} />
      ))}
      {!runs.error && pending > 0 ? <Loading what={`its runs on ${pending} more systems`} /> : null}
      {!runs.error && runs.systems !== undefined && pending === 0 && seen.length === 0 ? (
        <ErrorBox status={404} message={`No system has a sample of a process named "${name}".`} />
      ) : null}
      {pending === 0 && seen.length > 0 && unseen.length > 0 ? (
        <p class="muted">Not seen on: {unseen.join(", ")}.</p>
      ) : null}
    </section>
  );
}

function SystemRuns({
  facts,
  start,
  end,
  zone,
}: {
  facts: Duration;
  start: number;
  end: number;
  zone: string;
}) {
  const span = Math.max(1, end - start);
  const pids = new Set(facts.runs.flatMap((r) => r.pids));
  const headingId = `runs-${facts.system_name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    <article class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>
        on <a href={href("system", { name: facts.system_name })}>{facts.system_name}</a>
      </h2>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            {facts.running ? (
              <span class="ok">
                running{facts.uptime_seconds === null ? "" : ` for ${showSpan(facts.uptime_seconds)}`}
              </span>
            ) : (
              <span class="warn">not running</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Observed running</dt>
          <dd>{facts.duration_human_readable}</dd>
        </div>
        <div>
          <dt>Runs</dt>
          <dd>{facts.runs.length}</dd>
        </div>
        <div>
          <dt>Restarts (runs after the first)</dt>
          <dd>{Math.max(0, facts.runs.length - 1)}</dd>
        </div>
        <div>
          <dt>Instances (PIDs seen)</dt>
          <dd>{pids.size}</dd>
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
                  <td>{r.pids.join(", ")}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </TableBox>
    </article>
  );
}
