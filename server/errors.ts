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
