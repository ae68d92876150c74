/**
 * Reading a V8 CPU profile (`node --cpu-prof`): where the server's time went, by function (self
 * time: the function itself was on top of the stack), by function including callees (inclusive
 * time: the function was anywhere on the stack), and by package or source folder.
 *
 * `npx tsx bench/profile.ts <file.cpuprofile> [top]` prints the same summary for any profile.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { root } from "./harness.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Hot {
  what: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  total_ms: number;
  /** Time the main thread had nothing to do. */
  idle_ms: number;
  self: Hot[];
  inclusive: Hot[];
  by_area: Hot[];
}

function where(url: string): string {
  if (!url) return "";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  return path.startsWith("/") ? relative(root, path) : path;
}

/** The package (node_modules/<name>), source folder (server/http...) or runtime a frame belongs to. */
function area(frame: CallFrame): string {
  const name = frame.functionName;
  if (name === "(garbage collector)") return "V8: garbage collection";
  if (name === "(program)") return "V8/native: (program)";
  if (name === "(idle)") return "(idle)";
  const path = where(frame.url);
  if (!path) return `native: ${name || "(anonymous)"}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `npm: ${pkg[1]}`;
  if (path.startsWith("node:")) {
    const mod = path.slice(5).split("/");
    return `node: ${mod[0] === "internal" ? mod.slice(1, 3).join("/") : mod[0]}`;
  }
  const parts = path.split("/");
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
}

const label = (f: CallFrame) =>
  `${f.functionName || "(anonymous)"} ${where(f.url) ? `${where(f.url)}:${f.lineNumber + 1}` : ""}`.trim();

export function summarize(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    total += dt;
    if (node.callFrame.functionName === "(idle)") {
      idle += dt;
      return;
    }
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const a = area(node.callFrame);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame || frame.functionName === "(root)") continue;
      const k = label(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const busy = total - idle;
  const rank = (m: Map<string, number>, n: number): Hot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([what, ms]) => ({ what, ms, share: busy > 0 ? ms / busy : 0 }));
  return {
    file,
    total_ms: total,
    idle_ms: idle,
    self: rank(self, top),
    inclusive: rank(inclusive, top * 2),
    by_area: rank(areas, top),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (h: Hot) => `${(h.share * 100).toFixed(1).padStart(5)} %  ${h.what}`;
  const busy = s.total_ms - s.idle_ms;
  return [
    `profile ${relative(root, s.file)}: ${(s.total_ms / 1000).toFixed(1)} s sampled, main thread busy ${((busy / s.total_ms) * 100).toFixed(0)} %`,
    "  by package / folder (self time, share of busy time):",
    ...s.by_area.map((h) => `    ${pct(h)}`),
    "  hottest functions (self time):",
    ...s.self.map((h) => `    ${pct(h)}`),
    "  heaviest call paths (inclusive time):",
    ...s.inclusive.map((h) => `    ${pct(h)}`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: tsx bench/profile.ts <file.cpuprofile> [top]\n");
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summarize(file, Number(process.argv[3] ?? 15)))}\n`);
}
