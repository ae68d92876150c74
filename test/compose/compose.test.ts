/**
 * docker-compose.yml and .env.example, parsed and checked: the four services, pinned images,
 * variables, mounts, health, start order, and the provisioning files against the mounts. The
 * server's and the agent's settings go through the code that will read them (loadConfig,
 * parseOptions), so a renamed variable or flag fails here rather than in production.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { parseOptions } from "../../agent/options.ts";
import { loadConfig } from "../../server/config.ts";
import { dashboardsDir, loadDashboardProviders, loadDataSources } from "../grafana/grafana.ts";
import {
  compose,
  envExample,
  environment,
  interpolate,
  interpolated,
  mounts,
  packageJson,
  repoRoot,
  type Service,
} from "./files.ts";

const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const vars = envExample();
/** A service's environment as the container gets it from `cp .env.example .env`. */
const resolvedEnv = (name: string) =>
  new Map([...environment(service(name))].map(([k, v]) => [k, interpolate(v, vars)] as [string, string]));
const dependsOn = (name: string) => service(name).depends_on as Record<string, { condition?: string }>;
const containerPorts = (name: string) =>
  (service(name).ports ?? []).map((p) => Number(String(p).split(":").at(-1)?.split("/")[0]));
/** The file a package.json `bin` entry runs (what the image's commands must start). */
const binTarget = (name: string): string => {
  const target = (packageJson as { bin?: Record<string, string> }).bin?.[name];
  if (!target) throw new Error(`package.json has no bin entry ${name}`);
  return target;
};
const asArgv = (command: Service["command"]) =>
  Array.isArray(command) ? command : String(command ?? "").split(/\s+/);

