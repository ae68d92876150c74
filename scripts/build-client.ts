/**
 * `npm run build:client`: the typed client (client/index.ts) as JavaScript plus declarations in
 * dist/lib/, so projects outside this repository import `procscope/client` with default compiler
 * settings (package.json `exports`). The declarations cover the router's type and what it refers
 * to (server/router.ts and its schemas, common/wire.ts); no server code is emitted as JavaScript:
 * the client needs only the router's type.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dist", "lib");
const started = performance.now();

rmSync(out, { recursive: true, force: true });
// Declarations, through the project's own compiler settings (client/tsconfig.json).
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "client"], {
  cwd: root,
  stdio: "inherit",
});

/** `./x.ts` → `./x.js` in relative specifiers: what a consumer's compiler resolves by default. */
const toJs = (text: string) => text.replace(/((?:from |import\()["']\.{1,2}\/[^"']*?)\.ts(["'])/g, "$1.js$2");

let declarations = 0;
for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
  const path = join(entry.parentPath, entry.name);
  writeFileSync(path, toJs(readFileSync(path, "utf8")));
  declarations++;
}

// The client's JavaScript: one module, transpiled alone (it imports only types from the server).
const source = readFileSync(join(root, "client", "index.ts"), "utf8");
const { outputText } = ts.transpileModule(source, {
  compilerOptions: {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
    verbatimModuleSyntax: true,
    rewriteRelativeImportExtensions: true,
  },
  fileName: "index.ts",
});
mkdirSync(join(out, "client"), { recursive: true });
writeFileSync(join(out, "client", "index.js"), toJs(outputText));
process.stdout.write(
  `built dist/lib/client/index.js and ${declarations} declaration files in ${(performance.now() - started).toFixed(0)} ms\n`,
);
