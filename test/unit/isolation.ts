/**
 * Setup for the unit project: what `npm run test:unit` promises (no InfluxDB, no child processes,
 * no network) is enforced, not hoped for. A unit test that starts a process or opens a socket
 * fails with a message saying where such a test belongs.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";
import { Socket } from "node:net";

const refuse = (what: string) => () => {
  throw new Error(
    `${what} in a unit test: test/unit/ runs without child processes or network; ` +
      "move the test to test/api, test/agent, ... (npm test)",
  );
};

const childProcess: Record<string, unknown> = createRequire(import.meta.url)("node:child_process");
for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  childProcess[name] = refuse(`${name}()`);
}
syncBuiltinESMExports(); // `import { spawn } from "node:child_process"` sees the refusal too
Socket.prototype.connect = refuse("a network connection") as never;
globalThis.fetch = refuse("fetch()") as never;
