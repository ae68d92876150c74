/** One sample's processes as a table: sortable by CPU, memory, name and uptime; searchable. */
import { useMemo, useState } from "preact/hooks";
import type { Sample } from "../api.ts";
import { href } from "../route.ts";
import { showBytes, showPercent, showSpan } from "../time.ts";
import { type SortDir, SortHeader, TableBox } from "../ui.tsx";

type Col = "name" | "pid" | "cpu" | "memory" | "uptime";

const uptimeOf = (row: Sample): number | undefined =>
  row.started_at === undefined ? undefined : (Date.parse(row.timestamp) - Date.parse(row.started_at)) / 1000;

const keyOf: Record<Col, (r: Sample) => number | string> = {
  name: (r) => r.name.toLowerCase(),
  pid: (r) => r.pid,
  cpu: (r) => r.cpu_percent,
  memory: (r) => r.memory_percent,
  uptime: (r) => uptimeOf(r) ?? -1,
};

export function ProcessTable({ rows, label, idPrefix }: { rows: Sample[]; label: string; idPrefix: string }) {
  const [sort, setSort] = useState<{ col: Col; dir: SortDir }>({ col: "cpu", dir: "descending" });
  const [search, setSearch] = useState("");
  const onSort = (col: string) =>
    setSort((s) => ({
      col: col as Col,
      dir:
        s.col === col
          ? s.dir === "ascending"
            ? "descending"
            : "ascending"
          : col === "name"
            ? "ascending"
            : "descending",
    }));
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const match = needle
      ? rows.filter(
          (r) =>
            r.name.toLowerCase().includes(needle) ||
            String(r.pid) === needle ||
            (r.user ?? "").toLowerCase().includes(needle) ||
            (r.command ?? "").toLowerCase().includes(needle),
        )
      : rows;
    const key = keyOf[sort.col];
    const sign = sort.dir === "ascending" ? 1 : -1;
    return [...match].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return (ka < kb ? -1 : ka > kb ? 1 : a.pid - b.pid) * sign;
    });
  }, [rows, sort, search]);
  const searchId = `${idPrefix}-search`;
  const system = rows[0]?.system_name;
  return (
    <div>
      <div class="toolbar">
        <label for={searchId}>Search</label>
        <input
          id={searchId}
          type="search"
          value={search}
          placeholder="name, pid, user or command"
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
        />
        <span class="muted" aria-live="polite">
          {shown.length} of {rows.length} processes
        </span>
      </div>
      <TableBox label={label} tall>
        <table class="data">
          <thead>
            <tr>
              <SortHeader label="Name" col="name" sort={sort} onSort={onSort} />
              <SortHeader label="PID" col="pid" sort={sort} onSort={onSort} numeric />
              <SortHeader label="CPU %" col="cpu" sort={sort} onSort={onSort} numeric />
              <SortHeader label="Memory %" col="memory" sort={sort} onSort={onSort} numeric />
              <th scope="col" class="num">
                RSS
              </th>
              <SortHeader label="Uptime" col="uptime" sort={sort} onSort={onSort} numeric />
              <th scope="col">User</th>
              <th scope="col">Command</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const up = uptimeOf(r);
              return (
                <tr key={r.pid}>
                  <td>
                    <a href={href("process", { name: r.name, system })}>{r.name}</a>
                  </td>
                  <td class="num">{r.pid}</td>
                  <td class="num">{showPercent(r.cpu_percent)}</td>
                  <td class="num">{showPercent(r.memory_percent)}</td>
                  <td class="num">{showBytes(r.memory_rss)}</td>
                  <td class="num">{up === undefined ? "" : showSpan(up)}</td>
                  <td>{r.user ?? ""}</td>
                  <td class="cmd" title={r.command}>
                    {r.command ?? ""}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableBox>
    </div>
  );
}
