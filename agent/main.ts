/**
 * `procscope-agent [options]` (dist/agent.js, built by npm run build), `npm run agent -- [options]`
 * (Node through tsx, for development) or `deno run -A agent/main.ts [options]`.
 * Exit codes: 0 done, 1 a `--once` sample was not stored (or the agent failed), 2 bad options (or,
 * under Deno, a missing -A).
 */
import process from "node:process";
import { createLogger, errorText } from "./log.ts";
import { parseOptions, UsageError } from "./options.ts";
import { run } from "./run.ts";

type DenoPermissions = { querySync(descriptor: { name: string }): { state: string } };

/**
 * Under Deno: whether the agent was started without -A. It reads /proc, which Deno grants only
 * with --allow-all, so without it the first thing to fail would be whatever comes first (the host
 * name: --allow-sys), and naming that permission would send people down the wrong path.
 */
function denoWithoutAll(): boolean {
  const deno = (globalThis as { Deno?: { permissions: DenoPermissions } }).Deno;
  if (!deno) return false;
  return ["read", "write", "net", "env", "sys", "run", "ffi"].some(
    (name) => deno.permissions.querySync({ name }).state !== "granted",
  );
}

const DENO_NEEDS_ALL =
  "under Deno the agent needs -A (--allow-all): it reads /proc, which Deno grants only with -A.\n" +
  "Run it as: deno run -A agent/main.ts [options]   (or deno run -A dist/agent.js [options])\n";

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (!argv.includes("--help") && !argv.includes("-h") && denoWithoutAll()) {
    process.stderr.write(`procscope agent: ${DENO_NEEDS_ALL}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`procscope agent: ${err.message}\nTry --help.\n`);
    return 2;
  }
  if (parsed.kind === "help") {
    process.stdout.write(parsed.text);
    return 0;
  }
  const log = createLogger(parsed.options.logLevel);
  try {
    return await run(parsed.options, log);
  } catch (err) {
    log.error("agent failed", { err: errorText(err) });
    return 1;
  }
}

const code = await main();
// Exit explicitly: idle keep-alive connections must not hold the process open.
process.stdout.write("", () => process.exit(code));
