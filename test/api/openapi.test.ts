/** The OpenAPI document: generated from the router, served, checked in, and rendered at /docs. */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPENAPI_PATH, renderOpenApi, renderTypes, TYPES_PATH } from "../../openapi/generate.ts";
import { call, type RunningApp, startApp } from "../support/app.ts";
import { storeTarget } from "../support/stores.ts";

describe("OpenAPI", () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp((await storeTarget("openapi")).env);
  });
  afterAll(() => app?.close());

  it("the checked-in openapi/openapi.json is what the router generates (run `npm run openapi`)", () => {
    expect(readFileSync(OPENAPI_PATH, "utf8")).toBe(renderOpenApi());
  });

  it("the checked-in openapi/types.ts is what openapi-typescript generates from it (run `npm run openapi`)", async () => {
    expect(readFileSync(TYPES_PATH, "utf8")).toBe(await renderTypes(readFileSync(OPENAPI_PATH, "utf8")));
  });

  it("GET /openapi.json serves the same document, with every REST path", async () => {
    const res = await call(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(readFileSync(OPENAPI_PATH, "utf8")));
    expect(Object.keys(res.body.paths).sort()).toEqual([
      "/api/filter-processes",
      "/api/process-data",
      "/api/process-duration",
      "/api/process-filter",
      "/api/process-runs",
      "/api/process-status",
      "/api/processes-at",
      "/api/systems",
      "/api/watches",
    ]);
    expect(res.body.paths["/api/process-data"].post.requestBody).toBeDefined();
  });

  it("GET /docs renders Swagger UI over /openapi.json, with its assets served locally", async () => {
    const page = await fetch(`${app.url}/docs`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    // The page's own script is a file too (its Content-Security-Policy allows no inline script).
    expect(html).toContain('<script src="/docs/init.js"></script>');
    expect(await (await fetch(`${app.url}/docs/init.js`)).text()).toContain('url: "/openapi.json"');
    for (const asset of ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"]) {
      expect(html).toContain(asset);
      const res = await fetch(`${app.url}${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await fetch(`${app.url}/docs/../package.json`)).status).toBe(404);
  });
});
