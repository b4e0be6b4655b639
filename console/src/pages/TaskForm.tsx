import { useEffect, useState } from "preact/hooks";
import { MisfirePolicy, OverlapPolicy, RouteStrategy, SchedMode, type AddTaskRequest, type Task } from "../../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Field, ProblemBanner } from "../components.js";
import { cronInWords, dateTime, misfireName, overlapName, routeStrategyName } from "../format.js";
import { go } from "../route.js";
import { usePoll } from "../usePoll.js";

type Form = Omit<AddTaskRequest, "$typeName" | "$unknown">;

const EMPTY: Form = {
  name: "",
  bizId: "",
  srvName: "",
  callbackPath: "/",
  schedMode: SchedMode.INTERVAL,
  timeCron: "",
  timeZone: "",
  timeIntervalSec: 60,
  timeSpecAt: 0n,
  arg: "",
  misfirePolicy: MisfirePolicy.UNSPECIFIED,
  misfireMaxCatchUp: 0,
  overlapPolicy: OverlapPolicy.UNSPECIFIED,
  maxRetries: 0,
  maxRunTimeSec: 0,
  maxRunTimes: 0,
  startAt: 0n,
  endAt: 0n,
  routeStrategy: RouteStrategy.UNSPECIFIED,
};

// Every field of the task goes back on save, those the form does not show
// (retry backoff, start/end) included, so an edit changes only what it shows.
const formOf = (t: Task): Form => ({ ...EMPTY, ...Object.fromEntries(Object.keys(EMPTY).map((k) => [k, t[k as keyof Task]])), retryBackoff: t.retryBackoff });

const MODES: [SchedMode, string][] = [
  [SchedMode.INTERVAL, "interval (fixed rate)"],
  [SchedMode.FIXED_DELAY, "fixed delay"],
  [SchedMode.CRON, "cron"],
  [SchedMode.AT, "once, at a time"],
];

