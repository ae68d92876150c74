/**
 * Time-of-day filter: the filter API as a form. The URL carries the API's own parameters, so a
 * shared link asks the same question and a bad one is answered with the API's own 400 message.
 */
import { useState } from "preact/hooks";
import { client, type Inputs } from "../api.ts";
import { Chart } from "../chart.tsx";
import { href, navigate } from "../route.ts";
import { dayOf, isoOf, isZone, nextDay, showPercent, showTime, zonedInstant } from "../time.ts";
import { Show, TableBox, useLoad } from "../ui.tsx";

type FilterInput = Inputs["process"]["filter"];
const FIELDS = [
  "start_time",
  "end_time",
  "date",
  "from",
  "to",
  "tz",
  "system_name",
  "process_name",
  "pid",
  "page",
  "page_size",
] as const;
const NUMERIC = new Set(["pid", "page", "page_size"]);
const DEFAULT_PAGE_SIZE = 50;
/** The chart counts at most this many days (the latest ones of a longer range). */
const CHART_DAYS = 62;

/**
 * The URL's parameters as the API's input. Numbers that are not numbers are passed on as they are:
 * the API names the field in its 400, which the page shows.
 */
function inputOf(params: URLSearchParams, zone: string): FilterInput {
  const input: Record<string, string | number> = { tz: zone, page_size: DEFAULT_PAGE_SIZE };
  for (const key of FIELDS) {
    const v = params.get(key);
    if (v === null || v === "") continue;
    input[key] = NUMERIC.has(key) && /^\d+$/.test(v) ? Number(v) : v;
  }
  return input as unknown as FilterInput;
}

/** The calendar days (in the request's zone) its results fall on, at most CHART_DAYS. */
function daysOf(input: FilterInput): { days: string[]; zone: string } {
  const zone = input.tz ?? "UTC";
  if (input.from === undefined && input.to === undefined) {
    return { days: [input.date ?? dayOf(Date.now(), zone)], zone };
  }
  const to = input.to === undefined ? Date.now() : Date.parse(input.to);
  const from = input.from === undefined ? to - 86_400_000 : Date.parse(input.from);
  const days: string[] = [];
  for (let d = dayOf(from, zone), last = dayOf(to - 1, zone); d <= last; d = nextDay(d)) days.push(d);
  return { days: days.slice(-CHART_DAYS), zone };
}

async function perDay(input: FilterInput) {
  const { days, zone } = daysOf(input);
  const ranged = input.from !== undefined || input.to !== undefined;
  const to = input.to === undefined ? Date.now() : Date.parse(input.to);
  const from = input.from === undefined ? to - 86_400_000 : Date.parse(input.from);
  const counts = await Promise.all(
    days.map((day) => {
      if (!ranged) return Promise.resolve<number | undefined>(undefined);
      const start = Math.max(from, zonedInstant(day, zone) ?? from);
      const stop = Math.min(to, zonedInstant(nextDay(day), zone) ?? to);
      return client.process.filter
        .query({ ...input, from: isoOf(start), to: isoOf(stop), page: 1, page_size: 1 })
        .then((r) => r.count);
    }),
  );
  return { days, counts, zone };
}

