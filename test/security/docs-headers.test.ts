/**
 * /docs is a page a browser runs: every answer under it carries a Content-Security-Policy that
 * allows only this origin's own scripts (none inline) and no framing, and X-Content-Type-Options.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/log.ts";
import { SqliteStore } from "../../server/store/sqlite/store.ts";
import { type RunningApp, startApp } from "../support/app.ts";

describe("/docs headers", () => {
  let app: RunningApp;
  const dir = mkdtempSync(join(tmpdir(), "procscope-docs-"));
  beforeAll(async () => {
    app = await startApp(undefined, {
      store: new SqliteStore({ dataDir: dir, retentionDays: 30, log: createLogger("silent") }),
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the page and every asset it loads: CSP (own scripts only, no framing) and nosniff", async () => {
    const html = await (await fetch(`${app.url}/docs`)).text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    // No inline script: every <script> loads a file.
    expect(html.match(/<script>/g)).toBeNull();
    for (const path of ["/docs", "/docs/", ...assets]) {
      const res = await fetch(`${app.url}${path}`);
      await res.arrayBuffer();
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      const directives = new Map(
        csp.split(";").map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values] as [string, string[]];
        }),
      );
      expect(directives.get("default-src"), `${path}: ${csp}`).toEqual(["'none'"]);
      expect(directives.get("script-src"), `${path}: ${csp}`).toEqual(["'self'"]);
      expect(directives.get("frame-ancestors"), `${path}: ${csp}`).toEqual(["'none'"]);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
    }
  });
});
