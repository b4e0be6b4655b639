import { useState } from "preact/hooks";
import type { AuditEntry } from "../../../gen/easytask/v1/cluster_pb.js";
import { api } from "../api.js";
import { Pager, ProblemBanner, Table } from "../components.js";
import { POLL_MS, usePoll } from "../usePoll.js";
import { Time } from "../zone.js";

const PAGE_SIZE = 50;

// "task:42" as a link to the task, other targets as they are.
function Target(props: { target: string }) {
  const task = /^task:(\d+)$/.exec(props.target);
  return task ? <a href={`#/tasks/${task[1]}`}>{props.target}</a> : <>{props.target}</>;
}

const SHORT = 60;

// A request or result: its start, opening to the whole of it.
function Json(props: { text: string }) {
  if (props.text.length <= SHORT) return <code>{props.text}</code>;
  return (
    <details>
      <summary>
        <code>{props.text.slice(0, SHORT)}…</code>
      </summary>
      <pre class="answer">{props.text}</pre>
    </details>
  );
}

function Entry(props: { entry: AuditEntry }) {
  const e = props.entry;
  return (
    <tr>
      <td data-label="When">
        <Time at={e.at} ago />
      </td>
      <td data-label="Who">{e.actor}</td>
      <td data-label="What">
        <code>{e.method.split("/")[1] ?? e.method}</code> <small class="muted">({e.protocol})</small>
      </td>
      <td data-label="About">
        {e.targets.map((t, i) => (
          <span key={t}>
            {i > 0 && ", "}
            <Target target={t} />
          </span>
        ))}
      </td>
      <td data-label="Request">
        <Json text={e.request} />
      </td>
      <td data-label="Result">
        <Json text={e.result} />
      </td>
    </tr>
  );
}

// Every change made through the API: who, what, about what, when.
export function Audit(props: { params: URLSearchParams }) {
  const [actor, setActor] = useState("");
  const [target, setTarget] = useState(props.params.get("target") ?? "");
  const [tokens, setTokens] = useState<string[]>([]);
  const log = usePoll(
    () => api.cluster.listAuditLog({ actor: actor.trim(), target: target.trim(), pageSize: PAGE_SIZE, pageToken: tokens.at(-1) ?? "" }),
    [actor, target, tokens.join()],
    tokens.length === 0 && POLL_MS,
  );
  const filter = (set: (v: string) => void) => (v: string) => {
    set(v);
    setTokens([]);
  };
  return (
    <section>
      <h1>Audit log</h1>
      <p class="muted">Every change made through the API, newest first, kept as long as the run history.</p>
      <form class="filters" role="search" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="audit-actor">Who (token name)</label>
          <input id="audit-actor" value={actor} onInput={(e) => filter(setActor)(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="audit-target">About</label>
          <input id="audit-target" value={target} aria-describedby="audit-target-hint" onInput={(e) => filter(setTarget)(e.currentTarget.value)} />
          <small id="audit-target-hint" class="hint">
            task:42 or task_server:name
          </small>
        </div>
      </form>
      <ProblemBanner problem={log.problem} />
      {log.data && log.data.entries.length === 0 && <p class="muted">No changes recorded{actor || target ? " that match" : ""}.</p>}
      {log.data && log.data.entries.length > 0 && (
        <Table label="Audit log" cards>
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
              <th>About</th>
              <th>Request</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {log.data.entries.map((e) => (
              <Entry key={String(e.auditId)} entry={e} />
            ))}
          </tbody>
        </Table>
      )}
      <Pager tokens={tokens} next={log.data?.nextPageToken ?? ""} onChange={setTokens} />
    </section>
  );
}
