/** GET /docs: Swagger UI (served from the swagger-ui-dist package, no CDN) rendering /openapi.json. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const assetsDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>procscope API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });</script>
</body>
</html>
`;

/** The asset's bytes and content type, or undefined when `name` is not one of ours. */
export async function docsAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  const type = ASSETS[name];
  if (!type) return undefined;
  return { body: await readFile(join(assetsDir, name)), type };
}
