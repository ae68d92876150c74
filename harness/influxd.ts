/**
 * A real InfluxDB 2.x for tests and benchmarks: find or build `influxd`, start it on loopback with
 * throwaway data directories, onboard it, and stop it again. Used by the vitest global setup, by
 * the fault tests (which start and stop instances of their own) and by bench/.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { untilOk } from "./poll.ts";

export interface InfluxConnection {
  url: string;
  token: string;
  org: string;
  bucket: string;
}

/** The server's environment for storing in this InfluxDB (the one mapping; tests and bench use it). */
export function influxEnv(conn: InfluxConnection): Record<string, string> {
  return {
    INFLUX_URL: conn.url,
    INFLUX_TOKEN: conn.token,
    INFLUX_ORG: conn.org,
    INFLUX_BUCKET: conn.bucket,
  };
}

export const HOW_TO_PROVIDE_INFLUX = [
  "No InfluxDB 2.x is available for the tests. Provide one of:",
  "  1. INFLUX_URL and INFLUX_TOKEN (and INFLUX_ORG, INFLUX_BUCKET) of a running InfluxDB 2.x,",
  "     e.g. the one of `docker compose up -d influxdb`;",
  "  2. an influxd binary: INFLUXD_BIN=/path/to/influxd, `influxd` on the PATH, or a cached",
  `     build in ${cacheDir()};`,
  "  3. Go and cargo on the PATH, so that `npm run influxd:build` can build influxd from source",
  "     (see docs/development.md, 'InfluxDB for tests').",
].join("\n");

function cacheDir(): string {
  return process.env.PROCSCOPE_CACHE ?? join(homedir(), ".cache", "procscope");
}

const repoRoot = resolve(import.meta.dirname, "..");

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** influxd from INFLUXD_BIN, the PATH or the build cache, newest cached version first. */
function findInfluxd(): string | undefined {
  const fromEnv = process.env.INFLUXD_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`INFLUXD_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const fromPath = onPath("influxd");
  if (fromPath) return fromPath;
  const dir = cacheDir();
  if (!existsSync(dir)) return undefined;
  const cached = readdirSync(dir)
    .filter((f) => /^influxd-v\d+\.\d+\.\d+$/.test(f))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    .reverse();
  return cached[0] ? join(dir, cached[0]) : undefined;
}

/** Build influxd with scripts/build-influxd.sh (progress goes to stderr) and return its path. */
function buildInfluxd(): string | undefined {
  if (!onPath("go") || !onPath("cargo")) return undefined;
  process.stderr.write("[influx harness] no influxd found: building it from source (first time only)\n");
  const result = spawnSync("bash", [join(repoRoot, "scripts", "build-influxd.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`building influxd failed (exit ${result.status}); see the log above`);
  const lines = result.stdout.trim().split("\n");
  return lines[lines.length - 1];
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface InfluxdInstance extends InfluxConnection {
  /** Stops the process; the data directory is kept until `dispose()`. */
  stop(): Promise<void>;
  /** Starts the process again on the same port and data (after `stop()`). */
  start(): Promise<void>;
  /** Stops the process and deletes its data. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  binary: string;
  org?: string;
  bucket?: string;
  token?: string;
  /** More influxd flags (e.g. `--storage-cache-max-memory-size 1` for an influxd whose writes fail). */
  args?: string[];
  /**
   * Serve HTTPS with this certificate and key (influxd's --tls-cert/--tls-key); the URL is then
   * https://. The caller's process must trust the certificate for the health check and onboarding.
   */
  tls?: { cert: string; key: string };
}

/** Starts influxd on 127.0.0.1 on a free port with a throwaway data directory, and onboards it. */
export async function startInfluxd(opts: StartOptions): Promise<InfluxdInstance> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "procscope-influxd-"));
  const url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  const conn: InfluxConnection = {
    url,
    org: opts.org ?? "procscope",
    bucket: opts.bucket ?? "procscope",
    token: opts.token ?? `test-token-${port}-${Date.now()}`,
  };
  let child: ChildProcess | undefined;
  let stderrTail = "";

  const launch = async () => {
    const proc = spawn(
      opts.binary,
      [
        "--bolt-path",
        join(dataDir, "influxd.bolt"),
        "--engine-path",
        join(dataDir, "engine"),
        "--sqlite-path",
        join(dataDir, "influxd.sqlite"),
        "--http-bind-address",
        `127.0.0.1:${port}`,
        "--reporting-disabled",
        "--log-level",
        "error",
        ...(opts.tls ? ["--tls-cert", opts.tls.cert, "--tls-key", opts.tls.key] : []),
        ...(opts.args ?? []),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    proc.stderr?.on("data", (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    });
    child = proc;
    try {
      await untilOk(`${url}/health`, {
        timeoutMs: 60_000,
        giveUp: () => (proc.exitCode === null ? undefined : `influxd exited with code ${proc.exitCode}`),
      });
    } catch (err) {
      proc.kill("SIGKILL");
      throw new Error(`${(err as Error).message}\n${stderrTail}`);
    }
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  const setup = await fetch(`${url}/api/v2/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: "procscope",
      password: "procscope-test-password",
      org: conn.org,
      bucket: conn.bucket,
      token: conn.token,
      retentionPeriodSeconds: 0,
    }),
  });
  if (!setup.ok) {
    await stop();
    throw new Error(`influxd onboarding failed: ${setup.status} ${await setup.text()}`);
  }

  return {
    ...conn,
    stop,
    start: launch,
    dispose: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The binary the tests should use: found, or built. Undefined when neither is possible. */
export function resolveInfluxdBinary(): string | undefined {
  return findInfluxd() ?? buildInfluxd();
}
