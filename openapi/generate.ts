/**
 * Writes openapi/openapi.json from the router (`npm run openapi`). test/api/openapi.test.ts fails
 * when the checked-in file differs from what this would write.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildOpenApiDocument } from "../server/openapi.ts";

export const OPENAPI_PATH = join(import.meta.dirname, "openapi.json");

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

if (process.argv[1] === import.meta.filename) {
  writeFileSync(OPENAPI_PATH, renderOpenApi());
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
