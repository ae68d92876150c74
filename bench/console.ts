/**
 * `npx tsx bench/console.ts [--runs N] [--instants N]`: the console's first render, measured in
 * the browser (Debian's Chromium via playwright-core) with the Performance API, against the real
 * server on the embedded SQLite store holding the benchmark week. Prints a table and writes
 * bench/results/console-<time>.json.
 *
 * - Data: the week of bench/stores.ts: 20 systems × 300 processes (120 names, so several pids
 *   share one; agent-like rss, start time, user, command, state, parent) at evenly spaced instants
 *   over the last 7 days, `--instants` of them (default 168, one an hour: 1 008 000 rows), written
 *   through SqliteStore.write, one system's sample a batch.
 * - Each view is opened `--runs` times (default 5), each in a fresh browser context (empty cache,
 *   nothing kept), and timed from navigation start (performance.now() in the page) to the moment
 *   its first meaningful content is in the DOM (a MutationObserver installed before the page's
 *   own scripts), plus first contentful paint and the bytes the page transferred.
 * - The first request after the server starts builds the console (from console/dist when it was
 *   built from the current sources, else in memory): timed separately, from the server's log.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { buildConsole, sizes } from "../console/build.ts";
import { startServer } from "../harness/server.ts";
import { sqliteEnv } from "../harness/stores.ts";
import { createLogger } from "../server/log.ts";
import { SqliteStore } from "../server/store/sqlite/store.ts";
import { PROCESSES, processesOf, SYSTEMS, systemName } from "./week.ts";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    instants: { type: "string", default: "168" },
  },
});
const RUNS = Number(args.runs);
const INSTANTS = Number(args.instants);
const DAYS = 7;
const DAY = 86_400_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const now = Math.floor(Date.now() / 60_000) * 60_000;
const start = now - DAYS * DAY;
const step = Math.floor((DAYS * DAY) / INSTANTS);

async function fill(dataDir: string): Promise<{ rows: number; ms: number }> {
  const store = new SqliteStore({ dataDir, retentionDays: 30, log: createLogger("warn") });
  await store.init();
  const t0 = performance.now();
  let rows = 0;
  for (let n = 0; n < INSTANTS; n++) {
    const t = start + n * step;
    for (let s = 0; s < SYSTEMS; s++) {
      const ts = t + s * 173; // each agent samples on its own clock
      rows += await store.write({
        system_name: systemName(s),
        timestamp: ts,
        processes: processesOf(s, ts, start),
      });
    }
  }
  const ms = performance.now() - t0;
  await store.close();
  return { rows, ms };
}

interface View {
  label: string;
  hash: string;
  /** The first meaningful content: the view's data on screen. */
  ready: string;
}

const fromIso = new Date(now - DAYS * DAY).toISOString();
const toIso = new Date(now + 60_000).toISOString();
const VIEWS: View[] = [
  { label: "Systems", hash: "#/", ready: "table.data tbody tr" },
  {
    label: "System: latest sample (300 rows)",
    hash: "#/system?name=system-07",
    ready: ".table-box.tall tbody tr",
  },
  {
    label: "System: top-process charts, 1 h",
    hash: "#/system?name=system-07",
    ready: ".charts figure:nth-child(2) canvas",
  },
  {
    label: "System: top-process charts, 7 d",
    hash: "#/system?name=system-07&range=7d",
    ready: ".charts figure:nth-child(2) canvas",
  },
  {
    label: "Filter: 10:00–11:00 on 7 days, nginx, page 1",
    hash: `#/filter?start_time=10:00&end_time=11:00&from=${fromIso}&to=${toIso}&tz=UTC&process_name=nginx`,
    ready: "main p[role=status]",
  },
  {
    label: "Filter: matches per day chart",
    hash: `#/filter?start_time=10:00&end_time=11:00&from=${fromIso}&to=${toIso}&tz=UTC&process_name=nginx`,
    ready: "figure.chart canvas",
  },
  {
    label: "Process: nginx on 20 systems, last 24 h",
    hash: "#/process?name=nginx",
    ready: "article.card:nth-of-type(20)",
  },
  {
    label: "Process: nginx on 20 systems, 7 days",
    hash: `#/process?name=nginx&from=${fromIso}`,
    ready: "article.card:nth-of-type(20)",
  },
  {
    label: "System: what was running at T (process.at)",
    // a second after one of its samples (hourly here: an hour later the system counts as silent)
    hash: `#/system?name=system-07&at=${new Date(start + 96 * step + 7 * 173 + 1000).toISOString()}`,
    ready: "section[aria-label$='at that time'] tbody tr",
  },
];

