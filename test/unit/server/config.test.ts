/** The server's configuration: defaults, and every bad variable named (never a secret's value). */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../server/config.ts";
import { loadStartOptions, START_DEFAULTS } from "../../../server/start-options.ts";

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("loadConfig", () => {
  it("has the documented defaults; empty variables count as unset", () => {
    const config = loadConfig({ PORT: "", TZ: "" });
    expect(config).toMatchObject({
      PORT: 8000,
      HOST: "127.0.0.1",
      DATA_DIR: "./data",
      TZ: "UTC",
      RETENTION_DAYS: 30,
      HISTORY_RETENTION_DAYS: 400,
      MAX_BODY_BYTES: 5 * 1024 * 1024,
      DEFAULT_PAGE_SIZE: 1000,
      MAX_PAGE_SIZE: 10_000,
      RUN_GAP_SECONDS: 15,
      WRITE_RATE_PER_MINUTE: 6000,
      ALLOW_UNAUTHENTICATED: false,
      corsOrigins: [],
    });
    expect(config.INFLUX_URL).toBeUndefined();
    expect(config.tokens.enabled).toBe(false);
  });

  it("parses numbers, flags and lists", () => {
    const config = loadConfig({
      PORT: "0",
      RETENTION_DAYS: "7",
      ALLOW_UNAUTHENTICATED: "true",
      CORS_ORIGINS: " https://a.example, ,https://b.example",
      TZ: "Europe/Berlin",
    });
    expect(config).toMatchObject({
      PORT: 0,
      RETENTION_DAYS: 7,
      ALLOW_UNAUTHENTICATED: true,
      TZ: "Europe/Berlin",
    });
    expect(config.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
  });

  it("names every bad variable at once", () => {
    expect(problems({ PORT: "eighty", TZ: "Nowhere/City", RETENTION_DAYS: "0" })).toEqual([
      "PORT: Invalid input: expected number, received NaN",
      "TZ: not a known IANA time zone",
      "RETENTION_DAYS: Too small: expected number to be >=1",
    ]);
  });

  it("refuses unsafe or inconsistent combinations", () => {
    expect(problems({ HOST: "0.0.0.0" })[0]).toMatch(/^HOST: listening on 0.0.0.0 with no API tokens/);
    expect(problems({ HOST: "0.0.0.0", ALLOW_UNAUTHENTICATED: "1" })).toEqual([]);
    expect(problems({ INFLUX_URL: "http://influxdb:8086" })).toEqual([
      "INFLUX_TOKEN: required when INFLUX_URL is set",
    ]);
    expect(problems({ DEFAULT_PAGE_SIZE: "500", MAX_PAGE_SIZE: "100" })).toEqual([
      "DEFAULT_PAGE_SIZE: must not exceed MAX_PAGE_SIZE",
    ]);
    const secret = "broken-entry-with-a-secret";
    const bad = problems({ API_TOKENS: secret });
    expect(bad).toEqual(["API_TOKENS: entry 1: expected name:scopes:token"]);
  });
});

describe("an entry point's own defaults and options", () => {
  it("loadConfig's defaults apply only where the environment says nothing", () => {
    expect(loadConfig({}, START_DEFAULTS).RETENTION_DAYS).toBe(7);
    expect(loadConfig({ RETENTION_DAYS: "" }, START_DEFAULTS).RETENTION_DAYS).toBe(7);
    expect(loadConfig({ RETENTION_DAYS: "90" }, START_DEFAULTS).RETENTION_DAYS).toBe(90);
    expect(loadConfig({}).RETENTION_DAYS).toBe(30);
  });

  it("npm start's options: the local agent on unless LOCAL_AGENT=0, its log level checked", () => {
    expect(loadStartOptions({})).toEqual({ LOCAL_AGENT: true, PROCSCOPE_LOG_LEVEL: "warn" });
    expect(
      loadStartOptions({ LOCAL_AGENT: "0", PROCSCOPE_TOKEN: "t", PROCSCOPE_LOG_LEVEL: "debug" }),
    ).toEqual({
      LOCAL_AGENT: false,
      PROCSCOPE_TOKEN: "t",
      PROCSCOPE_LOG_LEVEL: "debug",
    });
    expect(() => loadStartOptions({ LOCAL_AGENT: "yes", PROCSCOPE_LOG_LEVEL: "loud" })).toThrow(ConfigError);
    expect("LOCAL_AGENT" in loadConfig({ LOCAL_AGENT: "0" })).toBe(false);
  });
});
