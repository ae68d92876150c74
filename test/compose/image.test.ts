/**
 * The image exercised without Docker. The Dockerfile is parsed (not restated here): each stage's
 * COPY lines copy exactly what they name (the build context minus .dockerignore, or another
 * stage's files) into an empty directory standing for that stage's file system; its npm commands
 * run as written there (npm ci from the local npm cache, offline; system-level commands such as
 * apt-get, chown or `npm cache clean` are skipped and listed). Then, in a network namespace of its
 * own (so the image's own port, 8000, is free and exactly what the files say is used):
 * - the Dockerfile's HEALTHCHECK and compose's server health check fail while nothing listens;
 * - the final stage's CMD starts with the image's ENV (plus API tokens, which compose also sets);
 * - both health checks then pass, as run verbatim;
 * - compose's agent command (the service name `server` read as 127.0.0.1) takes and stores a
 *   sample, read back through the API.
 * A missing COPY, a wrong port or a health check that cannot fail breaks this test.
 *
 * npm ci compiles better-sqlite3 when offline (about 3 minutes on this machine kind): its result
 * is kept in ~/.cache/procscope/image-deps/<hash of package files and command>, so later runs take
 * seconds. IMAGE_DEPS_CACHE=0 installs afresh.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, posix, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compose, repoRoot } from "./files.ts";

const dockerfileText = readFileSync(join(repoRoot, "Dockerfile"), "utf8");

// ------------------------------------------------------------------------- the Dockerfile, parsed

interface Instruction {
  op: string;
  args: string;
}

/** Instructions in order: continuation lines joined, comments and parser directives dropped. */
function parseDockerfile(text: string): Instruction[] {
  const lines = text.split("\n").filter((l) => !/^\s*#/.test(l));
  const joined = lines.join("\n").replace(/\\\n/g, " ");
  return joined
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\w+)\s+([\s\S]*)$/.exec(l);
      if (!m) throw new Error(`cannot parse Dockerfile line: ${l}`);
      return { op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim() };
    });
}

/** An exec-form (JSON array) or shell-form command as argv. */
function commandArgv(args: string): string[] {
  if (args.startsWith("[")) return JSON.parse(args) as string[];
  return ["/bin/sh", "-c", args];
}

/** `KEY=value KEY2="v 2"` or the legacy `KEY value`. */
function parseEnv(args: string): Record<string, string> {
  if (!/^\S+=/.test(args)) {
    const [key, ...rest] = args.split(/\s+/);
    return { [key as string]: rest.join(" ") };
  }
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) out[m[1] as string] = m[3] ?? (m[2] as string);
  return out;
}

