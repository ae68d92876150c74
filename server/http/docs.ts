/** GET /docs: Swagger UI (served from the swagger-ui-dist package, no CDN) rendering /openapi.json. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const assetsDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** Files of swagger-ui-dist that /docs serves, by name. */
const FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

/** The page's own script, served as a file so that the policy below needs no inline script. */
const INIT_JS = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });\n`;

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
  <script src="/docs/init.js"></script>
</body>
</html>
`;

/**
 * Headers of every /docs answer: the page runs only scripts from this origin (none inline), talks
 * only to this origin, is never framed (clickjacking) and never sniffed as another type. Swagger
 * UI styles elements inline, hence 'unsafe-inline' for styles only; its icons are data: images.
 */
export const DOCS_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** Whether `name` is one of the assets /docs serves (own names only: never "constructor", ...). */
export function isDocsAsset(name: string): boolean {
  return name === "init.js" || Object.hasOwn(FILES, name);
}

/** The asset's bytes and content type, or undefined when `name` is not one of ours. */
export async function docsAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  if (name === "init.js") return { body: Buffer.from(INIT_JS), type: "text/javascript; charset=utf-8" };
  if (!Object.hasOwn(FILES, name)) return undefined;
  return { body: await readFile(join(assetsDir, name)), type: FILES[name] as string };
}
