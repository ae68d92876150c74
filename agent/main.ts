/**
 * `npm run agent -- [options]` (Node, through tsx) or `deno run <permissions> agent/main.ts [options]`.
 * Exit codes: 0 done, 1 a `--once` sample was not stored (or the agent failed), 2 bad options.
 */
import process from "node:process";
import { createLogger, errorText } from "./log.ts";
import { parseOptions, UsageError } from "./options.ts";
import { run } from "./run.ts";

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
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
