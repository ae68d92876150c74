/** Instants, calendar days in a zone, and how the console writes numbers and durations. */

export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const partsCache = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = partsCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsCache.set(zone, f);
  }
  return f;
}

/** Whether the browser knows `zone` as an IANA time zone. */
export function isZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of `ms` in `zone`. */
function wall(ms: number, zone: string) {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(ms))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return {
    y: p.year ?? 1970,
    mo: p.month ?? 1,
    d: p.day ?? 1,
    h: p.hour ?? 0,
    mi: p.minute ?? 0,
    s: p.second ?? 0,
  };
}

/** The zone's offset from UTC at `ms`, in milliseconds. */
function offset(ms: number, zone: string): number {
  const w = wall(ms, zone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - (ms - (((ms % 1000) + 1000) % 1000));
}

/** "YYYY-MM-DD" of `ms` in `zone`. */
export function dayOf(ms: number, zone: string): string {
  const w = wall(ms, zone);
  return `${w.y}-${String(w.mo).padStart(2, "0")}-${String(w.d).padStart(2, "0")}`;
}

/** "YYYY-MM-DDTHH:MM" of `ms` in `zone` (the value of a datetime-local input). */
export function localDateTime(ms: number, zone: string): string {
  const w = wall(ms, zone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${w.y}-${p(w.mo)}-${p(w.d)}T${p(w.h)}:${p(w.mi)}`;
}

/** The instant a wall-clock time ("YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]") has in `zone`. */
export function zonedInstant(local: string, zone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(local);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0"] = m;
  const asUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(asUtc)) return undefined;
  // Two passes settle the offset across a DST change.
  let ms = asUtc - offset(asUtc, zone);
  ms = asUtc - offset(ms, zone);
  return ms;
}

/** The calendar day after `day` ("YYYY-MM-DD"). */
export function nextDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

export const isoOf = (ms: number): string => new Date(ms).toISOString();

/** A time in `zone`, "YYYY-MM-DD HH:MM:SS". */
export function showTime(value: string | number, zone: string): string {
  const ms = typeof value === "number" ? value : Date.parse(value);
  const w = wall(ms, zone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${w.y}-${p(w.mo)}-${p(w.d)} ${p(w.h)}:${p(w.mi)}:${p(w.s)}`;
}

/** 3 d 4 h, 2 h 5 min, 4 min 10 s, 12 s. */
export function showSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function showBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export const showPercent = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));
