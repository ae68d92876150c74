/**
 * Accepted means stored exactly: fast-check submissions (agent-like, with awkward text and edge
 * numbers) go to the real server on both doors and both stores. An oracle written here from the
 * documented contract — not the server's own zod schema — says which must be accepted; every
 * accepted one is read back through the API and compared with what was sent, field by field; every
 * refused one must be a 400 and leave nothing stored. A rule dropped from the schema (lone
 * surrogates let through and stored as U+FFFD) fails here even though the server "agrees with itself".
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORES, send, startTarget, type Target } from "./support.ts";

const RUNS = Number(process.env.ORACLE_RUNS ?? 60);
const MAX_INT = 2 ** 31 - 1;
const LAST_STORABLE_MS = 9_223_372_036_853;

// ------------------------------------------------------------------------- the oracle (the contract)

/** A UTF-16 string with no unpaired surrogate (storable as UTF-8 without change). */
function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
/** Lengths count Unicode code points ("characters"), not UTF-16 code units: U+1D160 is one. */
const chars = (s: string) => [...s].length;
const hasControl = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch === "\u007f");
const isLabel = (s: unknown, max: number, allowEmpty: boolean) =>
  typeof s === "string" &&
  chars(s) <= max &&
  (allowEmpty || chars(s) >= 1) &&
  !hasControl(s) &&
  wellFormed(s);
const isId = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_INT;
const isFiniteNonNeg = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0;

// biome-ignore lint/suspicious/noExplicitAny: submissions are arbitrary by design
type Sub = any;

/** The documented contract (README / docs/api.md), written independently of server/schemas.ts. */
function contractAccepts(sub: Sub): boolean {
  if (!isLabel(sub.system_name, 255, false)) return false;
  if (!(Number.isInteger(sub.timestamp) && sub.timestamp >= 0 && sub.timestamp <= LAST_STORABLE_MS))
    return false;
  if (!Array.isArray(sub.processes) || sub.processes.length === 0) return false;
  return sub.processes.every(
    (p: Sub) =>
      isId(p.pid) &&
      isLabel(p.name, 255, false) &&
      isFiniteNonNeg(p.cpu_percent) &&
      isFiniteNonNeg(p.memory_percent) &&
      p.memory_percent <= 100 &&
      (p.memory_rss === undefined || (Number.isSafeInteger(p.memory_rss) && p.memory_rss >= 0)) &&
      (p.started_at === undefined ||
        (Number.isInteger(p.started_at) && p.started_at >= 0 && p.started_at <= 8.64e15)) &&
      (p.user === undefined || isLabel(p.user, 255, true)) &&
      (p.state === undefined || isLabel(p.state, 32, true)) &&
      (p.command === undefined ||
        (typeof p.command === "string" && chars(p.command) <= 4096 && wellFormed(p.command))) &&
      (p.parent_pid === undefined || isId(p.parent_pid)),
  );
}

/** What the API returns for an accepted process: ISO instants, no CR, empty strings absent. */
function expectedRow(system_name: string, timestamp: number, p: Sub): Record<string, unknown> {
  const text = (v: string | undefined) => (v ? v.replaceAll("\r", "") || undefined : undefined);
  const row: Record<string, unknown> = {
    system_name,
    pid: p.pid,
    name: p.name,
    cpu_percent: p.cpu_percent,
    memory_percent: p.memory_percent,
    timestamp: new Date(timestamp).toISOString(),
  };
  if (p.memory_rss !== undefined) row.memory_rss = p.memory_rss;
  if (p.started_at !== undefined) row.started_at = new Date(p.started_at).toISOString();
  for (const k of ["user", "command", "state"]) if (text(p[k]) !== undefined) row[k] = text(p[k]);
  if (p.parent_pid !== undefined) row.parent_pid = p.parent_pid;
  return row;
}

// ------------------------------------------------------------------------- the generators

/** Mostly what agents send; now and then one thing the contract refuses. */
const text = (max: number) =>
  fc.oneof(
    { weight: 60, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }) },
    {
      weight: 20,
      arbitrary: fc.constantFrom(
        "nginx: worker",
        'q"uo\\te',
        "x,y=z ",
        "Grüße 東京 🚀",
        "\u202Ertl",
        "zero\u200Bwidth",
        "\ufeffbom",
        "\udbff\udfff",
        "a\r\nb",
        "",
        "é".repeat(Math.min(max, 200)),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "\ud800",
        "x\udc00y",
        "ab\ud83d",
        "a\u0000b",
        "tab\t",
        "\u007f",
        "a".repeat(max + 1),
      ),
    },
  );
const num = fc.oneof(
  { weight: 60, arbitrary: fc.double({ min: 0, max: 400, noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-300, 100, 100.0001, -1, 1e308) },
);
const id = fc.oneof(
  { weight: 80, arbitrary: fc.integer({ min: 0, max: MAX_INT }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, MAX_INT + 1, 1.5) },
);

const processArb = (pid: number) =>
  fc.record(
    {
      pid: fc.oneof({ weight: 120, arbitrary: fc.constant(pid) }, { weight: 1, arbitrary: id }),
      name: text(255),
      cpu_percent: num,
      memory_percent: fc.oneof(
        { weight: 60, arbitrary: fc.double({ min: 0, max: 100, noNaN: true }) },
        { weight: 1, arbitrary: num },
      ),
      memory_rss: fc.oneof(
        { weight: 80, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
        { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, -4096, 0.5) },
      ),
      started_at: fc.integer({ min: 0, max: Date.UTC(2030, 0, 1) }),
      user: text(255),
      command: fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), text(4096)),
      state: text(32),
      parent_pid: id,
    },
    { requiredKeys: ["pid", "name", "cpu_percent", "memory_percent"] },
  );

