/** Systems: every system that reported within retention, when it last did, and whether it went silent. */
import { client, type SystemInfo } from "../api.ts";
import { href } from "../route.ts";
import { showSpan, showTime } from "../time.ts";
import { Show, TableBox, useLoad } from "../ui.tsx";

/** No sample for this long and a system counts as silent (agents sample every 5 s by default). */
const SILENT_AFTER_S = 60;

export function silentFor(system: SystemInfo, now: number): number | undefined {
  const ago = (now - Date.parse(system.last_seen)) / 1000;
  return ago > SILENT_AFTER_S ? ago : undefined;
}

export function SystemsView({ zone }: { zone: string }) {
  const loaded = useLoad("systems", () => client.systems.list.query({}));
  return (
    <section aria-labelledby="systems-h">
      <h1 id="systems-h">Systems</h1>
      <Show loaded={loaded} what="systems">
        {({ systems }) => {
          const now = Date.now();
          if (systems.length === 0) {
            return <p>No system has reported yet. Start an agent, or `npm start` samples this machine.</p>;
          }
          const silent = systems.filter((s) => silentFor(s, now) !== undefined).length;
          return (
            <>
              <p class="muted">
                {systems.length} system{systems.length === 1 ? "" : "s"}; {silent} silent (no sample for over{" "}
                {SILENT_AFTER_S} s). Times in {zone}.
              </p>
              <TableBox label="Systems">
                <table class="data">
                  <thead>
                    <tr>
                      <th scope="col">System</th>
                      <th scope="col">Status</th>
                      <th scope="col">Last seen</th>
                      <th scope="col" class="num">
                        Processes
                      </th>
                      <th scope="col">First seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {systems.map((s) => {
                      const quiet = silentFor(s, now);
                      return (
                        <tr key={s.system_name}>
                          <td>
                            <a href={href("system", { name: s.system_name })}>{s.system_name}</a>
                          </td>
                          <td>
                            {quiet === undefined ? (
                              <span class="ok">reporting</span>
                            ) : (
                              <span class="warn">silent for {showSpan(quiet)}</span>
                            )}
                          </td>
                          <td>
                            <time dateTime={s.last_seen}>{showTime(s.last_seen, zone)}</time>
                          </td>
                          <td class="num">{s.process_count}</td>
                          <td>
                            <time dateTime={s.first_seen}>{showTime(s.first_seen, zone)}</time>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </TableBox>
            </>
          );
        }}
      </Show>
    </section>
  );
}
