// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText is what a person sees
/**
 * The built-in console in a real browser (Debian's Chromium via playwright-core) against the real
 * server on the embedded store, holding a real agent's samples (`--once`, three times) plus a few
 * hand-made systems: a backup job that ran three times, a Unicode system name, a silent system.
 * Every view must show the real values, with no console error and no failed request, pass axe-core
 * (no serious or critical violation), work by keyboard, and fit 1280 px and 390 px.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv } from "../../harness/stores.ts";
import { runAgent, uniqueName } from "../agent/support.ts";
import { call, startApp } from "../support/app.ts";
import { axeViolations, fitsWidth, launch, screenshot, watchedPage } from "./browser.ts";

const dirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `procscope-console-${name}-`));
  dirs.push(dir);
  return dir;
};

let browser: Browser;
let server: ServerProcess;
const agentSystem = uniqueName("console-agent");
const BACKUP_HOST = "backup-host ☃ Zürich";
const SILENT = "old-box";
const now = Date.now();
const MIN = 60_000;
/** backup.sh on BACKUP_HOST: three runs of a minute each, 15 minutes apart, a new pid each time. */
const RUNS = [0, 1, 2].map((k) => ({ start: now - (50 - 15 * k) * MIN, pid: 5000 + k }));

async function submit(base: string, body: unknown, token?: string): Promise<void> {
  const res = await call(`${base}/api/process-data/`, {
    json: body,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
}

async function seed(base: string): Promise<void> {
  for (const run of RUNS) {
    for (let i = 0; i < 12; i++) {
      await submit(base, {
        system_name: BACKUP_HOST,
        timestamp: run.start + i * 5000,
        processes: [
          { pid: run.pid, name: "backup.sh", cpu_percent: 40 + i, memory_percent: 2.5, user: "backup" },
          { pid: 700, name: "postgres", cpu_percent: 12.5, memory_percent: 30.25, memory_rss: 2_147_483_648 },
        ],
      });
    }
  }
  await submit(base, {
    system_name: SILENT,
    timestamp: now - 2 * 3600_000,
    processes: [{ pid: 1, name: "init", cpu_percent: 0, memory_percent: 0.1 }],
  });
}

/** What the API says, for comparing with what the page shows. */
async function api(path: string) {
  const res = await call(`${server.url}${path}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function open(page: Page, hash: string): Promise<void> {
  await page.goto(`${server.url}/${hash}`);
}

beforeAll(async () => {
  server = await startServer({
    env: { DATA_DIR: tempDir("data"), INFLUX_URL: undefined, INFLUX_TOKEN: undefined, LOG_LEVEL: "warn" },
  });
  const spool = tempDir("spool");
  for (let i = 0; i < 3; i++) {
    const run = await runAgent("node", [
      "--server",
      server.url,
      "--once",
      "--system-name",
      agentSystem,
      "--spool-dir",
      spool,
      "--log-level",
      "warn",
    ]);
    expect(run.code, run.stderr).toBe(0);
  }
  await seed(server.url);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("serving", () => {
  it("GET / is the console: no-cache page, strict CSP, year-long immutable hashed assets; API paths unchanged", async () => {
    const page = await call(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe");
    const assets = [...String(page.body).matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/assets\/main-[A-Z0-9]{8}\.(js|css)$/);
      const res = await fetch(`${server.url}${asset}`, { headers: { "accept-encoding": "gzip" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-encoding")).toBe("gzip");
      expect(res.headers.get("vary")).toBe("accept-encoding");
      expect((await res.text()).length).toBeGreaterThan(1000); // fetch un-gzips it
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-type")).toMatch(/^text\/(javascript|css)/);
    }
    expect((await call(`${server.url}/assets/main-NOTBUILT.js`)).status).toBe(404);
    expect((await call(`${server.url}/openapi.json`)).body.openapi).toMatch(/^3\./);
    expect((await call(`${server.url}/docs`)).status).toBe(200);
    expect((await api("/api/systems/")).success).toBe(true);
  });

  it("CONSOLE=0 turns it off: / and /assets/ are 404 again, the API is unaffected", async () => {
    const app = await startApp(sqliteEnv(tempDir("off")), { env: { CONSOLE: "0" } });
    try {
      const res = await call(`${app.url}/`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, message: 'Not found: "/"' });
      expect((await call(`${app.url}/assets/x.js`)).status).toBe(404);
      expect((await call(`${app.url}/api/systems/`)).body).toEqual({ success: true, systems: [] });
    } finally {
      await app.close();
    }
  });
});

describe("views", () => {
  it("Systems: every system, its last sample, process count and silence, at 1280 and 390 px", async () => {
    const { systems } = await api("/api/systems/");
    const agent = systems.find((s: { system_name: string }) => s.system_name === agentSystem);
    expect(agent.process_count).toBeGreaterThan(5);
    for (const width of [1280, 390]) {
      const { page, problems } = await watchedPage(browser, width);
      await open(page, "#/");
      const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: agentSystem }) });
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.getByRole("cell").nth(1).innerText()).toBe("reporting");
      expect(await row.getByRole("cell").nth(3).innerText()).toBe(String(agent.process_count));
      const silent = page.getByRole("row").filter({ has: page.getByRole("link", { name: SILENT }) });
      expect(await silent.getByRole("cell").nth(1).innerText()).toMatch(/^silent for (1|2) h/);
      expect(await page.getByRole("link", { name: BACKUP_HOST }).count()).toBe(1);
      expect(await fitsWidth(page)).toEqual({ scrollWidth: width, innerWidth: width });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `systems-${width}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });

  it("A system: the latest sample sortable and searchable by keyboard, top-process charts, what ran at T", async () => {
    const last = (await api("/api/systems/")).systems.find(
      (s: { system_name: string }) => s.system_name === agentSystem,
    ).last_seen as string;
    const q = new URLSearchParams({
      system_name: agentSystem,
      from: last,
      to: new Date(Date.parse(last) + 1).toISOString(),
      page_size: "10000",
    });
    const latest = (await api(`/api/filter-processes/?${q}`)).data as {
      name: string;
      pid: number;
      cpu_percent: number;
    }[];
    expect(latest.length).toBeGreaterThan(5);
    const byCpu = [...latest].sort((a, b) => b.cpu_percent - a.cpu_percent || a.pid - b.pid);
    const byName = [...latest].sort((a, b) =>
      a.name.toLowerCase() < b.name.toLowerCase()
        ? -1
        : a.name.toLowerCase() > b.name.toLowerCase()
          ? 1
          : a.pid - b.pid,
    );

    for (const width of [1280, 390]) {
      const { page, problems } = await watchedPage(browser, width);
      // Keyboard only from the Systems view: Tab to the system's link, Enter.
      await open(page, "#/");
      await page.getByRole("link", { name: agentSystem }).waitFor();
      await tabTo(page, { tag: "A", text: agentSystem });
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { level: 1, name: agentSystem }).waitFor();
      expect(decodeURIComponent(new URL(page.url()).hash)).toBe(`#/system?name=${agentSystem}`);

      const table = page.getByRole("region", { name: `Processes on ${agentSystem}` });
      const firstRow = () => table.getByRole("row").nth(1);
      await expect
        .poll(() => page.getByText(`${latest.length} of ${latest.length} processes`).count())
        .toBe(1);
      expect(await firstRow().getByRole("cell").nth(1).innerText()).toBe(String(byCpu[0]?.pid));
      // Sort by name with the keyboard: focus the header's button, Enter.
      await tabTo(page, { tag: "BUTTON", text: "Name", prefix: true });
      await page.keyboard.press("Enter");
      await expect
        .poll(() => table.getByRole("columnheader", { name: /^Name/ }).getAttribute("aria-sort"))
        .toBe("ascending");
      expect(await firstRow().getByRole("cell").nth(1).innerText()).toBe(String(byName[0]?.pid));
      // Search by pid.
      const target = byCpu[0] as { name: string; pid: number };
      await page.getByLabel("Search").first().fill(String(target.pid));
      await expect.poll(() => table.getByRole("row").count()).toBeLessThan(latest.length + 1);
      expect(await firstRow().getByRole("cell").nth(1).innerText()).toBe(String(target.pid));

      // The charts: drawn, and their text summary names the processes they plot.
      const cpuChart = page.getByRole("img", { name: /^CPU % by process\./ });
      await cpuChart.waitFor();
      expect(await page.locator("figure.chart canvas").count()).toBe(2);
      const summary = (await cpuChart.getAttribute("aria-label")) ?? "";
      expect(summary).toContain(`${byCpu[0]?.name}: peak`);

      expect(await fitsWidth(page)).toEqual({ scrollWidth: width, innerWidth: width });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `system-${width}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }

    // What was running at T: the backup host, in the middle of backup.sh's second run.
    const { page, problems } = await watchedPage(browser);
    const at = new Date((RUNS[1]?.start ?? 0) + 27_000).toISOString();
    await open(page, `#/system?name=${encodeURIComponent(BACKUP_HOST)}&range=1h&at=${at}`);
    const status = page.getByRole("status").filter({ hasText: "Sample of" });
    await status.waitFor();
    expect(await status.innerText()).toBe(
      `Sample of ${new Date((RUNS[1]?.start ?? 0) + 25_000).toISOString().slice(0, 19).replace("T", " ")}: 2 processes.`,
    );
    const atTable = page.getByRole("region", { name: `Processes on ${BACKUP_HOST} at that time` });
    expect(await atTable.getByRole("row").nth(1).innerText()).toMatch(/^backup\.sh\t5001\t45\t2\.5\t/);
    expect(await atTable.getByRole("row").nth(2).innerText()).toMatch(/^postgres\t700\t13\t30\t2\.0 GiB/);
    await page
      .getByRole("img", { name: /^Memory % by process\. postgres: peak 30\.3 %; backup\.sh: peak 2\.5 %$/ })
      .waitFor();
    await screenshot(page, "system-at-1280");
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("Time-of-day filter: the form drives the URL, results paged, matches per day", async () => {
    const { page, problems } = await watchedPage(browser);
    await open(page, "#/filter");
    await page.getByRole("heading", { name: "Time-of-day filter" }).waitFor();
    // Fill the form: backup.sh on the backup host, every day of the last two days.
    await page.getByLabel("Every day of a range").check();
    const today = new Date(now).toISOString().slice(0, 10);
    const yesterday = new Date(now - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel("First day").fill(yesterday);
    await page.getByLabel("Last day").fill(today);
    await page.getByLabel("Zone").fill("UTC");
    await page.getByLabel("System").fill(BACKUP_HOST);
    await page.getByLabel("Process").fill("backup.sh");
    await page.getByLabel("Rows per page").selectOption("50");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("status").filter({ hasText: "matching sample rows" }).waitFor();
    const params = new URLSearchParams(new URL(page.url()).hash.split("?")[1]);
    expect(Object.fromEntries(params)).toMatchObject({
      tz: "UTC",
      system_name: BACKUP_HOST,
      process_name: "backup.sh",
      from: `${yesterday}T00:00:00.000Z`,
      to: `${new Date(now + 86_400_000).toISOString().slice(0, 10)}T00:00:00.000Z`,
    });
    expect(await page.getByRole("status").filter({ hasText: "matching" }).innerText()).toBe(
      "36 matching sample rows; page 1 of 1.",
    );
    const rows = page.getByRole("region", { name: "Matching samples" }).getByRole("row");
    expect(await rows.count()).toBe(37);
    expect(await rows.nth(1).innerText()).toBe(
      `${new Date(RUNS[0]?.start ?? 0).toISOString().slice(0, 19).replace("T", " ")}\t${BACKUP_HOST}\tbackup.sh\t5000\t40\t2.5`,
    );
    const perDay = page.getByRole("img", { name: /^Matches per day\./ });
    const perDayCount = (day: string) =>
      RUNS.flatMap((r) => Array.from({ length: 12 }, (_, i) => r.start + i * 5000)).filter(
        (t) => new Date(t).toISOString().slice(0, 10) === day,
      ).length;
    expect(await perDay.getAttribute("aria-label")).toBe(
      `Matches per day. ${yesterday}: ${perDayCount(yesterday)}; ${today}: ${perDayCount(today)}`,
    );
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "filter-1280");

    // Paging: a deep link with 10 rows a page, then the next page.
    await open(page, `#/filter?${params.toString().replace("page_size=50", "page_size=10")}`);
    await page.getByText("36 matching sample rows; page 1 of 4.").waitFor();
    await page.getByRole("link", { name: "Next page ›" }).click();
    await page.getByText("36 matching sample rows; page 2 of 4.").waitFor();
    expect(await rows.count()).toBe(11);
    expect(problems).toEqual([]);
    await page.context().close();

    const narrow = await watchedPage(browser, 390);
    await open(narrow.page, `#/filter?${params}`);
    await narrow.page.getByText("36 matching sample rows; page 1 of 1.").waitFor();
    expect(await fitsWidth(narrow.page)).toEqual({ scrollWidth: 390, innerWidth: 390 });
    expect(await axeViolations(narrow.page)).toEqual([]);
    await screenshot(narrow.page, "filter-390");
    expect(narrow.problems).toEqual([]);
    await narrow.page.context().close();
  });

  it("A process: runs as a timeline per system, time running, restarts and instances (process.runs)", async () => {
    const history = await api("/api/process-runs/?process_name=backup.sh");
    expect(history.count).toBe(1);
    expect(history.systems[0].runs).toHaveLength(3);
    expect(history.systems[0].restarts).toBe(2);
    for (const width of [1280, 390]) {
      const { page, problems } = await watchedPage(browser, width);
      await open(page, "#/process?name=backup.sh");
      const card = page.getByRole("article", { name: `on ${BACKUP_HOST}` });
      await card.waitFor();
      const fact = async (term: string) =>
        (await card.getByText(term, { exact: true }).locator("xpath=..").innerText()).split("\n")[1];
      expect(await fact("Runs")).toBe("3");
      expect(await fact("Restarts")).toBe("2");
      expect(await fact("Instances (PIDs)")).toBe("3");
      expect(await fact("Observed running")).toBe("2 min 45 s"); // 3 runs of 55 s
      expect(await fact("First / last seen")).toBe(
        `${showUtc(RUNS[0]?.start ?? 0)} / ${showUtc((RUNS[2]?.start ?? 0) + 55_000)}`,
      );
      expect(await card.locator("svg.timeline rect.run").count()).toBe(3);
      // The range: the last 24 h (the page asks a moment after the test did).
      const label = (await card.getByRole("img").getAttribute("aria-label")) ?? "";
      const [, a, b] = /^3 runs between (.+) and (.+)$/.exec(label) ?? [];
      expect(Date.parse(`${b}Z`) - Date.parse(`${a}Z`)).toBe(86_400_000);
      expect(Math.abs(Date.parse(`${b}Z`) - Date.parse(history.to))).toBeLessThan(60_000);
      const runRows = card.getByRole("region", { name: `Runs on ${BACKUP_HOST}` }).getByRole("row");
      expect(await runRows.nth(1).innerText()).toBe(
        `${showUtc(RUNS[2]?.start ?? 0)}\t${showUtc((RUNS[2]?.start ?? 0) + 55_000)}\t55 s\t5002`,
      );
      expect(await page.getByText(/^1 system ran it between /).count()).toBe(1);
      expect(await page.getByRole("article").count()).toBe(1);
      expect(await fitsWidth(page)).toEqual({ scrollWidth: width, innerWidth: width });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `process-${width}`);
      expect(problems).toEqual([]);
      await page.context().close();
    }
  });
});

describe("bad input", () => {
  it("deep links with bad parameters show the API's own message in the page", async () => {
    const { page } = await watchedPage(browser);
    const apiSays = async (query: string) =>
      (await call(`${server.url}/api/filter-processes/?${query}`)).body.message as string;
    for (const [query, field] of [
      ["start_time=25:00", "start_time"],
      ["tz=Mars/Olympus_Mons", "tz"],
      ["date=2026-02-30", "date"],
      ["page=0", "page"],
    ] as const) {
      const full = query.startsWith("tz=") ? query : `${query}&tz=UTC`;
      await open(page, `#/filter?${full}`);
      const alert = page.getByRole("alert");
      await alert.waitFor();
      const message = await apiSays(full);
      expect(message).toContain(field);
      expect(await alert.innerText()).toBe(`400: ${message}`);
    }
    await open(page, "#/process?name=backup.sh&system=nowhere");
    await expect
      .poll(() => page.getByRole("alert").innerText())
      .toMatch(/^404: Process "backup\.sh" was not seen on system "nowhere" between /);
    await open(page, `#/system?name=${encodeURIComponent(BACKUP_HOST)}&at=tomorrow`);
    await expect.poll(() => page.getByRole("alert").innerText()).toMatch(/^400: at: /);
    await open(page, "#/process?name=backup.sh&from=yesterday");
    await expect.poll(() => page.getByRole("alert").innerText()).toMatch(/^400: from: /);
    await open(page, "#/system?name=nowhere");
    await expect
      .poll(() => page.getByRole("alert").innerText())
      .toBe('404: No system named "nowhere" has reported within the retention period.');
    await open(page, `#/system?name=${agentSystem}&range=banana`);
    await expect
      .poll(() => page.getByRole("alert").first().innerText())
      .toBe('400: range: must be one of 5m, 15m, 1h, 6h, 24h, 7d (got "banana")');
    await open(page, "#/nowhere");
    await expect
      .poll(() => page.getByRole("alert").innerText())
      .toBe("404: No view at /nowhere. Start from Systems.");
    await page.context().close();
  });

  it("with tokens: asks once, keeps it for the session only; a wrong or write-only token asks again", async () => {
    const read = "reader-token-0123456789abcdef";
    const write = "writer-token-0123456789abcdef";
    const guarded = await startServer({
      env: {
        DATA_DIR: tempDir("tokens"),
        INFLUX_URL: undefined,
        INFLUX_TOKEN: undefined,
        LOG_LEVEL: "warn",
        API_TOKENS: `reader:read:${read},writer:write:${write}`,
      },
    });
    try {
      await submit(
        guarded.url,
        { system_name: "guarded-1", processes: [{ pid: 9, name: "x", cpu_percent: 1, memory_percent: 1 }] },
        write,
      );
      const { page } = await watchedPage(browser);
      await page.goto(`${guarded.url}/#/`);
      const dialog = page.getByRole("dialog", { name: "This server needs a read token" });
      await dialog.waitFor();
      expect(await dialog.getByRole("alert").innerText()).toBe(
        "A valid API token is required (Authorization: Bearer <token>).",
      );
      // The token field has focus: type, Enter.
      await page.keyboard.type("wrong-token-0123456789");
      await page.keyboard.press("Enter");
      await expect
        .poll(() => dialog.getByRole("alert").innerText())
        .toBe("A valid API token is required (Authorization: Bearer <token>).");
      await dialog.getByLabel("API token").fill(write);
      await dialog.getByRole("button", { name: "Use token" }).click();
      await expect
        .poll(() => dialog.getByRole("alert").innerText())
        .toBe('This token does not have the "read" scope.');
      await dialog.getByLabel("API token").fill(read);
      await dialog.getByRole("button", { name: "Use token" }).click();
      await page.getByRole("link", { name: "guarded-1" }).waitFor();
      expect(await dialog.count()).toBe(0);
      expect(await page.evaluate(`sessionStorage.getItem("procscope.token")`)).toBe(read);
      expect(page.url()).not.toContain(read);
      // Asked once: other views use the kept token.
      await page.goto(`${guarded.url}/#/system?name=guarded-1`);
      await page.getByText("1 of 1 processes").waitFor();
      expect(await dialog.count()).toBe(0);
      // A token that stops working (revoked, expired) asks again.
      await page.evaluate(`sessionStorage.setItem("procscope.token", "revoked-token-0123456789")`);
      await page.goto(`${guarded.url}/#/filter`);
      await dialog.waitFor();
      await page.context().close();
    } finally {
      await guarded.stop();
    }
  });

  it("a server that goes away: the page says reconnecting, and recovers when it is back", async () => {
    const { page } = await watchedPage(browser);
    await open(page, "#/");
    await page.getByRole("link", { name: agentSystem }).waitFor();
    await server.stop();
    await page.getByRole("link", { name: BACKUP_HOST }).click();
    const banner = page.getByRole("status").filter({ hasText: "reconnecting" });
    await banner.waitFor();
    expect(await banner.innerText()).toBe("Server unreachable: reconnecting…");
    await screenshot(page, "reconnecting-1280");
    await server.restart();
    await page.getByRole("region", { name: `Processes on ${BACKUP_HOST}` }).waitFor({ timeout: 20_000 });
    expect(await banner.count()).toBe(0);
    expect(await page.getByText("2 of 2 processes").count()).toBe(1);
    await page.context().close();
  });
});

const showUtc = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ");

/** Presses Tab until the focused element is a `tag` whose text is (or starts with) `text`. */
async function tabTo(page: Page, want: { tag: string; text: string; prefix?: boolean }): Promise<void> {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const focused = (await page.evaluate(
      `({ tag: document.activeElement?.tagName ?? "", text: document.activeElement?.textContent ?? "" })`,
    )) as { tag: string; text: string };
    if (
      focused.tag === want.tag &&
      (want.prefix ? focused.text.startsWith(want.text) : focused.text === want.text)
    )
      return;
  }
  throw new Error(`Tab never reached the ${want.tag} "${want.text}"`);
}