// ------------------------------------------------------------------------- the property

describe.each(STORES)(
  "accepted submissions round-trip exactly, judged by an independent oracle (%s)",
  (kind) => {
    let target: Target;
    beforeAll(async () => {
      target = await startTarget(kind);
    });
    afterAll(() => target?.dispose());

    it(`${RUNS} submissions per door: accepted ⇔ the contract accepts, and stored field by field as sent`, async () => {
      let seq = 0;
      const tally = { accepted: 0, refused: 0, processes: 0 };
      const base = Date.now() - 86_400_000;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("rest", "trpc"),
          fc
            .integer({ min: 1, max: 12 })
            .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => processArb(1000 + i)))),
          fc.oneof({ weight: 30, arbitrary: fc.constant("ok") }, { weight: 1, arbitrary: text(255) }),
          async (door, processes, systemSuffix) => {
            seq += 1;
            const system_name =
              systemSuffix === "ok" ? `oracle-${kind}-${process.pid}-${seq}` : `${systemSuffix}`;
            const timestamp = base + seq * 1000;
            // What goes on the wire (JSON has no -0, no undefined): the oracle judges exactly that.
            const sub = JSON.parse(JSON.stringify({ system_name, timestamp, processes })) as Sub;
            // Same pid twice in one batch is one point rewritten: keep pids distinct so rows map 1:1.
            const pids = new Set(processes.map((p) => `${p.pid}/${p.name}`));
            fc.pre(pids.size === processes.length);
            const url =
              door === "rest"
                ? `${target.server.url}/api/process-data/`
                : `${target.server.url}/trpc/process.submit`;
            // A 503 (storage busy, on a loaded machine) means "again later", not a verdict: retry
            // as an agent would (the same batch is idempotent).
            let answer = await send(url, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(sub),
            });
            for (let retry = 0; answer.status === 503 && retry < 5; retry++) {
              await new Promise((r) => setTimeout(r, 500));
              answer = await send(url, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(sub),
              });
            }
            const should = contractAccepts(sub);
            const what = `${door} ${JSON.stringify(sub).slice(0, 400)} → ${answer.status} ${answer.text.slice(0, 300)}`;
            expect(answer.status, `the contract ${should ? "accepts" : "refuses"} this: ${what}`).toBe(
              should ? 201 : 400,
            );

            // Read back what the store holds for this system at this instant, through the API.
            const q = new URLSearchParams({
              system_name,
              from: new Date(timestamp).toISOString(),
              to: new Date(timestamp + 1).toISOString(),
              page_size: "10000",
            });
            const read = await send(`${target.server.url}/api/filter-processes/?${q}`);
            if (!should) {
              // A refused batch stores nothing (a system name that cannot be a query parameter is fine to skip).
              if (read.status === 200) expect(read.body.count, `refused but stored: ${what}`).toBe(0);
              tally.refused += 1;
              return;
            }
            expect(read.status, read.text).toBe(200);
            const order = (a: Sub, b: Sub) =>
              a.pid - b.pid || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
            const want = sub.processes.map((p: Sub) => expectedRow(system_name, timestamp, p)).sort(order);
            const got = [...read.body.data].sort(order);
            expect(got, `stored ≠ sent: ${what}`).toEqual(want);
            tally.accepted += 1;
            tally.processes += want.length;
          },
        ),
        {
          numRuns: RUNS * 2,
          endOnFailure: true,
          // Always tried first: lone surrogates in the optional text fields, on each door.
          examples: [
            ["rest", [{ pid: 1000, name: "a", cpu_percent: 1, memory_percent: 1, user: "u\ud800" }], "ok"],
            ["trpc", [{ pid: 1000, name: "b", cpu_percent: 1, memory_percent: 1, state: "\udc00s" }], "ok"],
            ["rest", [{ pid: 1000, name: "c", cpu_percent: 1, memory_percent: 1, command: "x\ud83d" }], "ok"],
            // 32 characters of 2 UTF-16 units each: at the limit in characters, over it in units.
            [
              "trpc",
              [{ pid: 1000, name: "d", cpu_percent: 1, memory_percent: 1, state: "\u{1D160}".repeat(32) }],
              "ok",
            ],
            [
              "rest",
              [{ pid: 1000, name: "e", cpu_percent: 1, memory_percent: 1, state: "\u{1D160}".repeat(33) }],
              "ok",
            ],
          ],
        },
      );
      console.log(
        `oracle (${kind}): ${tally.accepted} accepted (${tally.processes} processes compared), ${tally.refused} refused`,
      );
      expect(tally.accepted).toBeGreaterThan(RUNS / 4);
      expect(tally.refused).toBeGreaterThan(RUNS / 8);
    });
  },
);
