/**
 * What one HTTP request may ask for, across every call of a tRPC batch: rows of samples and bytes
 * of answer. Procedures that return rows take from the request's budget before the rows are
 * serialised; past it, the call is refused with a 400 naming the parameter to lower. With the
 * calls per batch bounded as well (http/app.ts), one request's answer is bounded however it is built.
 */
import { fieldError } from "./errors.ts";

export interface BudgetLimits {
  /** Rows one request may return, all calls together. */
  rows: number;
  /** Bytes (estimated, see `jsonSize`) one request's answer may carry, all calls together. */
  bytes: number;
}

export class RequestBudget {
  private rows = 0;
  private bytes = 0;

  constructor(readonly limits: BudgetLimits) {}

  /** Reserves `n` rows for a call, before it queries; 400 naming `field` past the request's limit. */
  takeRows(n: number, field: string): void {
    if (this.rows + n > this.limits.rows) {
      throw fieldError(
        field,
        this.rows === 0
          ? `at most ${this.limits.rows} rows per request (asked for ${n})`
          : `at most ${this.limits.rows} rows per request, all calls of a batch together ` +
              `(${this.rows} already asked for, this call asks for ${n})`,
      );
    }
    this.rows += n;
  }

  /** Charges the answer's size; 400 naming `field` when the request's answer would be too large. */
  takeBytes(n: number, field: string): void {
    if (this.bytes + n > this.limits.bytes) {
      throw fieldError(
        field,
        `the answer would exceed ${this.limits.bytes} bytes per request (about ${this.bytes + n}); ` +
          `ask for fewer rows`,
      );
    }
    this.bytes += n;
  }
}

/**
 * A cheap upper-bound estimate of a value's JSON size, without serialising it: strings count 6
 * bytes per character that JSON escapes (control characters, quotes, backslashes) and 3 per
 * other non-ASCII UTF-16 unit, which is never less than what JSON.stringify then writes in UTF-8.
 */
export function jsonSize(value: unknown): number {
  if (typeof value === "string") {
    let n = 2;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      n += c < 0x20 || c === 0x22 || c === 0x5c ? 6 : c < 0x80 ? 1 : 3;
    }
    return n;
  }
  if (typeof value === "number") return 24;
  if (value === null || typeof value === "boolean" || value === undefined) return 5;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + jsonSize(v) + 1, 2);
  let n = 2;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) n += jsonSize(k) + jsonSize(v) + 2;
  return n;
}
