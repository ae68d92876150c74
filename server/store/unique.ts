/** One rule for both stores: a batch names each (name, pid) at most once. */
import { type SampleBatch, StorageRefusedError } from "./types.ts";

/**
 * Throws StorageRefusedError (400 naming `processes`) when two processes of the batch share a name
 * and a pid: they would claim one sample, and storing either would silently drop the other.
 */
export function assertUniqueProcesses(batch: SampleBatch): void {
  const seen = new Set<string>();
  for (const p of batch.processes) {
    const key = `${p.pid}\u0000${p.name}`;
    if (seen.has(key)) {
      throw new StorageRefusedError(
        `process (name ${JSON.stringify(p.name)}, pid ${p.pid}) appears twice in one batch`,
        "processes",
      );
    }
    seen.add(key);
  }
}
