/** The API's error vocabulary: what a client did wrong, and what storage could not do. */
import { TRPCError } from "@trpc/server";
import type { z } from "zod";

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
