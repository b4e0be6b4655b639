import { useState } from "preact/hooks";
import { RunState, type TaskLog } from "../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "./api.js";
import { Badge, ProblemBanner, Table } from "./components.js";
import { dateTime, duration, ms, runStateName, runTone } from "./format.js";

const OPEN = [RunState.RUNNING, RunState.ASYNC_WAITING, RunState.PENDING];
const runKey = (l: TaskLog) => String(l.taskLogId);
const took = (l: TaskLog) => {
  const end = ms(l.finishedAt);
  return end === undefined ? undefined : end - ms(l.startedAt)!;
};

function RunDetail(props: { run: TaskLog; onClose(): void; onChanged(): void }) {
  const r = props.run;
  const [problem, setProblem] = useState<Problem>();
  const kill = () =>
    api.tasks.killRun({ taskId: r.taskId, runTimes: r.runTimes }).then(
      () => props.onChanged(),
      (err) => setProblem(problemOf(err)),
    );
  return (
    <section class="run-detail" aria-label={`Run ${r.runTimes} attempt ${r.attempt}`}>
      <div class="title-row">
        <h3>
          Run {r.runTimes}, attempt {r.attempt} of <a href={`#/tasks/${r.taskId}`}>{r.taskName}</a>
        </h3>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      <dl class="facts">
        <dt>State</dt>
        <dd>
          <Badge tone={runTone(r.state)}>{runStateName(r.state)}</Badge>
        </dd>
        <dt>Due / started / finished</dt>
        <dd>
          {dateTime(r.dueAt)} / {dateTime(r.startedAt)} / {dateTime(r.finishedAt)}
        </dd>
        <dt>Route</dt>
        <dd>{r.route || "—"}</dd>
        <dt>Fired by node</dt>
        <dd>{r.nodeId || "—"}</dd>
        <dt>HTTP status</dt>
        <dd>{r.httpStatus || "—"}</dd>
        <dt>Confirmed</dt>
        <dd>{dateTime(r.confirmedAt)}</dd>
        <dt>Extra</dt>
        <dd>{r.extra || "—"}</dd>
      </dl>
      <h4>Task server's answer</h4>
      <pre class="answer">{r.response || "(none)"}</pre>
      {r.error && (
        <>
          <h4>Error</h4>
          <pre class="answer error">{r.error}</pre>
        </>
      )}
      {OPEN.includes(r.state) && (
        <button type="button" class="danger" onClick={kill}>
          Kill run {r.runTimes}
        </button>
      )}
      <ProblemBanner problem={problem} />
    </section>
  );
}

// Runs (one row per attempt), newest first; a row opens its details.
export function RunsTable(props: { runs: TaskLog[]; showTask: boolean; onChanged(): void }) {
  const [open, setOpen] = useState<string>();
  const selected = props.runs.find((r) => runKey(r) === open);
  return (
    <>
      <Table label="Runs" cards>
        <thead>
          <tr>
            {props.showTask && <th>Task</th>}
            <th>Run</th>
            <th>Attempt</th>
            <th>State</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Route</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((r) => (
            <tr key={runKey(r)} class={open === runKey(r) ? "selected" : ""}>
              {props.showTask && (
                <td data-label="Task">
                  <a href={`#/tasks/${r.taskId}`}>{r.taskName}</a>
                </td>
              )}
              <td data-label="Run">
                <button type="button" class="link" aria-expanded={open === runKey(r)} onClick={() => setOpen(open === runKey(r) ? undefined : runKey(r))}>
                  Run {r.runTimes}
                </button>
              </td>
              <td data-label="Attempt">{r.attempt}</td>
              <td data-label="State">
                <Badge tone={runTone(r.state)}>{runStateName(r.state)}</Badge>
              </td>
              <td data-label="Started">{dateTime(r.startedAt)}</td>
              <td data-label="Duration">{duration(took(r))}</td>
              <td data-label="Route">{r.route}</td>
              <td data-label="Error" class="clip">{r.error}</td>
            </tr>
          ))}
        </tbody>
      </Table>
      {props.runs.length === 0 && <p class="muted">No runs.</p>}
      {selected && <RunDetail run={selected} onClose={() => setOpen(undefined)} onChanged={props.onChanged} />}
    </>
  );
}
