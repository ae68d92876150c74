/**
 * The real server as a child process (`tsx server/main.ts`) on a free port: what users run, so
 * tests can also kill -9 it and start it again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { freePort } from "./influxd.ts";

const repoRoot = resolve(import.meta.dirname, "..", "..");

export interface ServerProcess {
  url: string;
  port: number;
  /** Everything the server wrote to stdout and stderr so far (JSON log lines). */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** Start again on the same port and environment (after stop or kill). */
  restart(): Promise<void>;
  child(): ChildProcess;
}

export interface StartServerOptions {
  env: Record<string, string | undefined>;
  /** Resolve once /readyz answers 200 (storage reachable), not just /healthz. */
  waitReady?: boolean;
  port?: number;
}

async function waitFor(url: string, proc: ChildProcess, out: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${out()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not ready at ${url} within ${timeoutMs} ms:\n${out()}`);
}

export async function startServer(opts: StartServerOptions): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  let proc: ChildProcess;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    LOG_LEVEL: "info",
    ...opts.env,
    PORT: String(port),
  })) {
    if (v !== undefined) env[k] = v;
  }
  const launch = async () => {
    // `node --import tsx`: one process, so kill() reaches the server itself (the `tsx` command is a
    // wrapper whose SIGKILL would leave the server running as an orphan).
    proc = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "server", "main.ts")], {
      env,
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout?.on("data", (c: Buffer) => {
      log += c.toString();
    });
    proc.stderr?.on("data", (c: Buffer) => {
      log += c.toString();
    });
    await waitFor(`${url}${opts.waitReady === false ? "/healthz" : "/readyz"}`, proc, () => log);
  };
  const end = async (signal: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill(signal);
    await exited;
  };
  await launch();
  return {
    url,
    port,
    output: () => log,
    stop: () => end("SIGTERM"),
    kill: () => end("SIGKILL"),
    restart: launch,
    child: () => proc,
  };
}
