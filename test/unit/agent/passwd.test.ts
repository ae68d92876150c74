/** uid → user name from a passwd file, re-read only when it changed. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UserNames } from "../../../agent/collect/passwd.ts";

const dir = mkdtempSync(join(tmpdir(), "procscope-passwd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("UserNames", () => {
  it("names uids, the first entry winning; unknown uids and a missing file give the uid", () => {
    const path = join(dir, "passwd");
    writeFileSync(
      path,
      "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/a:/bin/sh\ntoor:x:0:0::/:/bin/sh\nbad\n",
    );
    const users = new UserNames(path);
    expect(users.name(0)).toBe("root");
    expect(users.name(1000)).toBe("alice");
    expect(users.name(4242)).toBe("4242");
    expect(new UserNames(join(dir, "missing")).name(0)).toBe("0");
  });

  it("re-reads the file after it changed", () => {
    const path = join(dir, "passwd2");
    writeFileSync(path, "alice:x:1000:1000::/:/bin/sh\n");
    const users = new UserNames(path);
    writeFileSync(path, "bob:x:1000:1000::/:/bin/sh\n");
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    users.refresh();
    expect(users.name(1000)).toBe("bob");
  });
});
