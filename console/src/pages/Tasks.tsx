import { useEffect, useState } from "preact/hooks";
import { TaskState, type Task } from "../../../gen/easytask/v1/task_pb.js";
import { api } from "../api.js";
import { Badge, Pager, ProblemBanner, Table } from "../components.js";
import { flash } from "../flash.js";
import { runStateName, runTone, scheduleInWords, taskStateName, taskTone } from "../format.js";
import { usePoll } from "../usePoll.js";
import { Time, useZone } from "../zone.js";

const PAGE_SIZE = 50;
const STATES = [TaskState.SCHEDULED, TaskState.PAUSED, TaskState.STOPPED, TaskState.FINISHED];

function TaskRow(props: { task: Task }) {
  const t = props.task;
  const zone = useZone(t.timeZone || "UTC");
  return (
    <tr>
      <td data-label="Name">
        <a href={`#/tasks/${t.taskId}`}>{t.name}</a>
      </td>
      <td data-label="biz_id">{t.bizId}</td>
      <td data-label="Task server">{t.srvName}</td>
      <td data-label="Schedule">{scheduleInWords(t, zone)}</td>
      <td data-label="State">
        <Badge tone={taskTone(t.state)}>{taskStateName(t.state)}</Badge>
      </td>
      <td data-label="Next fire">
        <Time at={t.nextFireAt} taskZone={t.timeZone || "UTC"} ago />
      </td>
      <td data-label="Last result">
        <Badge tone={runTone(t.lastRunState)}>{runStateName(t.lastRunState)}</Badge>{" "}
        {t.lastRunStartedAt && (
          <small>
            <Time at={t.lastRunStartedAt} taskZone={t.timeZone || "UTC"} ago />
          </small>
        )}
      </td>
    </tr>
  );
}

// What an empty list means: nothing matches the filter, or nothing is there
// yet (then how to start).
function NoTasks(props: { filtered: boolean; hasServers: boolean }) {
  if (props.filtered) return <p class="muted">No tasks match the filter.</p>;
  return (
    <div class="empty-state">
      <p>
        <strong>No tasks yet.</strong>
      </p>
      {props.hasServers ? (
        <p>
          <a href="#/tasks/new">Create the first task</a>: it is called back on a task server when due.
        </p>
      ) : (
        <p>
          A task is called back on a task server, so register one first: <a href="#/servers">add a route on the Task servers page</a>. Then create the task
          here with New task.
        </p>
      )}
    </div>
  );
}

export function Tasks() {
  const [query, setQuery] = useState("");
  const [state, setState] = useState(TaskState.UNSPECIFIED);
  const [srvName, setSrvName] = useState("");
  const [tokens, setTokens] = useState<string[]>([]);
  const [notice, setNotice] = useState("");
  useEffect(() => setNotice(flash.take()), []);
  const servers = usePoll(() => api.registry.listTaskServers({}), [], false);
  const page = usePoll(
    () => api.tasks.listTasks({ query, state, srvName, pageSize: PAGE_SIZE, pageToken: tokens.at(-1) ?? "" }),
    [query, state, srvName, tokens.join()],
  );
  // A new filter starts again from the first page.
  const filter = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setTokens([]);
  };
  return (
    <section>
      <div class="title-row">
        <h1>Tasks</h1>
        <a class="button primary" href="#/tasks/new">
          New task
        </a>
      </div>
      <p class="notice" role="status">
        {notice}
      </p>
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="task-search">Search name or biz_id</label>
          <input id="task-search" type="search" value={query} onInput={(e) => filter(setQuery)(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="task-state">State</label>
          <select id="task-state" value={state} onChange={(e) => filter(setState)(Number(e.currentTarget.value))}>
            <option value={TaskState.UNSPECIFIED}>any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {taskStateName(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="task-server">Task server</label>
          <select id="task-server" value={srvName} onChange={(e) => filter(setSrvName)(e.currentTarget.value)}>
            <option value="">any</option>
            {servers.data?.taskServers.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ProblemBanner problem={page.problem} />
      {(page.data?.tasks.length ?? 0) > 0 && (
        <Table label="Tasks" cards>
          <thead>
            <tr>
              <th>Name</th>
              <th>biz_id</th>
              <th>Task server</th>
              <th>Schedule</th>
              <th>State</th>
              <th>Next fire</th>
              <th>Last result</th>
            </tr>
          </thead>
          <tbody>
            {page.data?.tasks.map((t) => <TaskRow key={String(t.taskId)} task={t} />)}
          </tbody>
        </Table>
      )}
      {page.data?.tasks.length === 0 && servers.data && (
        <NoTasks filtered={query !== "" || state !== TaskState.UNSPECIFIED || srvName !== "" || tokens.length > 0} hasServers={servers.data.taskServers.length > 0} />
      )}
      <Pager tokens={tokens} next={page.data?.nextPageToken ?? ""} onChange={setTokens} />
    </section>
  );
}