describe("docker-compose.yml", () => {
  it("has the four services", () => {
    expect(Object.keys(services).sort()).toEqual(["agent", "grafana", "influxdb", "server"]);
  });

  it("pins every image to a version (no latest, no bare name)", () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, `${name}: image`).toBeTruthy();
      const tag = String(s.image).split(":")[1];
      expect(tag, `${name}: ${s.image}`).toMatch(/^v?\d+\.\d+\.\d+/);
    }
    expect(service("influxdb").image).toMatch(/^influxdb:2\.\d+\.\d+$/); // the official 2.x image
    expect(service("grafana").image).toMatch(/^grafana\/grafana-oss:\d+\.\d+\.\d+$/); // the official OSS image
  });

  it("builds the server and the agent from the project's Dockerfile, tagged with the package version", () => {
    for (const name of ["server", "agent"]) {
      expect(service(name).build, name).toBe(".");
      expect(service(name).image, name).toBe(`procscope-${name}:${packageJson.version}`);
    }
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation syntax, not a JS template
  it("defines every ${VAR} it uses in .env.example, and uses every variable .env.example defines", () => {
    // Compose interpolates values, not comments: read the parsed file.
    const used = interpolated(JSON.stringify(compose));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(vars.has(name), `${name} is not in .env.example`).toBe(true);
    for (const name of vars.keys()) expect(used.has(name), `${name} in .env.example is unused`).toBe(true);
  });

  it("ships .env.example with placeholders that are obviously placeholders, yet valid", () => {
    for (const [name, value] of vars) {
      expect(value, name).not.toBe("");
      if (/PASSWORD|TOKEN/.test(name)) expect(value, name).toMatch(/^change-me-/);
    }
    // InfluxDB's setup needs an 8+ character password; the server refuses API tokens under 16.
    expect((vars.get("INFLUX_ADMIN_PASSWORD") ?? "").length).toBeGreaterThanOrEqual(8);
    for (const name of ["PROCSCOPE_AGENT_TOKEN", "PROCSCOPE_READ_TOKEN"]) {
      expect((vars.get(name) ?? "").length, name).toBeGreaterThanOrEqual(16);
    }
  });

  it("mounts only paths that exist in the repository, named volumes it declares, and host files read-only", () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        expect(posix.isAbsolute(m.target), `${name}: ${m.target}`).toBe(true);
        if (!m.bind) {
          expect(declared, `${name}: volume ${m.source}`).toContain(m.source);
        } else if (m.source.startsWith(".")) {
          expect(existsSync(join(repoRoot, m.source)), `${name}: ${m.source} is not in the repository`).toBe(
            true,
          );
          expect(m.readOnly, `${name}: ${m.source} is mounted read-write`).toBe(true);
        } else {
          // The host's own files: only the user database the agent names uids with, read-only.
          expect([name, m.source, m.readOnly]).toEqual(["agent", "/etc/passwd", true]);
        }
      }
    }
  });

  it("sets up InfluxDB on first start from the environment, with a volume and a health check", () => {
    const env = environment(service("influxdb"));
    expect(env.get("DOCKER_INFLUXDB_INIT_MODE")).toBe("setup");
    for (const key of ["USERNAME", "PASSWORD", "ORG", "BUCKET", "RETENTION", "ADMIN_TOKEN"]) {
      expect(env.get(`DOCKER_INFLUXDB_INIT_${key}`), key).toMatch(/\$\{\w+\}/);
    }
    expect(mounts(service("influxdb")).map((m) => m.target)).toContain("/var/lib/influxdb2");
    expect(resolvedEnv("influxdb").get("DOCKER_INFLUXDB_INIT_RETENTION")).toMatch(/^\d+d$/);
  });

  it("health-checks influxdb, grafana and the server, and starts each after what it needs is healthy", () => {
    for (const name of ["influxdb", "grafana", "server"]) {
      const hc = service(name).healthcheck;
      expect(hc?.disable, name).not.toBe(true);
      expect(Array.isArray(hc?.test) ? hc?.test.join(" ") : hc?.test, name).toMatch(/\S/);
    }
    expect(String(service("server").healthcheck?.test)).toMatch(/\/healthz/);
    expect(dependsOn("server").influxdb?.condition).toBe("service_healthy");
    expect(dependsOn("grafana").influxdb?.condition).toBe("service_healthy");
    expect(dependsOn("agent").server?.condition).toBe("service_healthy");
  });

  it("configures the server so that loadConfig accepts it: InfluxDB, 0.0.0.0 with API tokens", () => {
    const env = resolvedEnv("server");
    expect(env.get("HOST")).toBe("0.0.0.0");
    expect(env.get("INFLUX_URL")).toBe("http://influxdb:8086");
    // The watches file is mounted from the repository: read it there (and it must be valid).
    expect(service("server").volumes).toContain(`./deploy/watches.yaml:${env.get("WATCHES_FILE")}:ro`);
    env.set("WATCHES_FILE", "deploy/watches.yaml");
    // Every variable given to the server is one loadConfig reads (a misspelt one would be ignored).
    const read = new Set<string>();
    const config = loadConfig(
      new Proxy(Object.fromEntries(env), {
        get: (target, key) => {
          read.add(String(key));
          return target[String(key)];
        },
      }),
    );
    for (const key of env.keys()) expect(read, `the server does not read ${key}`).toContain(key);
    expect(config).toMatchObject({
      HOST: "0.0.0.0",
      PORT: 8000,
      INFLUX_URL: "http://influxdb:8086",
      INFLUX_TOKEN: vars.get("INFLUX_TOKEN"),
      INFLUX_ORG: vars.get("INFLUX_ORG"),
      INFLUX_BUCKET: vars.get("INFLUX_BUCKET"),
      RETENTION_DAYS: Number(vars.get("RETENTION_DAYS")),
    });
    expect(containerPorts("server")).toContain(8000);
    // The server and InfluxDB's setup agree on org, bucket and token.
    const influx = environment(service("influxdb"));
    const server = environment(service("server"));
    expect(server.get("INFLUX_TOKEN")).toBe(influx.get("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"));
    expect(server.get("INFLUX_ORG")).toBe(influx.get("DOCKER_INFLUXDB_INIT_ORG"));
    expect(server.get("INFLUX_BUCKET")).toBe(influx.get("DOCKER_INFLUXDB_INIT_BUCKET"));
    // Entries are name:scopes:${VAR}; the agent writes.
    const entries = String(server.get("API_TOKENS")).split(",");
    for (const e of entries) expect(e).toMatch(/^[\w-]+:(read|write|read\+write):\$\{\w+\}$/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation syntax, not a JS template
    expect(entries).toContain("agent:write:${PROCSCOPE_AGENT_TOKEN}");
  });

  it("runs the agent on the host's process table, pointed at the server with the write token", () => {
    const agent = service("agent");
    expect(agent.pid).toBe("host");
    const argv = asArgv(agent.command);
    const script = argv.findIndex((a) => a.endsWith(".js"));
    // The compiled agent, the package's procscope-agent (built into the image by npm run build),
    // with the same Node flags as the systemd unit (docs/agent.md: one flag set wherever it runs).
    const unit = readFileSync(join(repoRoot, "deploy", "procscope-agent.service"), "utf8");
    const unitArgv = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "").split(/\s+/);
    expect(unitArgv.length).toBeGreaterThan(2);
    expect(argv.slice(0, script + 1)).toEqual([
      "node",
      ...unitArgv.slice(1, -1),
      binTarget("procscope-agent"),
    ]);
    const env = resolvedEnv("agent");
    const read = new Set<string>();
    const parsed = parseOptions(argv.slice(script + 1), (name) => {
      read.add(name);
      return env.get(name);
    });
    for (const key of env.keys()) expect(read, `the agent does not read ${key}`).toContain(key);
    expect(parsed.kind).toBe("run");
    if (parsed.kind !== "run") return;
    expect(parsed.options).toMatchObject({
      server: "http://server:8000",
      token: vars.get("PROCSCOPE_AGENT_TOKEN"),
      systemName: vars.get("PROCSCOPE_SYSTEM_NAME"),
      intervalMs: Number(vars.get("PROCSCOPE_INTERVAL")) * 1000,
    });
    // The spool survives restarts: it lives in a named volume.
    const spool = mounts(agent).find((m) => !m.bind && parsed.options.spoolDir.startsWith(m.target));
    expect(spool, `spool ${parsed.options.spoolDir} is not in a volume`).toBeDefined();
    // The URL it is given is the server service's port.
    expect(containerPorts("server")).toContain(Number(new URL(parsed.options.server).port));
  });

  it("runs the server's entry point", () => {
    const argv = asArgv(service("server").command);
    expect(argv).toEqual(["node", binTarget("procscope-server")]);
  });
});

