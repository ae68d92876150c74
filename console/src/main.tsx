/** The console's shell: navigation, the view for the URL, "reconnecting", and the token prompt. */
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { setConnectionHooks, tokenStore } from "./api.ts";
import { href, useRoute } from "./route.ts";
import { browserZone } from "./time.ts";
import { ErrorBox } from "./ui.tsx";
import { FilterView } from "./views/filter.tsx";
import { ProcessView } from "./views/process.tsx";
import { SystemView } from "./views/system.tsx";
import { SystemsView } from "./views/systems.tsx";

interface TokenAsk {
  reason: string;
  done: () => void;
}

function App() {
  const route = useRoute();
  const zone = browserZone();
  const [reconnecting, setReconnecting] = useState(false);
  const [ask, setAsk] = useState<TokenAsk>();
  // One prompt at a time, however many calls were refused together.
  const pending = useRef<Promise<void>>(undefined);
  useEffect(() => {
    setConnectionHooks({
      setReconnecting,
      askToken: (reason) => {
        pending.current ??= new Promise<void>((resolve) => {
          setAsk({
            reason,
            done: () => {
              pending.current = undefined;
              setAsk(undefined);
              resolve();
            },
          });
        });
        return pending.current;
      },
    });
  }, []);
  useEffect(() => {
    const title = { systems: "Systems", system: "System", filter: "Time-of-day filter", process: "Process" };
    document.title = `${route.view === "unknown" ? "Not found" : title[route.view]} · procscope`;
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [route.view, route.path]);
  const current = (view: string) => (route.view === view ? "page" : undefined);
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header>
        <a class="brand" href={href("systems")}>
          procscope
        </a>
        <nav aria-label="Views">
          <a href={href("systems")} aria-current={current("systems")}>
            Systems
          </a>
          <a href={href("filter")} aria-current={current("filter")}>
            Time-of-day filter
          </a>
          <a href="/docs">API reference</a>
        </nav>
      </header>
      {reconnecting ? (
        <p class="banner" role="status">
          Server unreachable: reconnecting…
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        {route.view === "systems" ? <SystemsView zone={zone} /> : null}
        {route.view === "system" ? (
          <SystemView key={route.params.toString()} params={route.params} zone={zone} />
        ) : null}
        {route.view === "filter" ? (
          <FilterView key={route.params.toString()} params={route.params} zone={zone} />
        ) : null}
        {route.view === "process" ? (
          <ProcessView key={route.params.toString()} params={route.params} zone={zone} />
        ) : null}
        {route.view === "unknown" ? (
          <ErrorBox status={404} message={`No view at ${route.path}. Start from Systems.`} />
        ) : null}
      </main>
      {ask ? <TokenDialog reason={ask.reason} onDone={ask.done} /> : null}
    </>
  );
}

function TokenDialog({ reason, onDone }: { reason: string; onDone: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState("");
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="token-h" onCancel={(e) => e.preventDefault()}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          tokenStore.set(value.trim());
          ref.current?.close();
          onDone();
        }}
      >
        <h2 id="token-h">This server needs a read token</h2>
        <p role="alert">{reason}</p>
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <p class="muted">Kept for this browser tab only (sessionStorage), never in a URL.</p>
        <button type="submit">Use token</button>
      </form>
    </dialog>
  );
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
