/** `npm run server`: the API server alone, configured from the environment. Exit 2: bad configuration. */
import { ConfigError, loadConfig } from "./config.ts";
import { nextSignal, serve } from "./serve.ts";

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`procscope: ${err.message}\n`);
  process.exit(2);
}
const running = await serve(config);
const signal = await nextSignal();
running.log.info({ signal }, "shutting down");
await running.close();
process.exit(0);
