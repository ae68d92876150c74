/**
 * `npm run build` (also run by `npm install`, as `prepare`): the agent and the server as one
 * JavaScript file each, so production runs plain `node` with no transpiler in front of it.
 *
 * - dist/agent.js: agent/main.ts and everything it imports, in one file (no node_modules needed at
 *   run time); `procscope-agent` in package.json's `bin`. Runs unchanged under Deno too.
 * - dist/server.js: server/main.ts; `procscope-server`. Packages that cannot live in a bundle stay in
 *   node_modules: better-sqlite3 (a native addon) and swagger-ui-dist (files served from its folder).
 *
 * Why a bundle and not Node's type stripping: Node 20 has none, and a bundle also loads faster
 * and smaller than hundreds of separate modules (docs/agent.md, "Memory" has the measurements).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dist");

/** CommonJS packages inside an ES module bundle call require(): give them Node's own. */
const requireShim =
  'import { createRequire as __procscopeRequire } from "node:module";\n' +
  "const require = __procscopeRequire(import.meta.url);";

const targets = [
  // systeminformation is the fallback collector for platforms without /proc (loaded only there).
  { entry: "agent/main.ts", file: "agent.js", external: ["systeminformation"] },
  { entry: "server/main.ts", file: "server.js", external: ["better-sqlite3", "swagger-ui-dist"] },
];

mkdirSync(out, { recursive: true });
const started = performance.now();
for (const t of targets) {
  const outfile = join(out, t.file);
  await build({
    entryPoints: [join(root, t.entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: t.external,
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
    legalComments: "linked",
    sourcemap: "linked",
    logLevel: "warning",
  });
  chmodSync(outfile, 0o755);
}
// Marks dist/ as ES modules wherever it is copied without the repository's package.json.
writeFileSync(join(out, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
const sizes = targets.map(
  (t) => `${t.file} ${(readFileSync(join(out, t.file)).length / 1024).toFixed(0)} KB`,
);
process.stdout.write(`built ${sizes.join(", ")} in ${(performance.now() - started).toFixed(0)} ms\n`);