export function FilterView({ params, zone }: { params: URLSearchParams; zone: string }) {
  const input = inputOf(params, params.get("tz") || zone);
  const key = JSON.stringify(input);
  const result = useLoad(`filter:${key}`, () => client.process.filter.query(input));
  const page = typeof input.page === "number" ? input.page : 1;
  return (
    <section aria-labelledby="filter-h">
      <h1 id="filter-h">Time-of-day filter</h1>
      <FilterForm params={params} zone={isZone(input.tz ?? "") ? (input.tz ?? zone) : zone} />
      <h2>Matches</h2>
      <Show loaded={result} what="matching samples">
        {(r) => {
          const pages = Math.max(1, Math.ceil(r.count / r.page_size));
          const link = (p: number) => {
            const next = Object.fromEntries(params.entries());
            return href("filter", { ...next, page: p });
          };
          return (
            <>
              <p role="status">
                {r.count.toLocaleString("en")} matching sample rows; page {page} of {pages}.
              </p>
              <PerDay input={input} total={r.count} />
              <nav class="pager" aria-label="Pages">
                {r.previous ? (
                  <a href={link(page - 1)}>‹ Previous page</a>
                ) : (
                  <span class="muted">‹ Previous page</span>
                )}
                {r.next ? <a href={link(page + 1)}>Next page ›</a> : <span class="muted">Next page ›</span>}
              </nav>
              <TableBox label="Matching samples">
                <table class="data">
                  <thead>
                    <tr>
                      <th scope="col">Time ({input.tz})</th>
                      <th scope="col">System</th>
                      <th scope="col">Process</th>
                      <th scope="col" class="num">
                        PID
                      </th>
                      <th scope="col" class="num">
                        CPU %
                      </th>
                      <th scope="col" class="num">
                        Memory %
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.data.map((row) => (
                      <tr key={`${row.timestamp}/${row.system_name}/${row.pid}/${row.name}`}>
                        <td>
                          <time dateTime={row.timestamp}>{showTime(row.timestamp, input.tz ?? zone)}</time>
                        </td>
                        <td>
                          <a href={href("system", { name: row.system_name })}>{row.system_name}</a>
                        </td>
                        <td>
                          <a href={href("process", { name: row.name, system: row.system_name })}>
                            {row.name}
                          </a>
                        </td>
                        <td class="num">{row.pid}</td>
                        <td class="num">{showPercent(row.cpu_percent)}</td>
                        <td class="num">{showPercent(row.memory_percent)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableBox>
            </>
          );
        }}
      </Show>
    </section>
  );
}

function PerDay({ input, total }: { input: FilterInput; total: number }) {
  const loaded = useLoad(`perday:${JSON.stringify({ ...input, page: 1 })}`, () => perDay(input));
  return (
    <Show loaded={loaded} what="matches per day">
      {({ days, counts, zone }) => {
        const values = counts.map((c) => c ?? total);
        // Each day's bar at its noon.
        const x = days.map((d) => Math.round((zonedInstant(d, zone) ?? 0) / 1000) + 43_200);
        return (
          <Chart
            title="Matches per day"
            summary={days.map((d, i) => `${d}: ${values[i]}`).join("; ")}
            x={x}
            series={[{ label: "matches", values }]}
            unit="rows"
            zone={zone}
            bars
            height={180}
          />
        );
      }}
    </Show>
  );
}

/** A time input takes HH:MM[:SS] only; anything else stays in the URL, for the API to judge. */
const clock = (v: string) => (/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(v) ? v : "");

function FilterForm({ params, zone }: { params: URLSearchParams; zone: string }) {
  const get = (k: string) => params.get(k) ?? "";
  const fromMs = Date.parse(get("from"));
  const toMs = Date.parse(get("to"));
  const [mode, setMode] = useState(params.has("from") || params.has("to") ? "range" : "day");
  const [f, setF] = useState({
    start_time: clock(get("start_time")),
    end_time: clock(get("end_time")),
    date: get("date") || dayOf(Date.now(), zone),
    fromDay: Number.isNaN(fromMs) ? dayOf(Date.now() - 6 * 86_400_000, zone) : dayOf(fromMs, zone),
    toDay: Number.isNaN(toMs) ? dayOf(Date.now(), zone) : dayOf(toMs - 1, zone),
    tz: zone,
    system_name: get("system_name"),
    process_name: get("process_name"),
    page_size: get("page_size") || String(DEFAULT_PAGE_SIZE),
  });
  const bind = (k: keyof typeof f) => ({
    id: `f-${k}`,
    value: f[k],
    onInput: (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value }),
  });
  const submit = (e: Event) => {
    e.preventDefault();
    const out: Record<string, string> = {
      start_time: f.start_time,
      end_time: f.end_time,
      tz: f.tz,
      system_name: f.system_name,
      process_name: f.process_name,
      page_size: f.page_size,
    };
    if (mode === "day") out.date = f.date;
    else {
      const from = zonedInstant(f.fromDay, f.tz);
      const to = zonedInstant(nextDay(f.toDay), f.tz);
      // Not a date or an unknown zone: hand the text to the API, whose 400 names the field.
      out.from = from === undefined ? f.fromDay : isoOf(from);
      out.to = to === undefined ? f.toDay : isoOf(to);
    }
    navigate(href("filter", out));
  };
  return (
    <form class="filter-form" onSubmit={submit} aria-label="Filter">
      <fieldset>
        <legend>Time of day</legend>
        <label for="f-start_time">From</label>
        <input type="time" step={1} {...bind("start_time")} />
        <label for="f-end_time">until</label>
        <input type="time" step={1} {...bind("end_time")} />
        <span class="muted">empty = whole day; an end before the start crosses midnight</span>
      </fieldset>
      <fieldset>
        <legend>Days</legend>
        <label>
          <input
            type="radio"
            name="mode"
            value="day"
            checked={mode === "day"}
            onChange={() => setMode("day")}
          />{" "}
          One day
        </label>
        <label>
          <input
            type="radio"
            name="mode"
            value="range"
            checked={mode === "range"}
            onChange={() => setMode("range")}
          />{" "}
          Every day of a range
        </label>
        {mode === "day" ? (
          <>
            <label for="f-date">Day</label>
            <input type="date" {...bind("date")} />
          </>
        ) : (
          <>
            <label for="f-fromDay">First day</label>
            <input type="date" {...bind("fromDay")} />
            <label for="f-toDay">Last day</label>
            <input type="date" {...bind("toDay")} />
          </>
        )}
        <label for="f-tz">Zone</label>
        <input type="text" {...bind("tz")} autocomplete="off" />
      </fieldset>
      <fieldset>
        <legend>Which</legend>
        <label for="f-system_name">System</label>
        <input type="text" {...bind("system_name")} placeholder="any" />
        <label for="f-process_name">Process</label>
        <input type="text" {...bind("process_name")} placeholder="any" />
        <label for="f-page_size">Rows per page</label>
        <select {...bind("page_size")}>
          {["50", "100", "500", "1000"].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </fieldset>
      <button type="submit">Filter</button>
    </form>
  );
}
