import { Fragment } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { RunState, type TaskLog } from "../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "./api.js";
import { Badge, ProblemBanner, Table } from "./components.js";
import { duration, ms, runStateName, runTone } from "./format.js";
import { useMayChange } from "./role.js";
import { runErrorInWords } from "./words.js";
import { Time } from "./zone.js";

const OPEN = [RunState.RUNNING, RunState.ASYNC_WAITING, RunState.PENDING];
// What a run may have ended as to be run again (RetryRun).
const RETRYABLE = [RunState.FAILED, RunState.TIMEOUT, RunState.KILLED, RunState.ABORTED, RunState.CANCELED];
const runKey = (l: TaskLog) => String(l.taskLogId);
const took = (l: TaskLog) => {
  const end = ms(l.finishedAt);
  return end === undefined ? undefined : end - ms(l.startedAt)!;
};

// A run's details, drawn right under its row; it takes the keyboard focus
// and scrolls into view when it opens.
// `latest`: no later attempt of the run is on the page, so it may be run again.
function RunDetail(props: { run: TaskLog; latest: boolean; onClose(): void; onChanged(): void }) {
  const r = props.run;
  const mayChange = useMayChange();
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => {
    heading.current?.focus();
    heading.current?.closest("section")?.scrollIntoView({ block: "nearest" });
  }, [r.taskLogId]);
  const kill = () =>
    api.tasks.killRun({ taskId: r.taskId, runTimes: r.runTimes }).then(
      () => props.onChanged(),
      (err) => setProblem(problemOf(err)),
    );
  const runAgain = () =>
    api.tasks.retryRun({ taskId: r.taskId, runTimes: r.runTimes }).then(
      ({ attempt }) => {
        setProblem(undefined);
        setNotice(`Attempt ${attempt} of run ${r.runTimes} started.`);
        props.onChanged();
      },
      (err) => setProblem(problemOf(err)),
    );
  return (
    <section class="run-detail" aria-label={`Run ${r.runTimes} attempt ${r.attempt}`}>
      <div class="title-row">
        <h3 ref={heading} tabIndex={-1}>
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
        <dt>Due</dt>
        <dd>
          <Time at={r.dueAt} ago />
        </dd>
        <dt>Started</dt>
        <dd>
          <Time at={r.startedAt} ago />
        </dd>
        <dt>Finished</dt>
        <dd>
          <Time at={r.finishedAt} ago />
        </dd>
        <dt>Route</dt>
        <dd>{r.route || "—"}</dd>
        <dt>Fired by node</dt>
        <dd>{r.nodeId || "—"}</dd>
        <dt>HTTP status</dt>
        <dd>{r.httpStatus || "—"}</dd>
        <dt>Confirmed</dt>
        <dd>
          <Time at={r.confirmedAt} />
        </dd>
        <dt>Extra</dt>
        <dd>{r.extra || "—"}</dd>
        <dt>Started by</dt>
        <dd>{r.manual ? "an operator (Trigger now, Run once, Run again)" : "the schedule"}</dd>
        {r.arg !== undefined && (
          <>
            <dt>Argument</dt>
            <dd class="clip" title={r.arg}>
              {r.arg || "(empty)"} <small class="muted">(this run only)</small>
            </dd>
          </>
        )}
      </dl>
      <h4>Task server's answer</h4>
      <pre class="answer">{r.response || "(none)"}</pre>
      {r.error && (
        <>
          <h4>Error</h4>
          <pre class="answer error">{runErrorInWords(r.error)}</pre>
        </>
      )}
      {mayChange && OPEN.includes(r.state) && (
        <button type="button" class="danger" onClick={kill}>
          Kill run {r.runTimes}
        </button>
      )}
      {mayChange && props.latest && RETRYABLE.includes(r.state) && (
        <button type="button" onClick={runAgain}>
          Run again
        </button>
      )}
      <p class="notice" role="status">
        {notice}
      </p>
      <ProblemBanner problem={problem} />
    </section>
  );
}

// Runs (one row per attempt), newest first; a row opens its details in place.
// `runs` undefined: not loaded yet.
export function RunsTable(props: { runs?: TaskLog[]; showTask: boolean; onChanged(): void }) {
  const [open, setOpen] = useState<string>();
  const columns = props.showTask ? 8 : 7;
  const close = (r: TaskLog) => {
    setOpen(undefined);
    // Back to the row the details were opened from.
    queueMicrotask(() => document.getElementById(`run-${runKey(r)}`)?.focus());
  };
  if (!props.runs) return null;
  if (props.runs.length === 0) return <p class="muted">No runs.</p>;
  // The latest attempt on the page of each run.
  const latest = new Map<string, number>();
  for (const r of props.runs) latest.set(`${r.taskId}:${r.runTimes}`, Math.max(r.attempt, latest.get(`${r.taskId}:${r.runTimes}`) ?? 0));
  return (
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
        {props.runs.map((r) => {
          const isOpen = open === runKey(r);
          return (
            <Fragment key={runKey(r)}>
              <tr class={isOpen ? "selected" : ""}>
                {props.showTask && (
                  <td data-label="Task">
                    <a href={`#/tasks/${r.taskId}`}>{r.taskName}</a>
                  </td>
                )}
                <td data-label="Run">
                  <button type="button" id={`run-${runKey(r)}`} class="link" aria-expanded={isOpen} onClick={() => setOpen(isOpen ? undefined : runKey(r))}>
                    Run {r.runTimes}
                  </button>
                </td>
                <td data-label="Attempt">
                  {r.attempt}
                  {r.manual && <small class="muted"> manual</small>}
                </td>
                <td data-label="State">
                  <Badge tone={runTone(r.state)}>{runStateName(r.state)}</Badge>
                </td>
                <td data-label="Started">
                  <Time at={r.startedAt} ago />
                </td>
                <td data-label="Duration">{duration(took(r))}</td>
                <td data-label="Route">{r.route}</td>
                <td data-label="Error" class="clip">
                  {r.error && runErrorInWords(r.error)}
                </td>
              </tr>
              {isOpen && (
                <tr class="detail-row">
                  <td colSpan={columns}>
                    <RunDetail run={r} latest={latest.get(`${r.taskId}:${r.runTimes}`) === r.attempt} onClose={() => close(r)} onChanged={props.onChanged} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </Table>
  );
}
