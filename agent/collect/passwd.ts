/** uid → user name from /etc/passwd; `refresh()` (once per sample) re-reads it when it changed. */
import { readFileSync, statSync } from "node:fs";

export class UserNames {
  private names = new Map<number, string>();
  private loadedMtime = -1;

  constructor(private readonly path = "/etc/passwd") {
    this.refresh();
  }

  /** The user's name, or the uid as a string when /etc/passwd does not know it (LDAP, containers). */
  name(uid: number): string {
    return this.names.get(uid) ?? String(uid);
  }

  refresh(): void {
    let mtime: number;
    let text: string;
    try {
      mtime = statSync(this.path).mtimeMs;
      if (mtime === this.loadedMtime) return;
      text = readFileSync(this.path, "utf8");
    } catch {
      return;
    }
    const names = new Map<number, string>();
    for (const line of text.split("\n")) {
      const [name, , uid] = line.split(":");
      if (name && uid && /^\d+$/.test(uid) && !names.has(Number(uid))) names.set(Number(uid), name);
    }
    this.names = names;
    this.loadedMtime = mtime;
  }
}
