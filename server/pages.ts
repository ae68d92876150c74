/**
 * Pages of a list answer: links to the same query's other pages, and their numbers. A link is the
 * REST URL of the validated input (never the request's own URL or Host header, which a client
 * chooses): absolute under PUBLIC_URL, else relative to the server's root. The numbers are what a
 * tRPC client passes back as `page`.
 */
export interface Pages {
  next: string | null;
  previous: string | null;
  next_page: number | null;
  previous_page: number | null;
}

function link(path: string, input: object, page: number, publicUrl: string | undefined): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...input, page })) {
    if (value !== undefined) query.set(key, String(value));
  }
  const relative = `${path.replace(/^\//, "")}?${query}`;
  return publicUrl
    ? new URL(relative, publicUrl.endsWith("/") ? publicUrl : `${publicUrl}/`).toString()
    : `/${relative}`;
}

/** `path` is the REST path ("/api/filter-processes/"); `page` counts from 1 up to `lastPage`. */
export function pages(
  path: string,
  input: object,
  page: number,
  lastPage: number,
  publicUrl: string | undefined,
): Pages {
  const next = page < lastPage ? page + 1 : null;
  const previous = page > 1 ? Math.min(page - 1, lastPage) : null;
  return {
    next: next === null ? null : link(path, input, next, publicUrl),
    previous: previous === null ? null : link(path, input, previous, publicUrl),
    next_page: next,
    previous_page: previous,
  };
}
