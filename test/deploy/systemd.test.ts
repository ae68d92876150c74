/**
 * deploy/procscope-agent.service: systemd accepts it (`systemd-analyze verify`), it keeps what the
 * docs promise (restart on failure, the spool under /var/lib, the token from a credential, an
 * unprivileged user, /proc left visible), and its command line and environment, run as written
 * (with /opt/procscope = this repository, %S and %d = temporary directories), take a sample and
 * store it on a real server that requires the token.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv } from "../../harness/stores.ts";

const repoRoot = resolve(import.meta.dirname, "..", "..");
const UNIT = join(repoRoot, "deploy", "procscope-agent.service");

/** The unit's [Service] settings: each key with every value it is given, in order. */
function serviceSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) {
      section = line;
      continue;
    }
    if (section !== "[Service]") continue;
    const at = line.indexOf("=");
    const key = line.slice(0, at);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1)]);
  }
  return settings;
}

const settings = serviceSettings(readFileSync(UNIT, "utf8"));
const one = (key: string) => {
  const values = settings.get(key) ?? [];
  expect(values, key).toHaveLength(1);
  return values[0] as string;
};

let server: ServerProcess;
let work: string;
const TOKEN = "systemd-credential-token";

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "procscope-systemd-"));
  execFileSync(process.execPath, ["--import", "tsx", "scripts/build.ts"], { cwd: repoRoot, stdio: "ignore" });
  server = await startServer({
    env: { ...sqliteEnv(join(work, "data")), API_TOKENS: `agent:read+write:${TOKEN}` },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("deploy/procscope-agent.service", () => {
  it("is a unit systemd accepts", () => {
    const out = spawnSync("systemd-analyze", ["verify", UNIT], { encoding: "utf8" });
    expect(out.error).toBeUndefined();
    expect(`${out.stdout}${out.stderr}`.trim()).toBe("");
    expect(out.status).toBe(0);
  });

  it("restarts on failure, keeps its spool under /var/lib, reads the token from a credential, runs unprivileged", () => {
    expect(one("Restart")).toBe("on-failure");
    expect(one("RestartPreventExitStatus")).toBe("2"); // bad options: restarting cannot help
    expect(one("DynamicUser")).toBe("yes");
    expect(one("StateDirectory")).toBe("procscope-agent"); // %S of a system unit: /var/lib
    const env = new Map((settings.get("Environment") ?? []).map((e) => e.split("=", 2) as [string, string]));
    expect(env.get("PROCSCOPE_SPOOL_DIR")).toBe("%S/procscope-agent/spool");
    expect(env.get("PROCSCOPE_TOKEN_FILE")).toBe("%d/token");
    expect(env.has("PROCSCOPE_TOKEN")).toBe(false);
    expect(one("LoadCredential")).toMatch(/^token:\/etc\/procscope\/agent\.token$/);
    // The agent must see every process: nothing that hides /proc entries.
    expect(settings.has("ProtectProc")).toBe(false);
    expect(settings.has("ProcSubset")).toBe(false);
  });

  it("runs the compiled agent as one process, and its command and environment store a sample", async () => {
    const argv = one("ExecStart").split(/\s+/);
    expect(argv[0]).toBe("/usr/bin/node");
    expect(argv.at(-1)).toBe("/opt/procscope/dist/agent.js");
    // As systemd would run it: /opt/procscope is this repository, %S and %d temporary directories.
    const state = join(work, "state");
    const credentials = join(work, "credentials");
    mkdirSync(credentials);
    writeFileSync(join(credentials, "token"), `${TOKEN}\n`, { mode: 0o600 });
    const expand = (v: string) => v.replaceAll("%S", state).replaceAll("%d", credentials);
    const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
    for (const e of settings.get("Environment") ?? []) {
      const [key, value] = e.split("=", 2) as [string, string];
      env[key] = expand(value);
    }
    env.PROCSCOPE_SERVER = server.url;
    const name = `systemd-${process.pid}`;
    // The node running these tests stands in for /usr/bin/node.
    const [, ...rest] = argv.map((a) => a.replace("/opt/procscope", repoRoot));
    const out = spawnSync(process.execPath, [...rest, "--once", "--system-name", name], {
      env,
      encoding: "utf8",
    });
    expect(out.status, out.stderr).toBe(0);
    const res = await fetch(`${server.url}/api/systems/`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const systems = (await res.json()) as { systems: { system_name: string; process_count: number }[] };
    expect(systems.systems.find((s) => s.system_name === name)?.process_count).toBeGreaterThan(0);
    // The spool directory was made where the unit says (under the state directory), empty now.
    expect(readdirSync(join(state, "procscope-agent", "spool"))).toEqual([]);
  });
});
