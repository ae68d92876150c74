/** Waiting for something that becomes true by itself (a server up, a row stored), without sleeps. */

export interface PollOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Between attempts (default 100 ms). */
  intervalMs?: number;
  /** Checked before each attempt: a reason to stop waiting at once (e.g. the process died). */
  giveUp?: () => string | undefined;
}

/**
 * Calls `attempt` until it returns a value other than undefined, and returns that value. An
 * attempt that throws counts as "not yet" (a connection refused while a server starts); its error
 * is in the message when time runs out.
 */
async function pollUntil<T>(
  what: string,
  attempt: () => Promise<T | undefined> | T | undefined,
  opts: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    const reason = opts.giveUp?.();
    if (reason !== undefined) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last === undefined ? "" : ` (last error: ${(last as Error).message ?? String(last)})`;
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Until `url` answers 2xx (each try bounded to 1 s). */
export function untilOk(url: string, opts: PollOptions = {}): Promise<true> {
  return pollUntil(
    `${url} to answer 2xx`,
    async () => ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok ? true : undefined),
    opts,
  );
}