const ignorePatterns = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, "[^/]*")
          .replace(/\?/g, "[^/]")}(/.*)?$`,
      ),
  );
const ignored = (rel: string) => ignorePatterns.some((re) => re.test(rel));

interface Stage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd?: string[];
  healthcheck?: string[] | "none";
  expose: string[];
  skipped: string[];
}

const inside = (stage: Stage, path: string) =>
  join(stage.root, isAbsolute(path) ? path : posix.join(stage.workdir, path));

/** COPY of one source into a stage: a directory's contents, or a file (into `dest/` or as `dest`). */
function copyInto(from: string, fromRel: string | undefined, dest: string, destIsDir: boolean): void {
  if (!existsSync(from)) throw new Error(`COPY source missing: ${from}`);
  const filter = (src: string) => fromRel === undefined || !ignored(relative(repoRoot, src));
  if (statSync(from).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    cpSync(from, dest, { recursive: true, filter, dereference: false });
  } else {
    const target = destIsDir ? join(dest, from.split("/").pop() as string) : dest;
    mkdirSync(dirname(target), { recursive: true });
    cpSync(from, target);
  }
}

/**
 * A RUN line's npm commands as the Dockerfile writes them (npm ci from the local cache, offline;
 * then npm rebuild, npm run ...). When the line installs (npm ci), the node_modules it leaves are
 * kept, keyed by the line and the package files, so later runs restore them instead.
 */
function runNpm(stage: Stage, parts: string[]): void {
  const cwd = inside(stage, ".");
  const installs = parts.some((p) => /^npm ci\b/.test(p));
  const key = createHash("sha256")
    .update(parts.join(" && "))
    .update(installInputs(join(cwd, "package.json")))
    .update(existsSync(join(cwd, "package-lock.json")) ? readFileSync(join(cwd, "package-lock.json")) : "")
    .digest("hex")
    .slice(0, 16);
  const cache = join(homedir(), ".cache", "procscope", "image-deps", key);
  if (installs && process.env.IMAGE_DEPS_CACHE !== "0" && existsSync(join(cache, "node_modules"))) {
    cpSync(join(cache, "node_modules"), join(cwd, "node_modules"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    return;
  }
  for (const part of parts) {
    const argv = /^npm (ci|rebuild)\b/.test(part) ? `${part} --offline` : part;
    const run = spawnSync("/bin/sh", ["-c", argv], { cwd, encoding: "utf8", timeout: 900_000 });
    if (run.status !== 0) throw new Error(`RUN ${argv} failed:\n${run.stdout}\n${run.stderr}`);
  }
  if (!installs) return;
  const tmp = `${cache}.tmp-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  cpSync(join(cwd, "node_modules"), join(tmp, "node_modules"), { recursive: true, verbatimSymlinks: true });
  rmSync(cache, { recursive: true, force: true });
  renameSync(tmp, cache);
}

/** What of package.json an install depends on (its scripts and description do not change node_modules). */
function installInputs(path: string): string {
  const pkg = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const keys = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "overrides",
    "allowScripts",
    "engines",
  ];
  const scripts = (pkg.scripts ?? {}) as Record<string, string>;
  const lifecycle = ["preinstall", "install", "postinstall", "prepare"].map((k) => scripts[k]);
  return JSON.stringify([...keys.map((k) => pkg[k]), lifecycle]);
}

/** What the base image or skipped system-level steps provide (not the application's files). */
const SYSTEM_PATH = /^\/(usr|etc|var|opt|bin|lib)\//;

/** Builds every stage into `dir`; returns the stages (the last is the image). */
function assemble(dir: string): Stage[] {
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  for (const { op, args } of parseDockerfile(dockerfileText)) {
    if (op === "FROM") {
      const name = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length);
      stage = {
        name,
        root: join(dir, `stage-${stages.length}`),
        workdir: "/",
        env: {},
        expose: [],
        skipped: [],
      };
      mkdirSync(stage.root, { recursive: true });
      stages.push(stage);
      continue;
    }
    if (!stage) throw new Error(`${op} before FROM`);
    const s: Stage = stage;
    switch (op) {
      case "WORKDIR":
        s.workdir = posix.resolve(s.workdir, args);
        mkdirSync(inside(s, "."), { recursive: true });
        break;
      case "ENV":
        Object.assign(s.env, parseEnv(args));
        break;
      case "COPY": {
        const words = args.split(/\s+/);
        const flags = words.filter((w) => w.startsWith("--"));
        const [dest, ...srcs] = words.filter((w) => !w.startsWith("--")).reverse();
        const fromStage = flags.find((f) => f.startsWith("--from="))?.slice(7);
        const source = fromStage ? stages.find((x) => x.name === fromStage) : undefined;
        if (fromStage && !source) throw new Error(`COPY --from=${fromStage}: no such stage`);
        const destPath = inside(s, dest as string);
        const destIsDir = (dest as string).endsWith("/") || srcs.length > 1;
        for (const src of srcs.reverse()) {
          if (source && SYSTEM_PATH.test(src)) s.skipped.push(`COPY --from=${fromStage} ${src} (base image)`);
          else if (source) copyInto(inside(source, src), undefined, destPath, destIsDir);
          else copyInto(join(repoRoot, src), src, destPath, destIsDir);
        }
        break;
      }
      case "RUN": {
        const parts = args.split("&&").map((p) => p.trim());
        // npm's own commands run; system-level ones (apt-get, chown, npm install --global, npm
        // cache clean: it would empty this machine's cache) are skipped and listed.
        const npm = parts.filter((p) => /^(npm (ci|rebuild|run|prune|exec)|npx|node)\b/.test(p));
        s.skipped.push(...parts.filter((p) => !npm.includes(p)));
        if (npm.length) runNpm(s, npm);
        break;
      }
      case "CMD":
        s.cmd = commandArgv(args);
        break;
      case "HEALTHCHECK":
        if (/^NONE$/i.test(args)) s.healthcheck = "none";
        else {
          const at = args.search(/\bCMD\b/);
          s.healthcheck = commandArgv(args.slice(at + 3).trim());
        }
        break;
      case "EXPOSE":
        s.expose.push(...args.split(/\s+/));
        break;
      default:
        s.skipped.push(`${op} ${args}`);
    }
  }
  return stages;
}

