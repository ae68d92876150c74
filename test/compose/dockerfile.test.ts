/**
 * The Dockerfile, parsed: multi-stage from a pinned slim Node image, production dependencies only,
 * installed under the package's install-script policy, a non-root user, a health check, and
 * nothing copied that the build context (.dockerignore) leaves out.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerfileInstructions, packageJson, repoRoot } from "./files.ts";

const instructions = dockerfileInstructions();
const stages: { from: string; alias?: string; body: { op: string; args: string }[] }[] = [];
for (const i of instructions) {
  if (i.op === "FROM") {
    const [image = "", as, alias] = i.args.split(/\s+/);
    stages.push({ from: image, ...(as?.toUpperCase() === "AS" && alias ? { alias } : {}), body: [] });
  } else {
    stages.at(-1)?.body.push(i);
  }
}
const final = stages.at(-1);
const runs = (stage: (typeof stages)[number] | undefined) =>
  (stage?.body ?? []).filter((i) => i.op === "RUN").map((i) => i.args);
const version = (v: string) => v.split(".").map(Number) as [number, number, number];
const atLeast = (a: number[], b: number[]) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

describe("Dockerfile", () => {
  it("is multi-stage, every stage on a pinned slim Node image the package supports", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const min = version(packageJson.engines.node.replace(/^>=\s*/, ""));
    for (const s of stages) {
      const m = /^node:(\d+\.\d+\.\d+)-[a-z]+-slim$/.exec(s.from);
      expect(m, `${s.from} is not a pinned node:X.Y.Z-<debian>-slim`).not.toBeNull();
      expect(
        atLeast(version(m?.[1] ?? "0.0.0"), min),
        `${s.from} is older than engines ${packageJson.engines.node}`,
      ).toBe(true);
    }
    expect(new Set(stages.map((s) => s.from)).size, "one base image for build and runtime (same ABI)").toBe(
      1,
    );
  });

  it("installs production dependencies only, running no install script but better-sqlite3's", () => {
    const install = stages.find((s) => runs(s).some((r) => /\bnpm ci\b.*--omit=dev/.test(r)));
    expect(install, "no stage runs npm ci --omit=dev").toBeDefined();
    const ci = runs(install).find((r) => /\bnpm ci\b/.test(r)) as string;
    // The package's own `prepare` (the build) needs the dev tree: it runs in the build stage. Of
    // the dependencies' scripts only better-sqlite3's is wanted (it builds the addon).
    expect(ci).toMatch(/--ignore-scripts\b/);
    expect(ci).toMatch(/&& npm rebuild better-sqlite3\b/);
    if (packageJson.allowScripts) {
      // npm 11 reads allowScripts; Node 20's own npm 10 would run every install script.
      const npm = runs(install)
        .map((r) => /npm install --global npm@(\d+)\.\d+\.\d+/.exec(r))
        .find(Boolean);
      expect(npm, "the install stage pins no npm").toBeTruthy();
      expect(Number(npm?.[1])).toBeGreaterThanOrEqual(11);
    }
    // The runtime stage installs nothing itself: it takes the production node_modules.
    expect(runs(final).some((r) => /\bnpm (ci|install)\b/.test(r))).toBe(false);
    expect(final?.body).toContainEqual({
      op: "COPY",
      args: `--from=${install?.alias} /app/node_modules ./node_modules`,
    });
  });

  it("builds the bundles in a stage of their own and copies only dist/ from it", () => {
    const build = stages.find((s) => runs(s).includes("npm run build"));
    expect(build, "no stage runs npm run build").toBeDefined();
    expect(final?.body).toContainEqual({ op: "COPY", args: `--from=${build?.alias} /app/dist ./dist` });
  });

  it("runs as a non-root user", () => {
    const users = (final?.body ?? []).filter((i) => i.op === "USER").map((i) => i.args.split(":")[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(["root", "0"]).not.toContain(users.at(-1));
  });

  it("checks /healthz and starts the compiled server, the package's procscope-server, without tsx", () => {
    const hc = final?.body.find((i) => i.op === "HEALTHCHECK")?.args ?? "";
    expect(hc).toMatch(/\/healthz/);
    const cmd = JSON.parse(final?.body.find((i) => i.op === "CMD")?.args ?? "[]") as string[];
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(cmd).toEqual(["node", pkg.bin["procscope-server"]]);
    // No transpiler at run time: tsx is a development dependency only.
    expect(Object.keys(pkg.dependencies)).not.toContain("tsx");
  });

  it("copies only files that exist and that .dockerignore lets into the build context", () => {
    const ignored = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const secret of [".env", ".git", "node_modules"]) expect(ignored, secret).toContain(secret);
    const copies = instructions.filter((i) => i.op === "COPY" && !i.args.startsWith("--from="));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const sources = c.args.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(existsSync(join(repoRoot, src)), `COPY ${src}: not in the repository`).toBe(true);
        const top = src.split("/")[0] as string;
        expect(ignored, `COPY ${src}: excluded by .dockerignore`).not.toContain(top);
      }
    }
  });
});
