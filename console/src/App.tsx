import { useEffect, useState } from "preact/hooks";
import { onUnauthenticated, token } from "./api.js";
import { Audit } from "./pages/Audit.js";
import { Overview } from "./pages/Overview.js";
import { Runs } from "./pages/Runs.js";
import { Servers } from "./pages/Servers.js";
import { TaskDetail } from "./pages/TaskDetail.js";
import { TaskForm } from "./pages/TaskForm.js";
import { Tasks } from "./pages/Tasks.js";
import { useRoute, type Route } from "./route.js";
import { TokenPrompt } from "./TokenPrompt.js";
import { LiveIndicator } from "./live.js";
import { WhoBadge, WhoProvider } from "./role.js";
import { ZonePicker, ZoneProvider } from "./zone.js";

const NAV: [string, string, Route["page"][]][] = [
  ["#/", "Overview", ["overview"]],
  ["#/tasks", "Tasks", ["tasks", "task", "new-task", "edit-task"]],
  ["#/runs", "Runs", ["runs"]],
  ["#/servers", "Task servers", ["servers"]],
  ["#/audit", "Audit", ["audit"]],
];

function Page(props: { route: Route }) {
  const r = props.route;
  switch (r.page) {
    case "tasks":
      return <Tasks />;
    case "task":
      return <TaskDetail id={r.id!} />;
    case "new-task":
      return <TaskForm from={r.params.get("from") ?? undefined} />;
    case "edit-task":
      return <TaskForm id={r.id} />;
    case "runs":
      return <Runs params={r.params} />;
    case "servers":
      return <Servers />;
    case "audit":
      return <Audit params={r.params} />;
    default:
      return <Overview />;
  }
}

export function App() {
  const route = useRoute();
  // Asked for a token; whether one was refused since it was asked.
  const [ask, setAsk] = useState<{ refused: boolean }>();
  // Bumped when a token is saved, so the page loads again with it.
  const [session, setSession] = useState(0);
  useEffect(() => onUnauthenticated((refused) => setAsk((a) => ({ refused: refused || !!a?.refused }))), []);
  useEffect(() => {
    const name = NAV.find(([, , pages]) => pages.includes(route.page))?.[1] ?? "Overview";
    document.title = `${name} · easytask`;
  }, [route.page]);
  return (
    <ZoneProvider>
      {/* Keyed by the session: a token saved or forgotten loads everything again as its holder. */}
      <WhoProvider key={session}>
        <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
          Skip to content
        </a>
        <header>
          <span class="brand">easytask</span>
          <nav aria-label="Main">
            {NAV.map(([href, label, pages]) => (
              <a key={href} href={href} aria-current={pages.includes(route.page) ? "page" : undefined}>
                {label}
              </a>
            ))}
          </nav>
          <div class="header-tools">
            <WhoBadge />
            <LiveIndicator />
            <ZonePicker />
            {token.get() && (
              <button
                type="button"
                class="link"
                onClick={() => {
                  token.set("");
                  setSession((s) => s + 1);
                }}
              >
                Forget token
              </button>
            )}
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Page route={route} />
        </main>
      </WhoProvider>
      {ask && (
        <TokenPrompt
          refused={ask.refused}
          onSaved={() => {
            setAsk(undefined);
            setSession((s) => s + 1);
          }}
        />
      )}
    </ZoneProvider>
  );
}
