/**
 * The embedded store's queries use its indexes: EXPLAIN QUERY PLAN of every statement it runs, on
 * its real schema. No filter or duration query may scan the table.
 */
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import * as Q from "../../server/store/sqlite/queries.ts";
import { configure, migrate } from "../../server/store/sqlite/schema.ts";

const db = new Database(":memory:");
configure(db);
migrate(db);

function plan(sql: string): string[] {
  const params = Object.fromEntries(
    [...sql.matchAll(/@(\w+)/g)].map((m) => [m[1], m[1] === "system" || m[1] === "name" ? "x" : 1]),
  );
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
}

const narrowings = [
  {},
  { system_name: "s" },
  { process_name: "n" },
  { pid: 1 },
  { system_name: "s", pid: 1 },
  { process_name: "n", pid: 1 },
  { system_name: "s", process_name: "n" },
  { system_name: "s", process_name: "n", pid: 1 },
];

describe("SqliteStore query plans", () => {
  it.each(narrowings)("filter %j seeks a time range, in output order, and counts from the index", (n) => {
    const where = Q.narrowingSql(n);
    const page = plan(Q.filterPageSql(where));
    const count = plan(Q.filterCountSql(where));
    for (const steps of [page, count]) {
      expect(steps.join("\n")).toMatch(
        /SEARCH samples USING ((COVERING )?INDEX samples_by_time|PRIMARY KEY) \(.*ts>\? AND ts<\?\)/,
      );
      expect(steps.join("\n")).not.toMatch(/SCAN samples/);
    }
    expect(count.join("\n")).toMatch(/COVERING INDEX|PRIMARY KEY/);
    // no sort of the whole result: at most of the rows sharing one (timestamp, system)
    expect(page.join("\n")).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
  });

  it.each([
    ["DURATION_PIDS", Q.DURATION_PIDS],
    ["DURATION_GAPS", Q.DURATION_GAPS],
    ["DURATION_STARTED", Q.DURATION_STARTED],
    ["NAME_FIRST_TS", Q.NAME_FIRST_TS],
    ["NAME_LAST_TS", Q.NAME_LAST_TS],
  ])("%s seeks one process's time range through the primary key", (_name, sql) => {
    const steps = plan(sql).join("\n");
    expect(steps).toMatch(/SEARCH samples USING PRIMARY KEY \(system=\? AND name=\? AND ts>\? AND ts<\?\)/);
    expect(steps).not.toMatch(/SCAN samples/);
  });

  it("walks systems and names along the primary key and counts the latest sample from the index", () => {
    expect(plan(Q.NEXT_SYSTEM)).toEqual(["SEARCH samples USING PRIMARY KEY (system>?)"]);
    expect(plan(Q.NEXT_NAME)).toEqual(["SEARCH samples USING PRIMARY KEY (system=? AND name>?)"]);
    expect(plan(Q.COUNT_AT)).toEqual([
      "SEARCH samples USING COVERING INDEX samples_by_time (ts=? AND system=?)",
    ]);
  });

  it("deletes expired samples oldest first through the time index, a chunk at a time", () => {
    const steps = plan(Q.DELETE_EXPIRED_CHUNK).join("\n");
    expect(steps).toMatch(/SEARCH samples USING COVERING INDEX samples_by_time \(ts<\?\)/);
    expect(steps).not.toMatch(/SCAN samples/);
  });
});
