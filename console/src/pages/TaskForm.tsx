import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { MisfirePolicy, OverlapPolicy, RouteStrategy, SchedMode, type AddTaskRequest, type Task } from "../../../gen/easytask/v1/task_pb.js";
import { api, problemOf, type Problem } from "../api.js";
import { Field, ProblemBanner } from "../components.js";
import { flash } from "../flash.js";
import { cronInWords, misfireName, overlapName, routeStrategyName } from "../format.js";
import { go } from "../route.js";
import { formatIn, parseIn, zoneName } from "../time.js";
import { usePoll } from "../usePoll.js";
import { inPlainWords } from "../words.js";
import { msOf, Time, useZone } from "../zone.js";

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

// Every IANA zone this browser knows, offered as the time zone is typed.
const ZONES: string[] = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];

// The next fire times of what is typed so far, from the server, under the
// schedule in words; for a cron schedule in another zone than the one times
// are shown in, each also in the schedule's zone.
function SchedulePreview(props: { form: Form }) {
  const f = props.form;
  const zone = useZone(f.timeZone || "UTC");
  const [shown, setShown] = useState<{ times: Timestamp[]; problem?: Problem }>({ times: [] });
  // Nothing to preview yet: say what is missing rather than ask the server.
  const missing = f.schedMode === SchedMode.AT && !f.timeSpecAt ? "the time to fire at" : f.schedMode === SchedMode.CRON && !f.timeCron.trim() ? "a cron expression" : "";
  useEffect(() => {
    if (missing) return;
    const timer = setTimeout(() => {
      api.tasks
        .previewSchedule({ schedMode: f.schedMode, timeCron: f.timeCron, timeZone: f.timeZone, timeIntervalSec: f.timeIntervalSec, timeSpecAt: f.timeSpecAt, count: 5 })
        .then(
          (r) => setShown({ times: r.fireTimes }),
          (err) => setShown({ times: [], problem: problemOf(err) }),
        );
    }, 300);
    return () => clearTimeout(timer);
  }, [f.schedMode, f.timeCron, f.timeZone, f.timeIntervalSec, f.timeSpecAt]);
  const cronZone = f.schedMode === SchedMode.CRON ? f.timeZone || "UTC" : undefined;
  const words = cronZone && f.timeCron ? cronInWords(f.timeCron) : undefined;
  return (
    <aside class="preview" aria-live="polite" aria-label="Schedule preview">
      <h3>Next fire times</h3>
      {words && (
        <p>
          {words} ({cronZone})
        </p>
      )}
      {missing ? (
        <p class="muted">Enter {missing} to see them here.</p>
      ) : shown.problem ? (
        <p class="muted">{inPlainWords(shown.problem.message)}</p>
      ) : (
        <ol>
          {shown.times.map((t, i) => (
            <li key={i}>
              <Time at={t} taskZone={f.timeZone || "UTC"} />
              {cronZone && cronZone !== zone && (
                <small class="muted">
                  {" "}
                  = {formatIn(cronZone, msOf(t)!)} {zoneName(cronZone, msOf(t)!)}
                </small>
              )}
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}

// The one-shot time, typed as YYYY-MM-DD HH:MM:SS in the zone times are
// shown in (the console's one format, whatever the browser's locale).
function FireAt(props: { value: bigint; onChange(v: bigint): void; problem?: Problem }) {
  const zone = useZone();
  const [text, setText] = useState(props.value ? formatIn(zone, Number(props.value) * 1000) : "");
  const parsed = parseIn(zone, text);
  const wrong = text.trim() !== "" && parsed === undefined;
  return (
    <Field label="Fire at" name="time_spec_at" problem={props.problem} hint={`YYYY-MM-DD HH:MM:SS, ${zoneName(zone, parsed ?? Date.now())} (${zone})`}>
      {(a) => (
        <>
          <input
            {...a}
            aria-invalid={a["aria-invalid"] || wrong}
            aria-describedby={[a["aria-describedby"], wrong && "fire-at-format"].filter(Boolean).join(" ") || undefined}
            value={text}
            onInput={(e) => {
              const v = e.currentTarget.value;
              setText(v);
              const at = parseIn(zone, v);
              props.onChange(at === undefined ? 0n : BigInt(Math.floor(at / 1000)));
            }}
          />
          {wrong && <small id="fire-at-format" class="field-error">Not a time: write it as YYYY-MM-DD HH:MM:SS, e.g. {formatIn(zone, Date.now() + 3_600_000)}.</small>}
        </>
      )}
    </Field>
  );
}

// `id`: edit that task. `from`: a new task, a clone of that one.
export function TaskForm(props: { id?: string; from?: string }) {
  const editing = props.id !== undefined;
  const source = props.id ?? props.from;
  const [form, setForm] = useState<Form>(EMPTY);
  const [loaded, setLoaded] = useState(source === undefined);
  const [problem, setProblem] = useState<Problem>();
  const [saving, setSaving] = useState(false);
  const servers = usePoll(() => api.registry.listTaskServers({}), [], false);
  useEffect(() => {
    setLoaded(source === undefined);
    setForm(EMPTY);
    if (source === undefined) return;
    api.tasks.getTask({ taskId: BigInt(source) }).then(
      (r) => {
        const f = formOf(r.task!);
        // A clone needs its own name (name and biz_id identify a task).
        setForm(editing ? f : { ...f, name: `${f.name} copy` });
        setLoaded(true);
      },
      (err) => setProblem(problemOf(err)),
    );
  }, [props.id, props.from]);
  const set = <K extends keyof Form>(key: K) => (value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const num = (key: "timeIntervalSec" | "maxRetries" | "maxRunTimeSec" | "maxRunTimes" | "misfirePolicy" | "overlapPolicy" | "routeStrategy" | "schedMode") => (e: Event) =>
    set(key)(Number((e.currentTarget as HTMLInputElement).value) || 0);
  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setProblem(undefined);
    try {
      const { taskId } = await api.tasks.addTask(form);
      flash.set(editing ? "Saved." : "Created.");
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
        <a href={source ? `#/tasks/${source}` : "#/tasks"}>← Back</a>
      </p>
      <h1>{editing ? `Edit ${form.name}` : props.from ? "New task, a clone" : "New task"}</h1>
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
              <>
                <select {...a} value={form.srvName} onChange={(e) => set("srvName")(e.currentTarget.value)}>
                  <option value="">{servers.data?.taskServers.length === 0 ? "none registered yet" : "choose…"}</option>
                  {servers.data?.taskServers.map((s) => (
                    <option key={s.name} value={s.name}>
                      {s.name}
                    </option>
                  ))}
                </select>
                {servers.data?.taskServers.length === 0 && (
                  <small class="hint">
                    No task server yet: <a href="#/servers">add a route on the Task servers page</a> first; it registers the task server.
                  </small>
                )}
              </>
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
              <Field label="Time zone" name="time_zone" problem={problem} hint="Empty means UTC; else an IANA name such as Europe/Berlin">
                {(a) => (
                  <>
                    <input {...a} value={form.timeZone} list="zones" autoComplete="off" onInput={(e) => set("timeZone")(e.currentTarget.value)} />
                    <datalist id="zones">
                      {ZONES.map((z) => (
                        <option key={z} value={z} />
                      ))}
                    </datalist>
                  </>
                )}
              </Field>
            </>
          )}
          {form.schedMode === SchedMode.AT && <FireAt value={form.timeSpecAt} onChange={set("timeSpecAt")} problem={problem} />}
          <Field label="Argument (sent as is)" name="arg" problem={problem}>
            {(a) => <textarea {...a} rows={3} value={form.arg} onInput={(e) => set("arg")(e.currentTarget.value)} />}
          </Field>
        </div>
        <SchedulePreview form={form} />
        <fieldset>
          <legend>Policies</legend>
          <div class="form-grid aligned">
            <Field label="Missed slots" name="misfire_policy" problem={problem} hint="Slots missed while no scheduler ran">
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
            <Field label="Overlap" name="overlap_policy" problem={problem} hint="When a slot comes while a run is open">
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
            <Field label="Route strategy" name="route_strategy" problem={problem} hint="Which route gets a run">
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
            <Field label="Retries" name="max_retries" problem={problem} hint="After a failed or timed-out run">
              {(a) => <input {...a} type="number" min="0" value={form.maxRetries} onInput={num("maxRetries")} />}
            </Field>
            <Field label="Max run time" name="max_run_time_sec" problem={problem} hint="Seconds; 0: the route's timeout">
              {(a) => <input {...a} type="number" min="0" value={form.maxRunTimeSec} onInput={num("maxRunTimeSec")} />}
            </Field>
            <Field label="Max runs" name="max_run_times" problem={problem} hint="0: no limit">
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
