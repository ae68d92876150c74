/**
 * Hash routes: every view is a URL a person can bookmark and share, and the server only ever serves
 * "/". `#/system?name=web-1&range=6h` → { view: "system", params }.
 */
import { useEffect, useState } from "preact/hooks";

export type View = "systems" | "system" | "filter" | "process";

export interface Route {
  view: View | "unknown";
  path: string;
  params: URLSearchParams;
}

function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const views: Record<string, View> = {
    "/": "systems",
    "/system": "system",
    "/filter": "filter",
    "/process": "process",
  };
  return { view: views[path] ?? "unknown", path, params };
}

/** The href of a view with its parameters (undefined and empty values left out). */
export function href(view: View, params: Record<string, string | number | undefined> = {}): string {
  const path = view === "systems" ? "/" : `/${view}`;
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== "") query.set(k, String(v));
  }
  const qs = query.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

export function navigate(to: string): void {
  if (location.hash !== to) location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