// ------------------------------------------------------------------------- a network of its own

interface Netns {
  pid: number;
  /** Runs argv inside the namespace. */
  run(
    argv: string[],
    opts: { cwd: string; env: Record<string, string>; timeoutMs?: number },
  ): { status: number | null; out: string };
  spawn(argv: string[], opts: { cwd: string; env: Record<string, string> }): ChildProcess;
  close(): void;
}

async function netns(): Promise<Netns> {
  const holder = spawn("unshare", ["-n", "sleep", "3600"], { stdio: "ignore" });
  const pid = holder.pid as number;
  const own = readlinkSafe("/proc/self/ns/net");
  for (let i = 0; readlinkSafe(`/proc/${pid}/ns/net`) === own; i++) {
    if (i > 100 || holder.exitCode !== null) throw new Error("unshare -n did not make a network namespace");
    await new Promise((r) => setTimeout(r, 20));
  }
  const enter = (argv: string[]) => ["-t", String(pid), "-n", "--", ...argv];
  const up = spawnSync("nsenter", enter(["ip", "link", "set", "lo", "up"]), { encoding: "utf8" });
  if (up.status !== 0) throw new Error(`cannot bring up lo in the namespace: ${up.stderr}`);
  return {
    pid,
    run: (argv, { cwd, env, timeoutMs = 30_000 }) => {
      const r = spawnSync("nsenter", enter(argv), { cwd, env, encoding: "utf8", timeout: timeoutMs });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    },
    spawn: (argv, { cwd, env }) =>
      spawn("nsenter", enter(argv), { cwd, env, stdio: ["ignore", "pipe", "pipe"] }),
    close: () => {
      holder.kill("SIGKILL");
    },
  };
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}

// ------------------------------------------------------------------------- the test

const WRITE = "image-write-token-0123456789";
const READ = "image-read-token-0123456789";

