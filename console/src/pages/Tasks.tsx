import { create } from "@bufbuild/protobuf";
import { useEffect, useState } from "preact/hooks";
import { TaskAction, TaskFilterSchema, TaskState, type Task, type TaskFilter } from "../../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Badge, Pager, ProblemBanner, Table } from "../components.js";
import { flash } from "../flash.js";
import { plural, runStateName, runTone, scheduleInWords, taskStateName, taskTone } from "../format.js";
import { useMayChange } from "../role.js";
import { usePoll } from "../usePoll.js";
import { Time, useZone } from "../zone.js";

const PAGE_SIZE = 50;
const STATES = [TaskState.SCHEDULED, TaskState.PAUSED, TaskState.STOPPED, TaskState.FINISHED];

// `selected` undefined: no selection (a viewer's console).
function TaskRow(props: { task: Task; selected?: boolean; onSelect(selected: boolean): void }) {
  const t = props.task;
  const zone = useZone(t.timeZone || "UTC");
  return (
    <tr class={props.selected ? "selected" : ""}>
      {props.selected !== undefined && (
        <td data-label="Select" class="select">
          <input type="checkbox" checked={props.selected} aria-label={`Select task ${t.name}`} onChange={(e) => props.onSelect(e.currentTarget.checked)} />
        </td>
      )}
      <td data-label="Name">
        <a href={`#/tasks/${t.taskId}`}>{t.name}</a>
      </td>
      <td data-label="biz_id">{t.bizId}</td>
      <td data-label="Task server">{t.srvName}</td>
      <td data-label="Schedule">{scheduleInWords(t, zone)}</td>
      <td data-label="State">
        <Badge tone={taskTone(t.state)}>{taskStateName(t.state)}</Badge>
        {t.pausedReason && <small title={t.pausedReason}> needs a new schedule</small>}
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

const ACTIONS: [TaskAction, string, string][] = [
  [TaskAction.PAUSE, "Pause", "Paused"],
  [TaskAction.RESUME, "Resume", "Resumed"],
  [TaskAction.STOP, "Stop", "Stopped"],
  [TaskAction.DELETE, "Delete", "Deleted"],
];

const tasks = (n: number) => plural(n, "task");

// What bulk actions apply to: the tasks ticked, or every task the filter
// matches (on any page).
type Selection = { kind: "ids"; ids: Set<string> } | { kind: "matching" };

// Pause, resume, stop or delete the selection, a page of 1000 tasks a call
// when it is every task matching the filter.
function BulkActions(props: {
  selection: Selection;
  filter: TaskFilter;
  pageFull: boolean;
  onSelectMatching(): void;
  onClear(): void;
  onDone(message: string): void;
  onProblem(p: Problem): void;
}) {
  const [busy, setBusy] = useState(false);
  const { selection } = props;
  const count = selection.kind === "ids" ? tasks(selection.ids.size) : "every task matching the filter";
  const run = async (action: TaskAction, verb: string, done: string) => {
    if ((action === TaskAction.STOP || action === TaskAction.DELETE || selection.kind === "matching") && !confirm(`${verb} ${count}?${action === TaskAction.DELETE ? " Their run history goes too." : ""}`)) return;
    setBusy(true);
    let changed = 0;
    let unchanged = 0;
    try {
      if (selection.kind === "ids") {
        const r = await api.tasks.bulkTaskAction({ action, taskIds: [...selection.ids].map(BigInt) });
        [changed, unchanged] = [r.changed, r.unchanged];
      } else {
        let pageToken = "";
        do {
          const r = await api.tasks.bulkTaskAction({ action, filter: props.filter, pageToken });
          changed += r.changed;
          unchanged += r.unchanged;
          pageToken = r.nextPageToken;
        } while (pageToken);
      }
      props.onDone(`${done} ${tasks(changed)}${unchanged ? `; ${tasks(unchanged)} left as they were` : ""}.`);
    } catch (err) {
      props.onProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="bulk" role="group" aria-label="Bulk actions">
      <span>
        {selection.kind === "ids" ? `${tasks(selection.ids.size)} selected` : "Every task matching the filter is selected"}
      </span>
      {ACTIONS.map(([action, verb, done]) => (
        <button key={action} type="button" class={action === TaskAction.STOP || action === TaskAction.DELETE ? "danger" : ""} disabled={busy} onClick={() => run(action, verb, done)}>
          {verb}
        </button>
      ))}
      {selection.kind === "ids" && props.pageFull && (
        <button type="button" class="link" onClick={props.onSelectMatching}>
          Select every task matching the filter
        </button>
      )}
      <button type="button" class="link" onClick={props.onClear}>
        Clear selection
      </button>
    </div>
  );
}

export function Tasks() {
  const [query, setQuery] = useState("");
  const [state, setState] = useState(TaskState.UNSPECIFIED);
  const [srvName, setSrvName] = useState("");
  const [tokens, setTokens] = useState<string[]>([]);
  const [notice, setNotice] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const [selection, setSelection] = useState<Selection>({ kind: "ids", ids: new Set() });
  const mayChange = useMayChange();
  useEffect(() => setNotice(flash.take()), []);
  const servers = usePoll(() => api.registry.listTaskServers({}), [], false);
  const page = usePoll(
    () => api.tasks.listTasks({ query, state, srvName, pageSize: PAGE_SIZE, pageToken: tokens.at(-1) ?? "" }),
    [query, state, srvName, tokens.join()],
  );
  const clear = () => setSelection({ kind: "ids", ids: new Set() });
  // A new filter starts again from the first page, with nothing selected.
  const filter = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setTokens([]);
    clear();
  };
  const shown = page.data?.tasks ?? [];
  const isSelected = (t: Task) => selection.kind === "matching" || selection.ids.has(String(t.taskId));
  const select = (t: Task, on: boolean) => {
    const ids = new Set(selection.kind === "ids" ? selection.ids : shown.map((s) => String(s.taskId)));
    if (on) ids.add(String(t.taskId));
    else ids.delete(String(t.taskId));
    setSelection({ kind: "ids", ids });
  };
  const allShown = shown.length > 0 && shown.every(isSelected);
  const someSelected = selection.kind === "matching" || selection.ids.size > 0;
  return (
    <section>
      <div class="title-row">
        <h1>Tasks</h1>
        {mayChange && (
          <a class="button primary" href="#/tasks/new">
            New task
          </a>
        )}
      </div>
      <p class="notice" role="status">
        {notice}
      </p>
      <ProblemBanner problem={problem} />
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
      {mayChange && someSelected && (
        <BulkActions
          selection={selection}
          filter={create(TaskFilterSchema, { query, state, srvName })}
          pageFull={allShown && (tokens.length > 0 || !!page.data?.nextPageToken || query !== "" || state !== TaskState.UNSPECIFIED || srvName !== "")}
          onSelectMatching={() => setSelection({ kind: "matching" })}
          onClear={clear}
          onDone={(message) => {
            setProblem(undefined);
            setNotice(message);
            clear();
            page.reload();
          }}
          onProblem={(p) => {
            setNotice("");
            setProblem(p);
          }}
        />
      )}
      {mayChange && shown.length > 0 && (
        <label class="select-page">
          <input type="checkbox" checked={allShown} onChange={(e) => setSelection({ kind: "ids", ids: new Set(e.currentTarget.checked ? shown.map((t) => String(t.taskId)) : []) })} />
          Select every task on this page
        </label>
      )}
      {shown.length > 0 && (
        <Table label="Tasks" cards>
          <thead>
            <tr>
              {mayChange && (
                <th class="select">
                  <span class="sr-only">Selected</span>
                </th>
              )}
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
            {shown.map((t) => (
              <TaskRow key={String(t.taskId)} task={t} selected={mayChange ? isSelected(t) : undefined} onSelect={(on) => select(t, on)} />
            ))}
          </tbody>
        </Table>
      )}
      {page.data?.tasks.length === 0 && servers.data && (
        <NoTasks filtered={query !== "" || state !== TaskState.UNSPECIFIED || srvName !== "" || tokens.length > 0} hasServers={servers.data.taskServers.length > 0} />
      )}
      <Pager
        tokens={tokens}
        next={page.data?.nextPageToken ?? ""}
        onChange={(t) => {
          setTokens(t);
          if (selection.kind === "ids") clear();
        }}
      />
    </section>
  );
}
