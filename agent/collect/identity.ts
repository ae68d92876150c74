/**
 * What rarely changes in a process's life, its user and its command line, read once per process
 * instance and re-read every `refreshEvery`-th sample (staggered by pid, so the cost is spread
 * evenly): /proc/<pid>/status is the most expensive file the collector reads, and this halves the
 * collector's CPU (see bench/agent.ts). An exec changes comm and so the key, forcing a re-read; a
 * setuid() or a rewritten command line without exec shows up within `refreshEvery` samples.
 */
export interface Identity {
  uid: number | undefined;
  command: string;
  argv0: string;
}

interface Entry {
  startTicks: number;
  comm: string;
  identity: Identity;
}

export class IdentityCache {
  private entries = new Map<number, Entry>();
  private next = new Map<number, Entry>();
  private sampleNo = 0;

  constructor(private readonly refreshEvery: number) {}

  /** The cached identity of process `pid` while its start time and comm hold, else `load()`. */
  get(pid: number, startTicks: number, comm: string, load: () => Identity): Identity {
    const cached = this.entries.get(pid);
    const due = (pid + this.sampleNo) % this.refreshEvery === 0;
    if (cached && cached.startTicks === startTicks && cached.comm === comm && !due) {
      this.next.set(pid, cached);
      return cached.identity;
    }
    const identity = load();
    this.next.set(pid, { startTicks, comm, identity });
    return identity;
  }

  /** Call after each sample: processes not seen in it are forgotten. */
  endSample(): void {
    this.entries = this.next;
    this.next = new Map();
    this.sampleNo += 1;
  }
}