describe("Grafana provisioning against the compose mounts", () => {
  const grafana = service("grafana");
  const env = environment(grafana);
  const targetOf = (source: string) => mounts(grafana).find((m) => m.source === source)?.target;

  it("mounts the data source and dashboard provider directories where Grafana reads provisioning", () => {
    expect(targetOf("./grafana/provisioning/datasources")).toBe("/etc/grafana/provisioning/datasources");
    expect(targetOf("./grafana/provisioning/dashboards")).toBe("/etc/grafana/provisioning/dashboards");
  });

  it("passes every variable the data source file uses, pointing at the same InfluxDB as the server", () => {
    const [ds] = loadDataSources();
    const used = interpolated(JSON.stringify(ds));
    expect([...used].sort()).toEqual(["INFLUX_BUCKET", "INFLUX_ORG", "INFLUX_TOKEN", "INFLUX_URL"]);
    for (const name of used) expect(env.has(name), `grafana's environment lacks ${name}`).toBe(true);
    const server = environment(service("server"));
    for (const name of used) expect(env.get(name), name).toBe(server.get(name));
  });

  it("mounts the dashboards where the provider looks for them", () => {
    const [provider] = loadDashboardProviders();
    expect(targetOf("./grafana/dashboards")).toBe(provider?.options.path);
    expect(statSync(dashboardsDir).isDirectory()).toBe(true);
  });

  it("opens on a dashboard that exists", () => {
    const home = env.get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH") ?? "";
    const dir = targetOf("./grafana/dashboards") ?? "";
    expect(home.startsWith(`${dir}/`)).toBe(true);
    expect(existsSync(join(dashboardsDir, home.slice(dir.length + 1)))).toBe(true);
    expect(containerPorts("grafana")).toContain(3000);
  });
});
