/**
 * README.md and docs/*.md say what to run; this keeps them true. Every shell command in their
 * ```sh blocks is checked: npm scripts exist, files named exist, relative links resolve, and every
 * curl command against the local server is run as written (host and port aside) against a real
 * server on the embedded store, in document order, and must answer 2xx with JSON.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServerProcess, startServer } from "../../harness/server.ts";
import { sqliteEnv } from "../../harness/stores.ts";

const root = resolve(import.meta.dirname, "..", "..");
const docs = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts,
);

/** Shell commands of a document's ```sh blocks, continuation lines and multi-line quotes joined. */
function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    let pending = "";
    for (const line of (block[1] ?? "").split("\n")) {
      if (!pending && (line.trim() === "" || line.trim().startsWith("#"))) continue;
      pending += (pending ? "\n" : "") + line;
      const quotes = (pending.match(/'/g) ?? []).length;
      if (quotes % 2 === 0 && !pending.endsWith("\\")) {
        commands.push(pending.replace(/\s+#[^'\n]*$/, "").trim());
        pending = "";
      }
    }
  }
  return commands;
}

const perDoc = docs.map((doc) => ({ doc, text: readFileSync(join(root, doc), "utf8") }));

describe("README and docs", () => {
  it("have shell commands to check (the parser finds them)", () => {
    const readme = shellCommands(perDoc[0]?.text ?? "");
    expect(readme).toContain("npm install");
    expect(readme).toContain("npm test");
    expect(readme.filter((c) => c.startsWith("curl")).length).toBeGreaterThanOrEqual(4);
  });

  for (const { doc, text } of perDoc) {
    it(`${doc}: every npm script and file it names exists`, () => {
      const missing: string[] = [];
      for (const command of shellCommands(text)) {
        for (const m of command.matchAll(/\bnpm run ([\w:-]+)/g)) {
          if (!scripts.includes(m[1] ?? "")) missing.push(`npm run ${m[1]} (${command})`);
        }
        for (const m of command.matchAll(
          /(?:^|\s)((?:agent|server|bench|scripts|test|openapi|client|console)\/[\w./-]+\.(?:ts|sh|js))/g,
        )) {
          if (!existsSync(join(root, m[1] ?? ""))) missing.push(`${m[1]} (${command})`);
        }
      }
      expect(missing).toEqual([]);
    });

    it(`${doc}: every relative link resolves`, () => {
      const broken: string[] = [];
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] ?? "";
        if (/^[a-z]+:/i.test(target)) continue;
        if (!existsSync(join(root, dirname(doc), target))) broken.push(target);
      }
      expect(broken).toEqual([]);
    });
  }
});

describe("README and docs: curl commands against a real server (embedded store)", () => {
  let server: ServerProcess;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "procscope-docs-"));
    server = await startServer({
      // The docs' examples carry fixed dates; the store keeps everything so that none is older than
      // its retention (which both stores refuse with a 400).
      // the compose stack's sample watches, so the status examples answer real states
      env: { ...sqliteEnv(dataDir), WATCHES_FILE: join(root, "deploy", "watches.yaml") },
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const curls = perDoc.flatMap(({ doc, text }) =>
    shellCommands(text)
      .filter((c) => /^curl\b/.test(c) && /(localhost|127\.0\.0\.1):8000/.test(c) && !c.includes("<"))
      .map((command) => ({ doc, command })),
  );

  it("finds the README's five (the API in four requests, and the watches' status)", () => {
    expect(curls.filter((c) => c.doc === "README.md")).toHaveLength(5);
  });

  for (const { doc, command } of curls) {
    it(`${doc}: ${command.split("\n")[0]}`, () => {
      const local = command
        .replace(/(localhost|127\.0\.0\.1):8000/g, `127.0.0.1:${server.port}`)
        .replace(/^curl\b/, "curl -sS -w '\\n%{http_code}'");
      const out = execFileSync("bash", ["-c", local], { encoding: "utf8", timeout: 15_000 });
      const lines = out.trimEnd().split("\n");
      const status = Number(lines.pop());
      const body = lines.join("\n");
      expect(status, body).toBeGreaterThanOrEqual(200);
      expect(status, body).toBeLessThan(300);
      expect(() => JSON.parse(body)).not.toThrow();
    });
  }
});
