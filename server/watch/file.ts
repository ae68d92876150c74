/**
 * The watches file (WATCHES_FILE, docs/watches.md): which processes should run where. YAML read
 * with the `yaml` package (positions for messages), each entry validated with zod. Every problem
 * is reported, each naming the file, the entry (index, line, name) and the field.
 */
import { readFileSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";

/** A name matcher: exact, or a regular expression (written `/.../`) that must match the whole name. */
interface NameMatcher {
  /** As written in the file. */
  source: string;
  /** The exact name, when not a regular expression. */
  exact: string | undefined;
  test(name: string): boolean;
}

export interface Watch {
  /** Unique in the file: `name`, else the process_name as written. */
  name: string;
  process: NameMatcher;
  /** `all`, a list of names, or a regular expression. */
  systems: { all: true } | { all: false; names: string[] } | { all: false; pattern: NameMatcher };
  min_instances: number;
  /** Milliseconds the process may be missing before it is down; undefined = 3 sampling intervals. */
  for_ms: number | undefined;
  /** As written, for the API. */
  systems_source: string | string[];
  for_source: string | undefined;
}

/** The file cannot be used: one message per problem, each naming file, entry and field. */
export class WatchesFileError extends Error {
  override readonly name = "WatchesFileError";
  constructor(readonly problems: string[]) {
    super(`invalid watches file:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s", "1m30s", "500ms", "2h" → milliseconds; undefined if not a duration. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let at = 0;
  if (text.length === 0) return undefined;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    at = re.lastIndex;
  }
  return Math.round(total);
}

/** `/re/` or `/re/i` → a whole-name regular expression; otherwise an exact name. Throws on a bad regex. */
function matcher(source: string): NameMatcher {
  const m = /^\/(.+)\/(i?)$/s.exec(source);
  if (!m) return { source, exact: source, test: (name) => name === source };
  const re = new RegExp(`^(?:${m[1]})$`, `${m[2]}u`);
  return { source, exact: undefined, test: (name) => re.test(name) };
}

const regexProblem = (value: string): string | undefined => {
  try {
    matcher(value);
    return undefined;
  } catch (err) {
    return `invalid regular expression ${value}: ${(err as Error).message}`;
  }
};

const NameSpec = z
  .string()
  .min(1)
  .max(255)
  .superRefine((v, ctx) => {
    const problem = regexProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const Entry = z.strictObject({
  name: z.string().min(1).max(255).optional(),
  process_name: NameSpec,
  systems: z.union([NameSpec, z.array(z.string().min(1).max(255)).min(1)]),
  min_instances: z.number().int().min(1).max(100_000).default(1),
  for: z
    .union([z.string(), z.number().positive()])
    .optional()
    .superRefine((v, ctx) => {
      if (typeof v !== "string") return;
      const ms = parseDuration(v);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(v)} is not a duration like 30s, 2m or 1h30m`,
        });
      }
    }),
});

const FileShape = z.strictObject({ watches: z.array(z.unknown()).default([]) });

/** Parses the text of a watches file (`file` names it in messages); throws WatchesFileError. */
export function parseWatches(text: string, file: string): Watch[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new WatchesFileError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${file}${pos ? `:${pos.line}:${pos.col}` : ""}: ${e.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "")}`;
      }),
    );
  }
  const top = FileShape.safeParse(doc.toJS() ?? {});
  if (!top.success) {
    throw new WatchesFileError(
      top.error.issues.map(
        (i) =>
          `${file}: ${i.path.length ? `field ${i.path.join(".")}: ` : ""}${i.message} (expected a top-level "watches:" list)`,
      ),
    );
  }
  const seq = isMap(doc.contents) ? doc.contents.get("watches", true) : undefined;
  const lineOf = (index: number): string => {
    const node = isSeq(seq)
      ? (seq.items[index] as { range?: [number, number, number] } | undefined)
      : undefined;
    return node?.range ? `:${lines.linePos(node.range[0]).line}` : "";
  };
  const problems: string[] = [];
  const watches: Watch[] = [];
  const names = new Map<string, number>();
  top.data.watches.forEach((raw, index) => {
    const label = (name?: string) => `${file}${lineOf(index)}: entry ${index + 1}${name ? ` (${name})` : ""}`;
    const rawName =
      raw && typeof raw === "object" && "process_name" in raw
        ? String((raw as { process_name: unknown }).process_name)
        : undefined;
    const parsed = Entry.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path.length ? issue.path.join(".") : "";
        const message =
          issue.code === "unrecognized_keys"
            ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")} (allowed: name, process_name, systems, min_instances, for)`
            : issue.message;
        problems.push(`${label(rawName)}: ${field ? `field ${field}: ` : ""}${message}`);
      }
      return;
    }
    const e = parsed.data;
    const name = e.name ?? e.process_name;
    const earlier = names.get(name);
    if (earlier !== undefined) {
      problems.push(
        `${label(name)}: field name: ${JSON.stringify(name)} is also entry ${earlier + 1}'s name; give each watch a distinct name`,
      );
      return;
    }
    names.set(name, index);
    const systems: Watch["systems"] =
      typeof e.systems === "string"
        ? e.systems === "all"
          ? { all: true }
          : e.systems.startsWith("/")
            ? { all: false, pattern: matcher(e.systems) }
            : { all: false, names: [e.systems] }
        : { all: false, names: e.systems };
    watches.push({
      name,
      process: matcher(e.process_name),
      systems,
      min_instances: e.min_instances,
      for_ms:
        e.for === undefined
          ? undefined
          : typeof e.for === "number"
            ? Math.round(e.for * 1000)
            : parseDuration(e.for),
      systems_source: e.systems,
      for_source: e.for === undefined ? undefined : String(e.for),
    });
  });
  if (problems.length > 0) throw new WatchesFileError(problems);
  return watches;
}

/** Reads and parses the file; a file that cannot be read is one problem naming it. */
export function loadWatches(file: string): Watch[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new WatchesFileError([
      `${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    ]);
  }
  return parseWatches(text, file);
}

/** Whether a watch covers a system. */
export function coversSystem(watch: Watch, system: string): boolean {
  const s = watch.systems;
  if (s.all) return true;
  return "names" in s ? s.names.includes(system) : s.pattern.test(system);
}
