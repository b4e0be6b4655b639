import { useState } from "preact/hooks";
import type { Route, TaskServer } from "../../../gen/easytask/v1/registry_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Badge, Field, ProblemBanner, Table } from "../components.js";
import { plural } from "../format.js";
import { usePoll } from "../usePoll.js";
import { useMayChange } from "../role.js";
import { Time } from "../zone.js";

function health(r: Route): [string, string] {
  if (r.evictedAt) return ["bad", "evicted"];
  if (!r.isEnableHealthCheck) return ["", "not checked"];
  if (r.failedHealthChecks > 0) return ["busy", `${r.failedHealthChecks} failed`];
  if (!r.lastHeartbeatAt) return ["", "waiting"];
  return ["ok", "healthy"];
}

const url = (r: Route) => `${r.schema}://${r.host}:${r.port}`;

function AddRoute(props: { onAdded(message: string): void }) {
  const [f, setF] = useState({ name: "", schema: "http", host: "", port: "", callbackTimeoutSec: "", isEnableHealthCheck: true });
  const [problem, setProblem] = useState<Problem>();
  const set = (k: keyof typeof f) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    setF({ ...f, [k]: el.type === "checkbox" ? el.checked : el.value });
  };
  const submit = (e: Event) => {
    e.preventDefault();
    api.registry
      .addTaskServer({ name: f.name, schema: f.schema, host: f.host, port: Number(f.port) || 0, callbackTimeoutSec: Number(f.callbackTimeoutSec) || 0, isEnableHealthCheck: f.isEnableHealthCheck })
      .then(
        () => {
          setProblem(undefined);
          setF({ ...f, host: "", port: "" });
          props.onAdded(`Added ${f.schema}://${f.host}:${f.port} to ${f.name}.`);
        },
        (err) => setProblem(problemOf(err)),
      );
  };
  return (
    <form class="add-route" onSubmit={submit} noValidate aria-label="Add a route">
      <h2>Add a route</h2>
      <div class="form-grid">
        <Field label="Task server name" name="name" problem={problem}>
          {(a) => <input {...a} value={f.name} onInput={set("name")} />}
        </Field>
        <Field label="Scheme" name="schema" problem={problem}>
          {(a) => (
            <select {...a} value={f.schema} onChange={set("schema")}>
              <option value="http">http</option>
              <option value="https">https</option>
            </select>
          )}
        </Field>
        <Field label="Host" name="host" problem={problem}>
          {(a) => <input {...a} value={f.host} placeholder="10.0.0.5" onInput={set("host")} />}
        </Field>
        <Field label="Port" name="port" problem={problem}>
          {(a) => <input {...a} type="number" min="1" max="65535" value={f.port} onInput={set("port")} />}
        </Field>
        <Field label="Callback timeout (seconds, 0: 30)" name="callback_timeout_sec" problem={problem}>
          {(a) => <input {...a} type="number" min="0" value={f.callbackTimeoutSec} onInput={set("callbackTimeoutSec")} />}
        </Field>
        <div class="field check">
          <input id="f-health" type="checkbox" checked={f.isEnableHealthCheck} onChange={set("isEnableHealthCheck")} />
          <label for="f-health">Health-check it (heartbeats)</label>
        </div>
      </div>
      <ProblemBanner problem={problem} fieldsShown={["name", "schema", "host", "port", "callback_timeout_sec"]} />
      <button type="submit" class="primary">
        Add route
      </button>
    </form>
  );
}

function ServerRoutes(props: { server: TaskServer; onChanged(message: string): void; onProblem(p: Problem): void }) {
  const s = props.server;
  const mayChange = useMayChange();
  const fail = (err: unknown) => props.onProblem(problemOf(err));
  const remove = (r: Route) => {
    const evicted = !!r.evictedAt;
    const question = evicted ? `Dismiss the eviction of ${url(r)} from ${s.name}? The record of it goes; the route stays out.` : `Remove ${url(r)} from ${s.name}? It gets no more callbacks.`;
    if (!confirm(question)) return;
    api.registry
      .delTaskServer({ name: s.name, schema: r.schema, host: r.host, port: r.port })
      .then(() => props.onChanged(evicted ? `Dismissed the eviction of ${url(r)}.` : `Removed ${url(r)} from ${s.name}.`), fail);
  };
  const deleteServer = () => {
    if (!confirm(`Delete task server ${s.name} with its ${plural(s.routes.length, "route")}?`)) return;
    api.registry.deleteTaskServer({ name: s.name }).then(() => props.onChanged(`Deleted task server ${s.name}.`), fail);
  };
  const routes = [...s.routes, ...s.evictedRoutes];
  return (
    <section class="server" aria-label={`Task server ${s.name}`}>
      <div class="title-row">
        <h2>
          {s.name} <small class="muted">{plural(s.routes.length, "route")}</small> {s.signed && <Badge tone="ok">signed callbacks</Badge>}
        </h2>
        {mayChange && (
          <button type="button" class="danger" onClick={deleteServer}>
            Delete task server
          </button>
        )}
      </div>
      {routes.length === 0 ? (
        <p class="muted">No routes.</p>
      ) : (
        <Table label={`Routes of ${s.name}`} cards>
          <thead>
            <tr>
              <th>Route</th>
              <th>Health</th>
              <th>Last heartbeat</th>
              <th>Timeout</th>
              <th>Evicted</th>
              {mayChange && (
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {routes.map((r) => {
              const [tone, word] = health(r);
              const action = r.evictedAt ? `Dismiss the eviction of ${url(r)} from ${s.name}` : `Remove ${url(r)} from ${s.name}`;
              return (
                <tr key={`${url(r)}-${r.evictedAt ? "e" : "r"}`}>
                  <td data-label="Route">{url(r)}</td>
                  <td data-label="Health">
                    <Badge tone={tone}>{word}</Badge>
                  </td>
                  <td data-label="Last heartbeat">
                    <Time at={r.lastHeartbeatAt} ago />
                  </td>
                  <td data-label="Timeout">{r.callbackTimeoutSec} s</td>
                  <td data-label="Evicted">
                    <Time at={r.evictedAt} ago />
                  </td>
                  {mayChange && (
                    <td data-label="">
                      <button type="button" class="danger" onClick={() => remove(r)} aria-label={action}>
                        {r.evictedAt ? "Dismiss" : "Remove"}
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
    </section>
  );
}

export function Servers() {
  const mayChange = useMayChange();
  const servers = usePoll(() => api.registry.listTaskServers({}), []);
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState("");
  const changed = (message: string) => {
    setProblem(undefined);
    setNotice(message);
    servers.reload();
  };
  return (
    <section>
      <h1>Task servers</h1>
      <p class="notice" role="status">
        {notice}
      </p>
      <ProblemBanner problem={problem ?? servers.problem} />
      {servers.data?.taskServers.map((s) => (
        <ServerRoutes
          key={s.name}
          server={s}
          onChanged={changed}
          onProblem={(p) => {
            setNotice("");
            setProblem(p);
          }}
        />
      ))}
      {servers.data?.taskServers.length === 0 && <p class="muted">No task servers yet{mayChange ? ": add a route to create one" : ""}.</p>}
      {mayChange && <AddRoute onAdded={(message) => changed(message)} />}
    </section>
  );
}