/** Runs before the page's own scripts: notes performance.now() when `selector` first matches. */
const observer = (selector: string) => `
  new MutationObserver((_, obs) => {
    if (!window.__ready && document.querySelector(${JSON.stringify(selector)})) {
      window.__ready = performance.now();
      obs.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), "procscope-bench-console-"));
  const results: Record<string, unknown>[] = [];
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    process.stdout.write(
      `filling the week: ${SYSTEMS} systems × ${PROCESSES} processes × ${INSTANTS} instants…\n`,
    );
    const filled = await fill(dataDir);
    process.stdout.write(
      `  ${filled.rows.toLocaleString("en")} rows in ${(filled.ms / 1000).toFixed(1)} s\n`,
    );
    server = await startServer({ env: { ...sqliteEnv(dataDir), LOG_LEVEL: "info" } });
    const t0 = performance.now();
    const first = await fetch(`${server.url}/`);
    await first.text();
    const firstMs = performance.now() - t0;
    // The server logs "console ready" just after answering: give the line a moment to arrive.
    const readyLine = () =>
      server
        ?.output()
        .split("\n")
        .find((l) => l.includes('"console ready"'));
    for (let i = 0; i < 40 && !readyLine(); i++) await new Promise((r) => setTimeout(r, 50));
    const built = readyLine() ?? "";
    const buildMs = Number(/"ms":(\d+)/.exec(built)?.[1]);
    const buildFrom = /"from":"([^"]+)"/.exec(built)?.[1] ?? "?";

    for (const view of VIEWS) {
      const times: number[] = [];
      const fcps: number[] = [];
      let bytes = 0;
      let requests = 0;
      for (let r = 0; r < RUNS; r++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addInitScript(observer(view.ready));
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
        await page.goto(`${server.url}/${view.hash}`);
        // A function, not a string: the page's CSP (rightly) forbids evaluating strings.
        await page.waitForFunction(
          () => (globalThis as { __ready?: number }).__ready !== undefined,
          undefined,
          {
            timeout: 60_000,
          },
        );
        const m = (await page.evaluate(`({
          ready: window.__ready,
          fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
          requests: performance.getEntriesByType("resource").length + 1,
          bytes: performance.getEntriesByType("navigation")[0].transferSize +
            performance.getEntriesByType("resource").reduce((a, e) => a + e.transferSize, 0),
        })`)) as { ready: number; fcp: number; requests: number; bytes: number };
        if (errors.length) throw new Error(`${view.label}: ${errors.join("; ")}`);
        times.push(m.ready);
        fcps.push(m.fcp);
        bytes = m.bytes;
        requests = m.requests;
        await context.close();
      }
      const row = {
        view: view.label,
        median_ms: Math.round(median(times)),
        max_ms: Math.round(Math.max(...times)),
        fcp_ms: Math.round(median(fcps)),
        requests,
        kb: Math.round(bytes / 1024),
      };
      results.push(row);
      process.stdout.write(`  ${view.label}: ${row.median_ms} ms\n`);
    }

    const bundle = sizes(await buildConsole());
    const gz = bundle.reduce((a, b) => a + b.gzip, 0);
    const raw = bundle.reduce((a, b) => a + b.raw, 0);
    const lines = [
      "",
      `Console first render, embedded SQLite store with the benchmark week (${filled.rows.toLocaleString("en")} rows: ${SYSTEMS} systems × ${PROCESSES} processes × ${INSTANTS} instants over ${DAYS} days)`,
      `Chromium ${browser.version()}, 1280×900, fresh context per run, ${RUNS} runs per view; times from navigation start (performance.now() in the page)`,
      `Console: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzip'd (${bundle.map((b) => `${b.name} ${(b.gzip / 1024).toFixed(1)} KB`).join(", ")})`,
      `First GET / after start: ${Math.round(firstMs)} ms (console ready in ${buildMs} ms, built from ${buildFrom})`,
      "",
      "| view | first meaningful render, median | max | first contentful paint | requests | transferred |",
      "|---|---:|---:|---:|---:|---:|",
      ...results.map(
        (r) =>
          `| ${r.view} | ${r.median_ms} ms | ${r.max_ms} ms | ${r.fcp_ms} ms | ${r.requests} | ${r.kb} KB |`,
      ),
      "",
    ];
    process.stdout.write(lines.join("\n"));
    const out = resolve(import.meta.dirname, "results");
    mkdirSync(out, { recursive: true });
    const file = join(out, `console-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    writeFileSync(
      file,
      `${JSON.stringify({ rows: filled.rows, bundle, gzip: gz, firstMs, buildMs, buildFrom, results }, null, 2)}\n`,
    );
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    await browser.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
