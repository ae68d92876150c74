/** Small pieces every view uses: loading a call's result, showing errors, scrollable tables. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api } from "./api.ts";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "error"; message: string; status?: number }
  | { state: "done"; data: T };

/** Runs `load` through api() whenever `key` changes; stale answers are dropped. */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    let current = true;
    setResult({ state: "loading" });
    api(load).then(
      (data) => current && setResult({ state: "done", data }),
      (err: unknown) => {
        if (!current) return;
        if (err instanceof ApiError) setResult({ state: "error", message: err.message, status: err.status });
        else setResult({ state: "error", message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      current = false;
    };
  }, [key]);
  return result;
}

/** The API's own message for a refused request, or anything else that went wrong. */
export function ErrorBox({ message, status }: { message: string; status?: number | undefined }) {
  return (
    <p class="error" role="alert">
      {status ? <strong>{status}: </strong> : null}
      {message}
    </p>
  );
}

function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

/** Show `loaded`'s data with `render`, or its loading state / error. */
export function Show<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.state === "loading") return <Loading what={what} />;
  if (loaded.state === "error") return <ErrorBox message={loaded.message} status={loaded.status} />;
  return <>{children(loaded.data)}</>;
}

/** A table that scrolls sideways on a narrow screen; focusable so the keyboard can scroll it. */
export function TableBox({
  label,
  children,
  tall,
}: {
  label: string;
  children: ComponentChildren;
  tall?: boolean;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section class={tall ? "table-box tall" : "table-box"} tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

export type SortDir = "ascending" | "descending";

/** A column header that sorts its table; aria-sort tells which column and which way. */
export function SortHeader({
  label,
  col,
  sort,
  onSort,
  numeric,
}: {
  label: string;
  col: string;
  sort: { col: string; dir: SortDir };
  onSort: (col: string) => void;
  numeric?: boolean;
}) {
  const active = sort.col === col;
  return (
    <th scope="col" aria-sort={active ? sort.dir : "none"} class={numeric ? "num" : undefined}>
      <button type="button" class="sort" onClick={() => onSort(col)}>
        {label}
        <span aria-hidden="true">{active ? (sort.dir === "ascending" ? " ▲" : " ▼") : ""}</span>
      </button>
    </th>
  );
}
