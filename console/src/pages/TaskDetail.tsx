import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { SchedMode, TaskState, type Task } from "../../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Badge, ProblemBanner } from "../components.js";
import { flash } from "../flash.js";
import { misfireName, overlapName, routeStrategyName, scheduleInWords, taskStateName, taskTone } from "../format.js";
import { go } from "../route.js";
import { RunsTable } from "../runs.js";
import { formatIn, zoneName } from "../time.js";
import { usePoll } from "../usePoll.js";
import { msOf, TaskZone, Time, useZone } from "../zone.js";

const RUNS_SHOWN = 50;

function Actions(props: { task: Task; onDone(message: string): void; onProblem(p: Problem): void }) {
  const t = props.task;
  const taskId = t.taskId;
  const act = (label: string, call: () => Promise<unknown>, confirmText?: string) => () => {
    if (confirmText && !confirm(confirmText)) return;
    call().then(
      () => props.onDone(label),
      (err) => props.onProblem(problemOf(err)),
    );
  };
  const scheduled = t.state === TaskState.SCHEDULED;
  const resumable = t.state === TaskState.PAUSED || t.state === TaskState.STOPPED;
  return (
    <div class="actions" role="group" aria-label="Task actions">
      {scheduled && (
        <button type="button" onClick={act("Paused", () => api.tasks.pauseTask({ taskId }))}>
          Pause
        </button>
      )}
      {resumable && (
        <button type="button" onClick={act("Resumed", () => api.tasks.resumeTask({ taskId }))}>
          Resume
        </button>
      )}
      {!resumable && (
        <button
          type="button"
          onClick={act("Triggered", async () => {
            const { runTimes } = await api.tasks.triggerTask({ taskId });
            return runTimes;
          })}
        >
          Trigger now
        </button>
      )}
      <a class="button" href={`#/tasks/${taskId}/edit`}>
        Edit
      </a>
      {t.state !== TaskState.STOPPED && (
        <button type="button" class="danger" onClick={act("Stopped", () => api.tasks.stopTask({ taskId }), `Stop task ${t.name}? It will not fire again until added again or resumed.`)}>
          Stop
        </button>
      )}
      <button
        type="button"
        class="danger"
        onClick={act(
          "Deleted",
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
  );
}

// Why a task has no next fire times, and what would change that.
function noFireTimes(state: TaskState): string {
  switch (state) {
    case TaskState.PAUSED:
      return "Paused: it fires again after Resume.";
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
        <Actions
          task={t}
          onDone={(label) => {
            setProblem(undefined);
            setNotice(`${label}.`);
            refresh();
          }}
          onProblem={(p) => {
            setNotice("");
            setProblem(p);
          }}
        />
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
            {preview.data?.fireTimes.length === 0 && <p class="muted">{noFireTimes(t.state)}</p>}
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
        <h2>Recent runs</h2>
        <ProblemBanner problem={runs.problem} />
        <RunsTable runs={runs.data?.taskLogs} showTask={false} onChanged={refresh} />
        <p>
          <a href={`#/runs?task_id=${t.taskId}`}>All runs of this task</a>
        </p>
      </section>
    </TaskZone>
  );
}
