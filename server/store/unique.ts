/** One rule for both stores: a batch names each (name, pid) at most once. */
import { type SampleBatch, StorageRefusedError } from "./types.ts";

/**
 * Throws StorageRefusedError (400 naming `processes`) when two processes of the batch share a name
 * and a pid: they would claim one sample, and storing either would silently drop the other.
 */
export function assertUniqueProcesses(batch: SampleBatch): void {
  const [repeat] = repeatedProcesses(batch.processes);
  if (repeat) {
    const p = batch.processes[repeat.index];
    throw new StorageRefusedError(
      `process (name ${JSON.stringify(p?.name)}, pid ${p?.pid}) appears twice in one batch`,
      "processes",
    );
  }
}

/** Each process that repeats the (name, pid) of an earlier one: its index and the earlier one's. */
export function repeatedProcesses(
  processes: readonly { name: string; pid: number }[],
): { index: number; first: number }[] {
  const first = new Map<string, number>();
  const out: { index: number; first: number }[] = [];
  processes.forEach((p, index) => {
    const key = `${p.pid}\u0000${p.name}`;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, index);
    else out.push({ index, first: seen });
  });
  return out;
}
