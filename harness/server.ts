/**
 * The real server as a child process (`node --import tsx server/main.ts`) on a free port: what
 * users run, so tests and benchmarks can also kill -9 it and start it again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { freePort } from "./influxd.ts";
import { untilOk } from "./poll.ts";

const repoRoot = resolve(import.meta.dirname, "..");

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
  /** Node options before `--import tsx`, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** How long start-up may take (default 30 s). */
  timeoutMs?: number;
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
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  let stopping = false;
  const launch = async () => {
    // `node --import tsx`: one process, so kill() reaches the server itself (the `tsx` command is a
    // wrapper whose SIGKILL would leave the server running as an orphan).
    const args = [...(opts.nodeArgs ?? []), "--import", "tsx", join(repoRoot, "server", "main.ts")];
    proc = spawn(process.execPath, args, { env, cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    stopping = false;
    // A server that dies on its own says why, wherever it was started (a benchmark cell, a test).
    proc.once("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `[harness] the server on port ${port} exited by itself (${code ?? signal}); its last output:\n${log.slice(-4000)}\n`,
      );
    });
    proc.stdout?.on("data", (c: Buffer) => {
      log += c.toString();
    });
    proc.stderr?.on("data", (c: Buffer) => {
      log += c.toString();
    });
    try {
      await untilOk(`${url}${opts.waitReady === false ? "/healthz" : "/readyz"}`, {
        timeoutMs: opts.timeoutMs ?? 30_000,
        giveUp: () => (exited() ? `the server exited with ${proc.exitCode ?? proc.signalCode}` : undefined),
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${log}`);
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    if (exited()) return;
    stopping = true;
    const gone = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill(signal);
    await gone;
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
