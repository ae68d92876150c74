/**
 * `npm run mutate [-- module ...]`: mutation testing of the core, one module at a time, each with
 * the fast suite that judges it (vitest.mutate.config.ts, MUTATE_SUITE), then the score table of
 * docs/testing.md from the reports. Stryker runs with concurrency 1 (stryker.config.json); a module
 * takes minutes, all of them about an hour on a 2-core machine (docs/testing.md has the times).
 *
 *   npm run mutate                    every module
 *   npm run mutate -- sqlite runs     some (names below)
 *   npm run mutate -- --table         only print the table of the reports already there
 *
 * Reports: reports/mutation/<module>.json (and the HTML of the last run, reports/mutation/mutation.html).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

interface Module {
  /** What Stryker mutates (--mutate, comma-separated globs). */
  mutate: string;
  /** The suite (MUTATE_SUITE); undefined = the default one. */
  suite?: string;
}

const MODULES: Record<string, Module> = {
  sqlite: { mutate: "server/store/sqlite/*.ts", suite: "sqlite" },
  influx: {
    mutate: [
      "store",
      "queries",
      "line-protocol",
      "tags",
      "layout",
      "access",
      "history-queries",
      "watch-queries",
      "csv",
      "migrate",
      "history",
    ]
      .map((f) => `server/store/influx/${f}.ts`)
      .join(","),
    suite: "influx",
  },
  runs: { mutate: "server/store/runs.ts" },
  timewindow: { mutate: "server/timewindow.ts" },
  spool: { mutate: "agent/spool.ts" },
  sender: { mutate: "agent/sender.ts" },
  schemas: { mutate: "server/schemas.ts,common/wire.ts", suite: "api" },
  auth: { mutate: "server/auth.ts", suite: "api" },
  collect: { mutate: "agent/collect/*.ts", suite: "collect" },
  history: { mutate: "server/store/stretches.ts,server/history/*.ts" },
};

const DIR = join(import.meta.dirname, "..", "reports", "mutation");
const args = process.argv.slice(2);
const tableOnly = args.includes("--table");
const names = args.filter((a) => !a.startsWith("--"));
for (const n of names) {
  if (!MODULES[n]) throw new Error(`unknown module ${n}: one of ${Object.keys(MODULES).join(", ")}`);
}
const chosen = names.length ? names : Object.keys(MODULES);

const seconds: Record<string, number> = {};
if (!tableOnly) {
  mkdirSync(DIR, { recursive: true });
  for (const name of chosen) {
    const m = MODULES[name] as Module;
    const started = Date.now();
    const run = spawnSync("npx", ["stryker", "run", "--mutate", m.mutate], {
      stdio: "inherit",
      env: { ...process.env, ...(m.suite ? { MUTATE_SUITE: m.suite } : {}) },
    });
    seconds[name] = Math.round((Date.now() - started) / 1000);
    if (run.status !== 0) throw new Error(`stryker failed on ${name} (exit ${run.status})`);
    copyFileSync(join(DIR, "mutation.json"), join(DIR, `${name}.json`));
  }
}

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}
console.log("| module | mutants | killed | timeout | survived | no coverage | score | run time |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const name of chosen) {
  const file = join(DIR, `${name}.json`);
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, "utf8")) as Report;
  const n = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 } as Record<string, number>;
  for (const f of Object.values(report.files)) {
    for (const mu of f.mutants) if (mu.status in n) n[mu.status] = (n[mu.status] ?? 0) + 1;
  }
  const { Killed = 0, Timeout = 0, Survived = 0, NoCoverage = 0 } = n;
  const total = Killed + Timeout + Survived + NoCoverage;
  const score = total ? ((100 * (Killed + Timeout)) / total).toFixed(2) : "n/a";
  const time = seconds[name] === undefined ? "" : `${seconds[name]} s`;
  console.log(
    `| ${name} | ${total} | ${Killed} | ${Timeout} | ${Survived} | ${NoCoverage} | ${score} % | ${time} |`,
  );
}
