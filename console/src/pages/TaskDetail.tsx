import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { SchedMode, TaskState, type Task } from "../../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Badge, ProblemBanner } from "../components.js";
import { flash } from "../flash.js";
import { misfireName, overlapName, routeStrategyName, scheduleInWords, taskStateName, taskTone } from "../format.js";
import { go } from "../route.js";
import { RunsTable } from "../runs.js";
import { TimeChart } from "../chart.js";
import { useMayChange } from "../role.js";
import { formatIn, zoneName } from "../time.js";
import { usePoll } from "../usePoll.js";
import { msOf, TaskZone, Time, useZone } from "../zone.js";

const RUNS_SHOWN = 50;

// Runs the task once now with an argument typed here (the task's to start
// with); the task's own argument stays.
function RunOnce(props: { task: Task; onDone(message: string): void; onProblem(p: Problem): void; onClose(): void }) {
  const [arg, setArg] = useState(props.task.arg);
  const field = useRef<HTMLTextAreaElement>(null);
  // In the commit that draws it, so the field never shows without the focus.
  useLayoutEffect(() => field.current?.focus(), []);
  const submit = (e: Event) => {
    e.preventDefault();
    api.tasks.triggerTask({ taskId: props.task.taskId, arg }).then(
      ({ runTimes }) => {
        props.onDone(`Run ${runTimes} started with its own argument.`);
        props.onClose();
      },
      (err) => props.onProblem(problemOf(err)),
    );
  };
  return (
    <form class="run-once" onSubmit={submit} aria-label="Run once with another argument">
      <div class="field">
        <label for="run-once-arg">Argument for this run only</label>
        <textarea id="run-once-arg" ref={field} rows={3} value={arg} onInput={(e) => setArg(e.currentTarget.value)} />
      </div>
      <div class="actions">
        <button type="submit" class="primary">
          Run once
        </button>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Actions(props: { task: Task; onDone(message: string): void; onProblem(p: Problem): void }) {
  const t = props.task;
  const taskId = t.taskId;
  const [runOnce, setRunOnce] = useState(false);
  const act = (message: string, call: () => Promise<unknown>, confirmText?: string) => () => {
    if (confirmText && !confirm(confirmText)) return;
    call().then(
      () => props.onDone(message),
      (err) => props.onProblem(problemOf(err)),
    );
  };
  const stopped = t.state === TaskState.STOPPED;
  // A task paused for want of a schedule is resumed by editing it (AddTask),
  // and not run until it has one.
  const resumable = (t.state === TaskState.PAUSED || stopped) && !t.pausedReason;
  const runnable = !stopped && !t.pausedReason;
  return (
    <>
      <div class="actions" role="group" aria-label="Task actions">
        {t.state === TaskState.SCHEDULED && (
          <button type="button" onClick={act("Paused.", () => api.tasks.pauseTask({ taskId }))}>
            Pause
          </button>
        )}
        {resumable && (
          <button type="button" onClick={act("Resumed.", () => api.tasks.resumeTask({ taskId }))}>
            Resume
          </button>
        )}
        {runnable && (
          <button type="button" onClick={act("Triggered.", () => api.tasks.triggerTask({ taskId }))}>
            Trigger now
          </button>
        )}
        {runnable && (
          <button type="button" aria-expanded={runOnce} onClick={() => setRunOnce(!runOnce)}>
            Run once with…
          </button>
        )}
        <a class="button" href={`#/tasks/${taskId}/edit`}>
          Edit
        </a>
        <a class="button" href={`#/tasks/new?from=${taskId}`}>
          Clone
        </a>
        {!stopped && (
          <button type="button" class="danger" onClick={act("Stopped.", () => api.tasks.stopTask({ taskId }), `Stop task ${t.name}? It will not fire again until added again or resumed.`)}>
            Stop
          </button>
        )}
        <button
          type="button"
          class="danger"
          onClick={act(
            "Deleted.",
            async () => {
              await api.tasks.deleteTask({ taskId });
              flash.set(`Deleted task ${t.name}.`);
              go("#/tasks");
            },
            `Delete task ${t.name} and its run history?`,
          )}
        >
          Delete
        </button>
      </div>
      {runOnce && <RunOnce task={t} onDone={props.onDone} onProblem={props.onProblem} onClose={() => setRunOnce(false)} />}
    </>
  );
}

const HISTORY_POLL_MS = 10_000;
const PERIODS = [
  { label: "last hour, per minute", bucketSec: 60, buckets: 60, unit: "minute" },
  { label: "last 24 hours, per hour", bucketSec: 3600, buckets: 24, unit: "hour" },
  { label: "last 7 days, per 6 hours", bucketSec: 6 * 3600, buckets: 28, unit: "6 hours" },
  { label: "last 30 days, per day", bucketSec: 86_400, buckets: 30, unit: "day" },
];

// Success and failure counts and durations over time.
function History(props: { taskId: bigint }) {
  const [period, setPeriod] = useState(1);
  const p = PERIODS[period];
  const history = usePoll(() => api.tasks.getTaskHistory({ taskId: props.taskId, bucketSec: p.bucketSec, buckets: p.buckets }), [String(props.taskId), period], HISTORY_POLL_MS);
  const buckets = history.data?.buckets ?? [];
  const maxOf = new Map(buckets.map((b) => [msOf(b.start)!, b.durationMaxMs]));
  return (
    <section aria-labelledby="history-title">
      <div class="title-row">
        <h2 id="history-title">History</h2>
        <label class="inline-field">
          <span>Period</span>
          <select value={period} onChange={(e) => setPeriod(Number(e.currentTarget.value))}>
            {PERIODS.map((o, i) => (
              <option key={o.label} value={i}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ProblemBanner problem={history.problem} />
      {history.data && (
        <TimeChart
          title={`Runs per ${p.unit}`}
          points={buckets.map((b) => ({ at: msOf(b.start)!, values: [b.succeeded, b.failed, b.other], line: b.succeeded + b.failed + b.other ? b.durationAvgMs : undefined }))}
          stepMs={p.bucketSec * 1000}
          series={[
            { name: "succeeded", className: "ok" },
            { name: "failed or timed out", className: "failed" },
            { name: "killed, aborted, canceled or open", className: "other" },
          ]}
          line={{ name: "mean duration", unit: "ms" }}
          describe={(b) => `${b.values[0]} succeeded, ${b.values[1]} failed or timed out, ${b.values[2]} other; took ${b.line ?? 0} ms on average, at most ${maxOf.get(b.at) ?? 0} ms`}
          empty="No runs in this period."
        />
      )}
      {history.data?.truncated && <p class="muted">Counted from the newest 100,000 attempts only.</p>}
    </section>
  );
}

// Why a task has no next fire times, and what would change that.
function noFireTimes(t: Task): string {
  switch (t.state) {
    case TaskState.PAUSED:
      return t.pausedReason ? "Paused until it has a new schedule: edit it." : "Paused: it fires again after Resume.";
    case TaskState.STOPPED:
      return "Stopped: it fires again after Resume (or when added again).";
    default:
      return "It will not fire again: its schedule has ended.";
  }
}

// The next fire times in the chosen zone; for a cron task whose zone is
// another, each also in the task's zone, where its schedule's words are.
function FireTimes(props: { task: Task; times: Timestamp[] }) {
  const zone = useZone();
  const t = props.task;
  const cronZone = t.schedMode === SchedMode.CRON ? t.timeZone || "UTC" : undefined;
  return (
    <ol class="fire-times" aria-label="Next fire times">
      {props.times.map((f, i) => {
        const at = msOf(f)!;
        return (
          <li key={i}>
            <Time at={f} ago />
            {cronZone && cronZone !== zone && (
              <small class="muted">
                {" "}
                = {formatIn(cronZone, at)} {zoneName(cronZone, at)}
              </small>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function TaskDetail(props: { id: string }) {
  const taskId = BigInt(props.id);
  const task = usePoll(() => api.tasks.getTask({ taskId }), [props.id]);
  const preview = usePoll(() => api.tasks.previewSchedule({ taskId, count: 5 }), [props.id]);
  const runs = usePoll(() => api.tasks.listTaskLogs({ taskId, pageSize: RUNS_SHOWN }), [props.id]);
  const [notice, setNotice] = useState("");
  const [problem, setProblem] = useState<Problem>();
  // Set after the status region is on the page, so it is announced.
  useEffect(() => setNotice(flash.take()), [props.id]);
  const zone = useZone(task.data?.task?.timeZone || "UTC");
  const mayChange = useMayChange();
  const t = task.data?.task;
  const refresh = () => {
    task.reload();
    preview.reload();
    runs.reload();
  };
  if (!t) return <ProblemBanner problem={task.problem} />;
  return (
    <TaskZone zone={t.timeZone}>
      <section>
        <p>
          <a href="#/tasks">← Tasks</a>
        </p>
        <div class="title-row start">
          <h1>{t.name}</h1>
          <Badge tone={taskTone(t.state)}>{taskStateName(t.state)}</Badge>
        </div>
        {t.pausedReason && (
          <p class="problem" role="alert" aria-label="Why the task is paused">
            Needs a new schedule: {t.pausedReason}. Edit it to give it one.
          </p>
        )}
        {mayChange && (
          <Actions
            task={t}
            onDone={(message) => {
              setProblem(undefined);
              setNotice(message);
              refresh();
            }}
            onProblem={(p) => {
              setNotice("");
              setProblem(p);
            }}
          />
        )}
        <p class="notice" role="status">
          {notice}
        </p>
        <ProblemBanner problem={problem} />
        <div class="columns">
          <div>
            <h2>Schedule</h2>
            <p class="schedule">{scheduleInWords(t, zone)}</p>
            <h3>Next fire times</h3>
            {preview.data && <FireTimes task={t} times={preview.data.fireTimes} />}
            {preview.data?.fireTimes.length === 0 && <p class="muted">{noFireTimes(t)}</p>}
          </div>
          <div>
            <h2>Details</h2>
            <dl class="facts">
              <dt>Task id</dt>
              <dd>{String(t.taskId)}</dd>
              <dt>biz_id</dt>
              <dd>{t.bizId || "—"}</dd>
              <dt>Task server</dt>
              <dd>{t.srvName}</dd>
              <dt>Callback path</dt>
              <dd>{t.callbackPath || "/"}</dd>
              <dt>Argument</dt>
              <dd class="clip">{t.arg || "—"}</dd>
              <dt>Runs so far</dt>
              <dd>{t.runTimes}</dd>
              <dt>Misfires</dt>
              <dd>{misfireName(t.misfirePolicy)}</dd>
              <dt>Overlap</dt>
              <dd>{overlapName(t.overlapPolicy)}</dd>
              <dt>Route strategy</dt>
              <dd>{routeStrategyName(t.routeStrategy)}</dd>
              <dt>Retries</dt>
              <dd>{t.maxRetries || "none"}</dd>
              <dt>Max run time</dt>
              <dd>{t.maxRunTimeSec ? `${t.maxRunTimeSec} s` : "route timeout"}</dd>
              <dt>Max runs</dt>
              <dd>{t.maxRunTimes || "no limit"}</dd>
              <dt>Updated</dt>
              <dd>
                <Time at={t.updatedAt} ago />
              </dd>
            </dl>
          </div>
        </div>
        <History taskId={t.taskId} />
        <h2>Recent runs</h2>
        <ProblemBanner problem={runs.problem} />
        <RunsTable runs={runs.data?.taskLogs} showTask={false} onChanged={refresh} />
        <p class="links">
          <a href={`#/runs?task_id=${t.taskId}`}>All runs of this task</a> <a href={`#/audit?target=task:${t.taskId}`}>Changes to this task</a>
        </p>
      </section>
    </TaskZone>
  );
}
