import { useState } from "preact/hooks";
import { TaskState, type Task } from "../../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Badge, ProblemBanner } from "../components.js";
import { dateTime, misfireName, overlapName, routeStrategyName, scheduleInWords, taskStateName, taskTone } from "../format.js";
import { go } from "../route.js";
import { RunsTable } from "../runs.js";
import { usePoll } from "../usePoll.js";

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
  const idle = t.state === TaskState.PAUSED || t.state === TaskState.STOPPED;
  // A task paused for want of a schedule is resumed by editing it (AddTask).
  const resumable = idle && !t.pausedReason;
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
      {!idle && (
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

export function TaskDetail(props: { id: string }) {
  const taskId = BigInt(props.id);
  const task = usePoll(() => api.tasks.getTask({ taskId }), [props.id]);
  const preview = usePoll(() => api.tasks.previewSchedule({ taskId, count: 5 }), [props.id]);
  const runs = usePoll(() => api.tasks.listTaskLogs({ taskId, pageSize: RUNS_SHOWN }), [props.id]);
  const [notice, setNotice] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const t = task.data?.task;
  const refresh = () => {
    task.reload();
    preview.reload();
    runs.reload();
  };
  if (!t) return <ProblemBanner problem={task.problem} />;
  return (
    <section>
      <p>
        <a href="#/tasks">← Tasks</a>
      </p>
      <div class="title-row">
        <h1>{t.name}</h1>
        <Badge tone={taskTone(t.state)}>{taskStateName(t.state)}</Badge>
      </div>
      {t.pausedReason && (
        <p class="problem" role="alert" aria-label="Why the task is paused">
          Needs a new schedule: {t.pausedReason}. Edit it to give it one.
        </p>
      )}
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
          <p class="schedule">{scheduleInWords(t)}</p>
          <h3>Next fire times</h3>
          <ol class="fire-times" aria-label="Next fire times">
            {preview.data?.fireTimes.map((f, i) => <li key={i}>{dateTime(f)}</li>)}
          </ol>
          {preview.data?.fireTimes.length === 0 && <p class="muted">It will not fire again.</p>}
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
            <dd>{dateTime(t.updatedAt)}</dd>
          </dl>
        </div>
      </div>
      <h2>Recent runs</h2>
      <ProblemBanner problem={runs.problem} />
      <RunsTable runs={runs.data?.taskLogs ?? []} showTask={false} onChanged={refresh} />
      <p>
        <a href={`#/runs?task_id=${t.taskId}`}>All runs of this task</a>
      </p>
    </section>
  );
}
