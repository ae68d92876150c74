/**
 * The OpenAPI document, generated from the router (and checked in as openapi/openapi.json).
 *
 * trpc-to-openapi writes each operation's parameters, body and success schema from the zod
 * schemas; what it cannot know comes from each procedure's metadata (server/trpc.ts `Meta`): the
 * success status, and the error answers. Every operation documents exactly the statuses it can
 * give, each with the one error body the server sends (`Error`), and nothing it cannot
 * (test/api/conformance.test.ts proves both directions against a real server).
 */
import { generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import { ERROR_CODES, ErrorBody, type ErrorStatus } from "./errors.ts";
import { appRouter, procedureMeta } from "./router.ts";
import type { Meta } from "./trpc.ts";

export const FILTER_ALIAS = "/api/process-filter";

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const RETRY_AFTER = {
  "Retry-After": {
    description: "Seconds to wait before trying again",
    schema: { type: "integer", minimum: 1, example: 5 },
  },
};

type OperationErrors = Partial<Record<ErrorStatus, { description: string; example: string }>>;

/** The errors an operation can answer: its own (metadata) and those of its scope and method. */
function operationErrors(meta: Meta): OperationErrors {
  const out: OperationErrors = {};
  if (meta.errors?.[400])
    out[400] = { description: meta.errors[400], example: "from: must be earlier than to" };
  out[401] = {
    description: "No valid API token (only when API tokens are configured)",
    example: "A valid API token is required (Authorization: Bearer <token>).",
  };
  out[403] = {
    description: `The token does not have the "${meta.scope}" scope`,
    example: `This token does not have the "${meta.scope}" scope.`,
  };
  if (meta.errors?.[404]) {
    out[404] = {
      description: meta.errors[404],
      example: "No process found with the specified name on the system.",
    };
  }
  if (meta.openapi?.method === "POST") {
    out[413] = {
      description: "The body is larger than MAX_BODY_BYTES",
      example: "Request body too large: more than 5242880 bytes",
    };
    out[415] = {
      description: "The body is not labelled application/json",
      example: 'Content-Type must be application/json (got "text/plain")',
    };
  }
  if (meta.scope === "write") {
    out[429] = {
      description:
        "More than WRITE_RATE_PER_MINUTE writes for this token: nothing was stored; retry after Retry-After",
      example: "Too many writes for this token; retry in 2 s.",
    };
  }
  if (meta.storage === false) return out;
  out[503] = {
    description:
      meta.scope === "write"
        ? "Storage is unavailable: nothing was stored; retry after Retry-After (an agent keeps the sample)"
        : "Storage is unavailable; retry after Retry-After",
    example: "storage unavailable",
  };
  return out;
}

/** The first 400 examples per operation, worded as the server words them. */
const BAD_REQUEST_EXAMPLES: Record<string, { message: string; errors: { path: string; message: string }[] }> =
  {
    "process.submit": {
      message: "System name and processes are required.",
      errors: [{ path: "system_name", message: "required" }],
    },
    "process.filter": {
      message: 'page_size: given 2 times ("1", "2"); give it once',
      errors: [{ path: "page_size", message: 'given 2 times ("1", "2"); give it once' }],
    },
    "process.duration": {
      message: "Both system name and process name are required.",
      errors: [{ path: "process_name", message: "required" }],
    },
  };

export function buildOpenApiDocument(baseUrl = "/"): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: "procscope API",
    version: "1.0.0",
    description:
      "Process monitoring: agents submit samples, clients ask which processes ran in a time-of-day " +
      "window and how long a process has been running. The same procedures are served as tRPC at /trpc. " +
      "Every error answer is JSON with the `Error` schema. Besides the statuses listed for each " +
      "operation, any request can be answered 408 (not received within REQUEST_TIMEOUT_MS) or 431 " +
      "(header fields too large) before it reaches an operation.",
    baseUrl,
    docsUrl: "/docs",
    defs: { Error: ErrorBody },
  });
  const paths = doc.paths ?? {};
  for (const name of Object.keys(appRouter._def.procedures)) {
    const meta = procedureMeta(name);
    if (!meta?.openapi) continue;
    const path = meta.openapi.path.replace(/\/$/, "");
    const method = meta.openapi.method.toLowerCase() as "get" | "post";
    const operation = paths[path]?.[method];
    if (!operation?.responses) continue;
    const success = operation.responses["200"];
    const responses: Record<string, unknown> = { [String(meta.successStatus ?? 200)]: success };
    for (const [status, { description, example }] of Object.entries(operationErrors(meta))) {
      const code = ERROR_CODES[Number(status) as ErrorStatus];
      const bad = status === "400" ? BAD_REQUEST_EXAMPLES[name] : undefined;
      responses[status] = {
        description,
        ...(status === "429" || status === "503" ? { headers: RETRY_AFTER } : {}),
        content: {
          "application/json": {
            schema: ERROR_REF,
            example: bad ? { success: false, code, ...bad } : { success: false, code, message: example },
          },
        },
      };
    }
    operation.responses = responses;
    // trpc-to-openapi leaves an optional parameter's description inside its schema only.
    for (const parameter of (operation.parameters ?? []) as {
      description?: string;
      schema?: { description?: string };
    }[]) {
      parameter.description ??= parameter.schema?.description;
    }
  }
  // trpc-to-openapi's own error schemas describe a body this server never sends.
  const schemas = doc.components?.schemas ?? {};
  for (const key of Object.keys(schemas)) if (key.startsWith("error.")) delete schemas[key];

  // The old service answered the filter at two paths; the second is an alias of the first.
  const filter = paths["/api/filter-processes"];
  if (filter?.get) {
    doc.paths = {
      ...paths,
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
