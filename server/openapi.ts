/** The OpenAPI document, generated from the router (and checked in as openapi/openapi.json). */
import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { appRouter } from "./router.ts";

export const FILTER_ALIAS = "/api/process-filter";

export function buildOpenApiDocument(baseUrl = "/"): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "procscope API",
    version: "1.0.0",
    description:
      "Process monitoring: agents submit samples, clients ask which processes ran in a time-of-day " +
      "window and how long a process has been running. The same procedures are served as tRPC at /trpc.",
    baseUrl,
    docsUrl: "/docs",
  });
  // The old service answered the filter at two paths; the second is an alias of the first.
  const filter = doc.paths?.["/api/filter-processes"];
  if (filter?.get) {
    doc.paths = {
      ...doc.paths,
      [FILTER_ALIAS]: {
        get: {
          ...filter.get,
          operationId: "process-filter-alias",
          description: "Alias of /api/filter-processes.",
        },
      },
    };
  }
  return doc;
}
