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
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dist");

/** CommonJS packages inside an ES module bundle call require(): give them Node's own. */
const requireShim =
  'import { createRequire as __procscopeRequire } from "node:module";\n' +
  "const require = __procscopeRequire(import.meta.url);";

/**
 * console/build.ts finds the console's sources next to itself (import.meta.dirname) and runs as a
 * command when it is the process's main script (import.meta.filename). Inside dist/server.js both
 * would name the bundle: point them at the repository's console/ instead (../console from dist/).
 */
const consoleInPlace: Plugin = {
  name: "console-in-place",
  setup(b) {
    b.onLoad({ filter: /[\\/]console[\\/]build\.ts$/ }, (args) => {
      const source = readFileSync(args.path, "utf8")
        .replaceAll("import.meta.dirname", "__consoleDir")
        .replaceAll("import.meta.filename", '(__consoleDir + "/build.ts")');
      const header =
        'import { fileURLToPath as __consoleFileURLToPath } from "node:url";\n' +
        'const __consoleDir = __consoleFileURLToPath(new URL("../console", import.meta.url));\n';
      return { contents: header + source, loader: "ts" };
    });
  },
};

const targets = [
  // systeminformation is the fallback collector for platforms without /proc (loaded only there).
  { entry: "agent/main.ts", file: "agent.js", external: ["systeminformation"] },
  // esbuild builds the console on first use (a native binary of its own, found from its package).
  { entry: "server/main.ts", file: "server.js", external: ["better-sqlite3", "swagger-ui-dist", "esbuild"] },
];

mkdirSync(out, { recursive: true });
const started = performance.now();
for (const t of targets) {
  const outfile = join(out, t.file);
  const result = await build({
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
    plugins: [consoleInPlace],
    write: false,
  });
  // Each file replaced whole (written aside, then renamed): a process starting the agent or the
  // server while a build runs gets the old file or the new one, never half of one.
  for (const file of result.outputFiles) {
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents, { mode: file.path === outfile ? 0o755 : 0o644 });
    renameSync(aside, file.path);
  }
}
const sizes = targets.map(
  (t) => `${t.file} ${(readFileSync(join(out, t.file)).length / 1024).toFixed(0)} KB`,
);
process.stdout.write(`built ${sizes.join(", ")} in ${(performance.now() - started).toFixed(0)} ms\n`);
