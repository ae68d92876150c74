/**
 * `npm run migrate`: converts the InfluxDB bucket named by INFLUX_URL / INFLUX_TOKEN / INFLUX_ORG /
 * INFLUX_BUCKET from the old layout (pid as a tag) to the current one, in place. Stop servers of
 * the old release first; re-running is safe. See docs/data-layout.md.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { migrateBucket } from "./store/influx/migrate.ts";

try {
  const config = loadConfig();
  if (!config.INFLUX_URL || !config.INFLUX_TOKEN) {
    process.stderr.write(
      "procscope migrate: set INFLUX_URL and INFLUX_TOKEN (and INFLUX_ORG, INFLUX_BUCKET)\n",
    );
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL);
  const result = await migrateBucket({
    url: config.INFLUX_URL,
    token: config.INFLUX_TOKEN,
    org: config.INFLUX_ORG,
    bucket: config.INFLUX_BUCKET,
    log,
  });
  process.stdout.write(
    result.converted
      ? `migrated ${result.samples} samples (${result.batches} batches) of bucket ${config.INFLUX_BUCKET} to the current layout\n`
      : `bucket ${config.INFLUX_BUCKET} holds no samples in the old layout: nothing to do\n`,
  );
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`procscope migrate: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`procscope migrate: ${(err as Error).message}\n`);
  process.exit(1);
}
