/** Options: flag, else environment variable, else default; bad values are named. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Options, parseOptions } from "../../../agent/options.ts";

const env =
  (vars: Record<string, string>) =>
  (name: string): string | undefined =>
    vars[name];
const host = () => "the-host";
const run = (argv: string[], vars: Record<string, string> = { HOME: "/home/u" }): Options => {
  const parsed = parseOptions(argv, env(vars), host);
  if (parsed.kind !== "run") throw new Error("expected options");
  return parsed.options;
};

describe("parseOptions", () => {
  it("has the documented defaults", () => {
    expect(run([])).toEqual({
      server: "http://127.0.0.1:8000",
      token: undefined,
      systemName: "the-host",
      intervalMs: 5000,
      once: false,
      dryRun: false,
      spoolDir: "/home/u/.local/state/procscope/spool",
      spoolMaxBytes: 100 * 1024 * 1024,
      timeoutMs: 10_000,
      logLevel: "info",
    });
    expect(run([], { XDG_STATE_HOME: "/state" }).spoolDir).toBe("/state/procscope/spool");
  });

  it("reads every option from its environment variable, and a flag beats it", () => {
    const vars = {
      PROCSCOPE_SERVER: "https://api.example:9000/",
      PROCSCOPE_TOKEN: "secret",
      PROCSCOPE_SYSTEM_NAME: "box 1",
      PROCSCOPE_INTERVAL: "2.5",
      PROCSCOPE_SPOOL_DIR: "/var/spool/p",
      PROCSCOPE_SPOOL_MAX_MB: "1",
      PROCSCOPE_LOG_LEVEL: "debug",
    };
    expect(run([], vars)).toMatchObject({
      server: "https://api.example:9000",
      token: "secret",
      systemName: "box 1",
      intervalMs: 2500,
      spoolDir: "/var/spool/p",
      spoolMaxBytes: 1024 * 1024,
      logLevel: "debug",
    });
    expect(run(["--interval", "1", "--system-name", "flag", "--once", "--dry-run"], vars)).toMatchObject({
      intervalMs: 1000,
      systemName: "flag",
      once: true,
      dryRun: true,
    });
  });

  it("names the option in every refusal", () => {
    expect(() => run(["--interval", "0"])).toThrow(/--interval/);
    expect(() => run(["--server", "ftp://x"])).toThrow(/--server/);
    expect(() => run(["--system-name", "a\nb"])).toThrow(/--system-name/);
    expect(() => run(["--log-level", "loud"])).toThrow(/--log-level/);
    expect(() => run(["--spool-max-mb", "-1"])).toThrow(/--spool-max-mb/);
    expect(() => run(["--nope"])).toThrow(/--nope/);
    expect(() => run([], {})).toThrow(/--spool-dir/);
  });

  it("needs no spool directory for a dry run", () => {
    expect(run(["--dry-run"], {}).spoolDir).toBe("");
  });

  it("reads the token from --token-file or PROCSCOPE_TOKEN_FILE (a systemd credential), trimmed", () => {
    const dir = mkdtempSync(join(tmpdir(), "procscope-token-"));
    try {
      const file = join(dir, "token");
      writeFileSync(file, "s3cret-token\n");
      expect(run(["--token-file", file]).token).toBe("s3cret-token");
      expect(run([], { HOME: "/home/u", PROCSCOPE_TOKEN_FILE: file }).token).toBe("s3cret-token");
      expect(() => run(["--token", "x", "--token-file", file])).toThrow(/not both/);
      expect(() => run(["--token-file", join(dir, "missing")])).toThrow(
        /--token-file: cannot read .*missing/,
      );
      writeFileSync(file, "\n");
      expect(() => run(["--token-file", file])).toThrow(/--token-file: .* alone, on one line/);
      writeFileSync(file, "two\nlines\n");
      expect(() => run(["--token-file", file])).toThrow(/--token-file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
