/**
 * The API's error vocabulary: what a client did wrong, what storage could not do, and the one JSON
 * body every REST error has (documented as the `Error` schema of the OpenAPI document).
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";

export interface FieldError {
  path: string;
  message: string;
}

/** Carried as the cause of a BAD_REQUEST: the fields that were wrong, for the JSON error body. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message);
  }
}

export function badRequest(message: string, errors: FieldError[] = []): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message, cause: new InputError(message, errors) });
}

export function fieldError(path: string, message: string): TRPCError {
  return badRequest(`${path}: ${message}`, [{ path, message }]);
}

/** zod issues → field errors with dotted paths ("processes.3.cpu_percent"). */
export function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(body)",
    message: issue.message,
  }));
}

/**
 * A client-supplied value as it may appear in a message: quoted, and cut to `max` characters (an
 * 8 000-character parameter must not come back in every error about it).
 */
export function echo(value: string, max = 64): string {
  const chars = Array.from(value);
  const shown = chars.length <= max ? value : `${chars.slice(0, max).join("")}…`;
  return chars.length <= max
    ? JSON.stringify(shown)
    : `${JSON.stringify(shown)} (${chars.length} characters)`;
}

/** Longest message an error body carries; anything longer is cut (a backstop behind `echo`). */
const MAX_MESSAGE_CHARS = 512;

export function cutMessage(message: string): string {
  return message.length <= MAX_MESSAGE_CHARS ? message : `${message.slice(0, MAX_MESSAGE_CHARS)}…`;
}

/** The `code` of each error status, as tRPC names them (431 has no tRPC name). */
export const ERROR_CODES = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  408: "TIMEOUT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
  500: "INTERNAL_SERVER_ERROR",
  503: "SERVICE_UNAVAILABLE",
} as const;
export type ErrorStatus = keyof typeof ERROR_CODES;

/** The JSON body of every REST error (tRPC wraps the same fields in its own envelope). */
export const ErrorBody = z
  .object({
    success: z.literal(false),
    code: z.enum(Object.values(ERROR_CODES)).describe("What kind of error, as tRPC names it"),
    message: z.string().describe("What went wrong, for a person"),
    errors: z
      .array(
        z.object({
          path: z.string().describe('The field, dotted: "processes.3.cpu_percent"'),
          message: z.string(),
        }),
      )
      .optional()
      .describe("Each field that was wrong (400 only)"),
  })
  .meta({
    id: "Error",
    examples: [
      {
        success: false,
        code: "BAD_REQUEST",
        message: "processes.1.cpu_percent: Too small: expected number to be >=0",
        errors: [{ path: "processes.1.cpu_percent", message: "Too small: expected number to be >=0" }],
      },
    ],
  });

/** An error answer built outside tRPC (body reading, routing): the same fields as every other. */
export function errorBody(status: ErrorStatus, message: string, errors?: FieldError[]) {
  return { success: false as const, code: ERROR_CODES[status], message, ...(errors ? { errors } : {}) };
}
