/**
 * The module graph, read from the source: what each entry point loads at run time, and which
 * folders may depend on which. Type-only imports vanish at run time; `await import()` is lazy.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..", "..");
const FOLDERS = ["server", "agent", "common", "client"];

interface Edge {
  to: string;
  typeOnly: boolean;
}

/** Static imports of every module in FOLDERS: repository-relative path (or package name) → edges. */
function graph(): Map<string, Edge[]> {
  const modules = new Map<string, Edge[]>();
  for (const folder of FOLDERS) {
    for (const entry of readdirSync(join(root, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
      const file = join(entry.parentPath, entry.name);
      const text = readFileSync(file, "utf8");
      const edges: Edge[] = [];
      for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)";/gms)) {
        const spec = m[2] as string;
        const to = spec.startsWith(".") ? relative(root, resolve(dirname(file), spec)) : spec;
        edges.push({ to, typeOnly: Boolean(m[1]) });
      }
      modules.set(relative(root, file), edges);
    }
  }
  return modules;
}

/** Everything `from` loads when it runs (static value imports, transitively). */
function runtimeClosure(modules: Map<string, Edge[]>, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (m: string) => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const e of modules.get(m) ?? []) if (!e.typeOnly) visit(e.to);
  };
  visit(from);
  return seen;
}

describe("module graph", () => {
  const modules = graph();

  it("the entry points load better-sqlite3 only when the SQLite store is chosen", () => {
    expect(modules.get("server/main.ts")).toBeDefined();
    expect(runtimeClosure(modules, "server/main.ts").has("server/store/influx/store.ts")).toBe(true);
    for (const entry of ["server/main.ts", "server/start.ts"]) {
      const loaded = runtimeClosure(modules, entry);
      expect(loaded.has("server/store/index.ts"), entry).toBe(true);
      expect(loaded.has("better-sqlite3"), entry).toBe(false);
      expect(
        [...loaded].filter((m) => m.startsWith("server/store/sqlite/")),
        entry,
      ).toEqual([]);
    }
  });

  it("the agent and common/ load nothing of the server's; common/ imports nothing at all", () => {
    for (const [m, edges] of modules) {
      if (m.startsWith("common/")) expect(edges, m).toEqual([]);
    }
    const agent = runtimeClosure(modules, "agent/main.ts");
    expect([...agent].filter((m) => m.startsWith("server/") || m.startsWith("client/"))).toEqual([]);
    expect(agent.has("common/wire.ts")).toBe(true);
  });

  it("storage does not depend on the server's configuration (no store → config → ... → store loop)", () => {
    const all = (from: string) => {
      const seen = new Set<string>();
      const visit = (m: string) => {
        if (seen.has(m)) return;
        seen.add(m);
        for (const e of modules.get(m) ?? []) visit(e.to);
      };
      visit(from);
      return seen;
    };
    for (const m of modules.keys()) {
      if (m.startsWith("server/store/")) expect(all(m).has("server/config.ts"), m).toBe(false);
    }
  });
});
