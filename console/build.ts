/**
 * Builds the console (console/src) into static assets with esbuild: one script and one stylesheet
 * with content-hashed names, and the page that loads them. In memory for the server (which builds
 * on first use when console/dist is missing or older than the sources), or to console/dist with
 * `npm run build:console`, which also prints the sizes.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { gzipSync } from "node:zlib";

export const CONSOLE_DIR = import.meta.dirname;
export const SRC_DIR = join(CONSOLE_DIR, "src");
export const DIST_DIR = join(CONSOLE_DIR, "dist");

export interface ConsoleAsset {
  body: Buffer;
  type: string;
}

export interface ConsoleBuild {
  /** The page, served at "/" (never cached). */
  html: string;
  /** Hashed assets by name, served under /assets/ (cached for a year). */
  assets: Map<string, ConsoleAsset>;
  /** The hash of the sources the build was made from. */
  sourceHash: string;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

function sourceFiles(dir = SRC_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** A hash over the console's sources and this build script: a dist built from others is stale. */
export function hashSources(): string {
  const hash = createHash("sha256");
  for (const file of [...sourceFiles(), join(CONSOLE_DIR, "build.ts")]) {
    hash.update(relative(CONSOLE_DIR, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

export function page(script: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>procscope</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${stylesheet}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><p>Loading the procscope console…</p></div>
<noscript><p>The procscope console needs JavaScript. The API is at <a href="/docs">/docs</a>.</p></noscript>
</body>
</html>
`;
}

/** Bundles the console in memory. */
export async function buildConsole(): Promise<ConsoleBuild> {
  const sourceHash = hashSources();
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(SRC_DIR, "main.tsx")],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    minify: true,
    sourcemap: false,
    jsx: "automatic",
    jsxImportSource: "preact",
    define: { "process.env.NODE_ENV": '"production"' },
    entryNames: "[name]-[hash]",
    outdir: "/assets",
    write: false,
    logLevel: "silent",
  });
  const assets = new Map<string, ConsoleAsset>();
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    const type = TYPES[name.slice(name.lastIndexOf("."))];
    if (type) assets.set(name, { body: Buffer.from(file.contents), type });
  }
  const names = [...assets.keys()];
  const script = names.find((n) => n.endsWith(".js"));
  const stylesheet = names.find((n) => n.endsWith(".css"));
  if (!script || !stylesheet)
    throw new Error(`console build made ${names.join(", ")}: no script or stylesheet`);
  return { html: page(script, stylesheet), assets, sourceHash };
}

/** Writes a build to `dir`: index.html, assets/, manifest.json (the source hash and asset names). */
export function writeConsole(built: ConsoleBuild, dir = DIST_DIR): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "assets"), { recursive: true });
  for (const [name, asset] of built.assets) writeFileSync(join(dir, "assets", name), asset.body);
  writeFileSync(join(dir, "index.html"), built.html);
  const manifest = {
    sourceHash: built.sourceHash,
    assets: Object.fromEntries([...built.assets].map(([n, a]) => [n, a.type])),
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The build in `dir` when it was made from the current sources; undefined otherwise. */
export function readConsole(dir = DIST_DIR): ConsoleBuild | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
      sourceHash: string;
      assets: Record<string, string>;
    };
    if (manifest.sourceHash !== hashSources()) return undefined;
    const assets = new Map<string, ConsoleAsset>();
    for (const [name, type] of Object.entries(manifest.assets)) {
      assets.set(name, { body: readFileSync(join(dir, "assets", name)), type });
    }
    return { html: readFileSync(join(dir, "index.html"), "utf8"), assets, sourceHash: manifest.sourceHash };
  } catch {
    return undefined;
  }
}

/** Bytes of the whole console (page + assets), raw and gzip'd. */
export function sizes(built: ConsoleBuild): { name: string; raw: number; gzip: number }[] {
  const files: [string, Buffer][] = [
    ["index.html", Buffer.from(built.html)],
    ...[...built.assets].map(([n, a]): [string, Buffer] => [n, a.body]),
  ];
  return files.map(([name, body]) => ({ name, raw: body.length, gzip: gzipSync(body, { level: 9 }).length }));
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const started = performance.now();
  const built = await buildConsole();
  writeConsole(built);
  const ms = Math.round(performance.now() - started);
  const rows = sizes(built);
  const total = rows.reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip }), { raw: 0, gzip: 0 });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(`console built in ${ms} ms → ${relative(process.cwd(), DIST_DIR)}/\n`);
  for (const r of [...rows, { name: "total", ...total }]) {
    process.stdout.write(
      `  ${r.name.padEnd(28)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)} gzip\n`,
    );
  }
}
