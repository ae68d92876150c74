/**
 * Writes openapi/openapi.json from the router, and openapi/types.ts (TypeScript types for
 * openapi-fetch, generated from that JSON by openapi-typescript): `npm run openapi`.
 * test/api/openapi.test.ts fails when either checked-in file differs from what this would write.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";
import { buildOpenApiDocument } from "../server/openapi.ts";

export const OPENAPI_PATH = join(import.meta.dirname, "openapi.json");
export const TYPES_PATH = join(import.meta.dirname, "types.ts");

export function renderOpenApi(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}

/** The types openapi-typescript generates from a rendered document. */
export async function renderTypes(json: string): Promise<string> {
  const header =
    "// Generated from openapi/openapi.json by openapi-typescript (`npm run openapi`). Do not edit.\n";
  return header + astToString(await openapiTS(json));
}

if (process.argv[1] === import.meta.filename) {
  const json = renderOpenApi();
  writeFileSync(OPENAPI_PATH, json);
  writeFileSync(TYPES_PATH, await renderTypes(json));
  process.stdout.write(`wrote ${OPENAPI_PATH} and ${TYPES_PATH}\n`);
}