describe("the image, assembled from the Dockerfile without Docker", () => {
  let dir: string;
  let image: Stage;
  let ns: Netns;
  let server: ChildProcess | undefined;
  let serverOut = "";
  let env: Record<string, string>;
  let cwd: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "procscope-image-"));
    const stages = assemble(dir);
    image = stages.at(-1) as Stage;
    cwd = inside(image, ".");
    // The image's environment (and a PATH to find node); nothing of this machine's leaks in.
    env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(dir, "home"), ...image.env };
    ns = await netns();
  }, 900_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server?.once("exit", r));
      server.kill("SIGTERM");
      await gone;
    }
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const dockerHealth = () => {
    if (!image.healthcheck || image.healthcheck === "none")
      throw new Error("the Dockerfile has no HEALTHCHECK");
    return ns.run(image.healthcheck, { cwd, env });
  };
  const composeHealth = () => {
    const test = compose.services.server?.healthcheck?.test;
    if (!Array.isArray(test) || test.length < 2)
      throw new Error("compose's server has no health check command");
    const argv = test[0] === "CMD-SHELL" ? ["/bin/sh", "-c", test.slice(1).join(" ")] : test.slice(1);
    return ns.run(argv as string[], { cwd, env });
  };

  it("holds exactly what the COPY lines copy: the CMD's entry point, package files, production deps only", () => {
    expect(image.cmd, "the image has a CMD").toBeDefined();
    const entry = (image.cmd as string[]).find((a) => /\.(ts|js|mjs)$/.test(a));
    expect(entry && existsSync(join(cwd, entry)), `${entry} in the image`).toBe(true);
    expect(existsSync(join(cwd, "node_modules"))).toBe(true);
    expect(existsSync(join(cwd, "node_modules", "vitest")), "dev dependencies are not in the image").toBe(
      false,
    );
    expect(existsSync(join(cwd, "test")), "tests are not in the image").toBe(false);
    console.log(`image: skipped (system-level) steps: ${image.skipped.join(" | ")}`);
  });

  it("both health checks fail while nothing listens (they can fail)", () => {
    expect(dockerHealth().status, "Dockerfile HEALTHCHECK with no server").not.toBe(0);
    expect(composeHealth().status, "compose server health check with no server").not.toBe(0);
  });

  it("the CMD starts the server; then the Dockerfile's and compose's health checks pass", async () => {
    server = ns.spawn(image.cmd as string[], {
      cwd,
      env: { ...env, API_TOKENS: `agent:write:${WRITE},reader:read:${READ}` },
    });
    server.stdout?.on("data", (c: Buffer) => {
      serverOut += c.toString();
    });
    server.stderr?.on("data", (c: Buffer) => {
      serverOut += c.toString();
    });
    const deadline = Date.now() + 30_000;
    let last = dockerHealth();
    while (last.status !== 0) {
      if (server.exitCode !== null)
        throw new Error(`the image's CMD exited ${server.exitCode}:\n${serverOut}`);
      if (Date.now() > deadline)
        throw new Error(`HEALTHCHECK never passed: ${last.out}\nserver:\n${serverOut}`);
      await new Promise((r) => setTimeout(r, 250));
      last = dockerHealth();
    }
    const viaCompose = composeHealth();
    expect(viaCompose.status, `compose's health check: ${viaCompose.out}\nserver:\n${serverOut}`).toBe(0);
    // And the port the image says it serves on is the one it serves on.
    for (const port of image.expose) {
      const probe = ns.run(
        [
          "node",
          "-e",
          `fetch('http://127.0.0.1:${port.split("/")[0]}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        { cwd, env },
      );
      expect(probe.status, `EXPOSE ${port}`).toBe(0);
    }
  });

  it("compose's agent command, run from the image, stores a sample on that server", () => {
    const command = compose.services.agent?.command;
    expect(Array.isArray(command), "compose's agent has a command").toBe(true);
    const argv = (command as string[]).map((a) => a.replace(/^http:\/\/server:/, "http://127.0.0.1:"));
    const spool = join(dir, "spool");
    const agent = ns.run([...argv, "--once", "--system-name", "image-agent", "--spool-dir", spool], {
      cwd,
      env: { ...env, PROCSCOPE_TOKEN: WRITE, PROCSCOPE_LOG_LEVEL: "info" },
      timeoutMs: 60_000,
    });
    expect(agent.status, agent.out).toBe(0);
    const read = ns.run(
      [
        "node",
        "-e",
        `fetch('http://127.0.0.1:${image.env.PORT ?? 8000}/api/systems/', { headers: { authorization: 'Bearer ${READ}' } }).then(r => r.text()).then(t => { console.log(t); })`,
      ],
      { cwd, env },
    );
    const body = JSON.parse(read.out) as { systems: { system_name: string; process_count: number }[] };
    const mine = body.systems.find((s) => s.system_name === "image-agent");
    expect(mine?.process_count, read.out).toBeGreaterThan(0);
  });
});