const localInput = (unixSec: bigint) => {
  if (!unixSec) return "";
  const d = new Date(Number(unixSec) * 1000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

// The next fire times of what is typed so far, from the server.
function SchedulePreview(props: { form: Form }) {
  const f = props.form;
  const [shown, setShown] = useState<{ times: string[]; problem?: Problem }>({ times: [] });
  useEffect(() => {
    const timer = setTimeout(() => {
      api.tasks
        .previewSchedule({ schedMode: f.schedMode, timeCron: f.timeCron, timeZone: f.timeZone, timeIntervalSec: f.timeIntervalSec, timeSpecAt: f.timeSpecAt, count: 5 })
        .then(
          (r) => setShown({ times: r.fireTimes.map(dateTime) }),
          (err) => setShown({ times: [], problem: problemOf(err) }),
        );
    }, 300);
    return () => clearTimeout(timer);
  }, [f.schedMode, f.timeCron, f.timeZone, f.timeIntervalSec, f.timeSpecAt]);
  return (
    <aside class="preview" aria-live="polite" aria-label="Schedule preview">
      <h3>Next fire times</h3>
      {f.schedMode === SchedMode.CRON && f.timeCron && <p>{cronInWords(f.timeCron)}</p>}
      {shown.problem ? (
        <p class="muted">{shown.problem.message}</p>
      ) : (
        <ol>
          {shown.times.map((t, i) => (
            <li key={i}>{t}</li>
          ))}
        </ol>
      )}
    </aside>
  );
}

export function TaskForm(props: { id?: string }) {
  const editing = props.id !== undefined;
  const [form, setForm] = useState<Form>(EMPTY);
  const [loaded, setLoaded] = useState(!editing);
  const [problem, setProblem] = useState<Problem>();
  const [saving, setSaving] = useState(false);
  const servers = usePoll(() => api.registry.listTaskServers({}), [], false);
  useEffect(() => {
    if (!editing) return;
    api.tasks.getTask({ taskId: BigInt(props.id!) }).then(
      (r) => {
        setForm(formOf(r.task!));
        setLoaded(true);
      },
      (err) => setProblem(problemOf(err)),
    );
  }, [props.id]);
  const set = <K extends keyof Form>(key: K) => (value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const num = (key: "timeIntervalSec" | "maxRetries" | "maxRunTimeSec" | "maxRunTimes" | "misfirePolicy" | "overlapPolicy" | "routeStrategy" | "schedMode") => (e: Event) =>
    set(key)(Number((e.currentTarget as HTMLInputElement).value) || 0);
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setProblem(undefined);
    try {
      const { taskId } = await api.tasks.addTask(form);
      go(`#/tasks/${taskId}`);
    } catch (err) {
      setProblem(problemOf(err));
      // Take the keyboard to the field the server refused.
      queueMicrotask(() => document.querySelector<HTMLElement>("[aria-invalid=true]")?.focus());
    } finally {
      setSaving(false);
    }
  };
  if (!loaded) return <ProblemBanner problem={problem} />;
  const shownFields = ["name", "biz_id", "srv_name", "callback_path", "sched_mode", "time_cron", "time_zone", "time_interval_sec", "time_spec_at", "arg", "misfire_policy", "overlap_policy", "route_strategy", "max_retries", "max_run_time_sec", "max_run_times"];
  return (
    <section>
      <p>
        <a href={editing ? `#/tasks/${props.id}` : "#/tasks"}>← Back</a>
      </p>
      <h1>{editing ? `Edit ${form.name}` : "New task"}</h1>
      <form class="task-form" onSubmit={submit} noValidate>
        <div class="form-grid">
          <Field label="Name" name="name" problem={problem} hint={editing ? "Name and biz_id identify the task." : undefined}>
            {(a) => <input {...a} value={form.name} readOnly={editing} onInput={(e) => set("name")(e.currentTarget.value)} />}
          </Field>
          <Field label="biz_id" name="biz_id" problem={problem}>
            {(a) => <input {...a} value={form.bizId} readOnly={editing} onInput={(e) => set("bizId")(e.currentTarget.value)} />}
          </Field>
          <Field label="Task server" name="srv_name" problem={problem}>
            {(a) => (
              <select {...a} value={form.srvName} onChange={(e) => set("srvName")(e.currentTarget.value)}>
                <option value="">choose…</option>
                {servers.data?.taskServers.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Callback path" name="callback_path" problem={problem}>
            {(a) => <input {...a} value={form.callbackPath} onInput={(e) => set("callbackPath")(e.currentTarget.value)} />}
          </Field>
          <Field label="Schedule" name="sched_mode" problem={problem}>
            {(a) => (
              <select {...a} value={form.schedMode} onChange={num("schedMode")}>
                {MODES.map(([m, label]) => (
                  <option key={m} value={m}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {(form.schedMode === SchedMode.INTERVAL || form.schedMode === SchedMode.FIXED_DELAY) && (
            <Field label="Interval (seconds)" name="time_interval_sec" problem={problem}>
              {(a) => <input {...a} type="number" min="1" value={form.timeIntervalSec} onInput={num("timeIntervalSec")} />}
            </Field>
          )}
          {form.schedMode === SchedMode.CRON && (
            <>
              <Field label="Cron expression" name="time_cron" problem={problem} hint="5 fields, or 6 with seconds first">
                {(a) => <input {...a} value={form.timeCron} placeholder="0 30 6 * * *" onInput={(e) => set("timeCron")(e.currentTarget.value)} />}
              </Field>
              <Field label="Time zone" name="time_zone" problem={problem} hint="IANA name; empty means UTC">
                {(a) => <input {...a} value={form.timeZone} placeholder="Asia/Shanghai" onInput={(e) => set("timeZone")(e.currentTarget.value)} />}
              </Field>
            </>
          )}
          {form.schedMode === SchedMode.AT && (
            <Field label="Fire at (local time)" name="time_spec_at" problem={problem}>
              {(a) => (
                <input
                  {...a}
                  type="datetime-local"
                  value={localInput(form.timeSpecAt)}
                  onInput={(e) => set("timeSpecAt")(BigInt(Math.floor((new Date(e.currentTarget.value).getTime() || 0) / 1000)))}
                />
              )}
            </Field>
          )}
          <Field label="Argument (sent as is)" name="arg" problem={problem}>
            {(a) => <textarea {...a} rows={3} value={form.arg} onInput={(e) => set("arg")(e.currentTarget.value)} />}
          </Field>
        </div>
        <SchedulePreview form={form} />
        <fieldset>
          <legend>Policies</legend>
          <div class="form-grid">
            <Field label="Missed slots" name="misfire_policy" problem={problem}>
              {(a) => (
                <select {...a} value={form.misfirePolicy} onChange={num("misfirePolicy")}>
                  {[MisfirePolicy.UNSPECIFIED, MisfirePolicy.SKIP, MisfirePolicy.FIRE_ALL].map((p) => (
                    <option key={p} value={p}>
                      {misfireName(p)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="When the previous run is open" name="overlap_policy" problem={problem}>
              {(a) => (
                <select {...a} value={form.overlapPolicy} onChange={num("overlapPolicy")}>
                  {[OverlapPolicy.UNSPECIFIED, OverlapPolicy.SKIP, OverlapPolicy.QUEUE_ONE, OverlapPolicy.CANCEL_PREVIOUS].map((p) => (
                    <option key={p} value={p}>
                      {overlapName(p)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Route strategy" name="route_strategy" problem={problem}>
              {(a) => (
                <select {...a} value={form.routeStrategy} onChange={num("routeStrategy")}>
                  {[RouteStrategy.UNSPECIFIED, RouteStrategy.ROUND_ROBIN, RouteStrategy.CONSISTENT_HASH, RouteStrategy.FAILOVER, RouteStrategy.BROADCAST].map((p) => (
                    <option key={p} value={p}>
                      {routeStrategyName(p)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Retries" name="max_retries" problem={problem}>
              {(a) => <input {...a} type="number" min="0" value={form.maxRetries} onInput={num("maxRetries")} />}
            </Field>
            <Field label="Max run time (seconds, 0: route timeout)" name="max_run_time_sec" problem={problem}>
              {(a) => <input {...a} type="number" min="0" value={form.maxRunTimeSec} onInput={num("maxRunTimeSec")} />}
            </Field>
            <Field label="Max runs (0: no limit)" name="max_run_times" problem={problem}>
              {(a) => <input {...a} type="number" min="0" value={form.maxRunTimes} onInput={num("maxRunTimes")} />}
            </Field>
          </div>
        </fieldset>
        <ProblemBanner problem={problem} fieldsShown={shownFields} />
        <button type="submit" class="primary" disabled={saving}>
          {editing ? "Save" : "Create task"}
        </button>
      </form>
    </section>
  );
}
