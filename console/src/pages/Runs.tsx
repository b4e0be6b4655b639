import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { RunState } from "../../../gen/easytask/v1/task_pb.js";
import { api } from "../api.js";
import { Pager, ProblemBanner } from "../components.js";
import { runStateName } from "../format.js";
import { RunsTable } from "../runs.js";
import { parseIn, zoneName } from "../time.js";
import { POLL_MS, usePoll } from "../usePoll.js";
import { useZone } from "../zone.js";

const PAGE_SIZE = 50;
const STATES = Object.values(RunState).filter((v): v is RunState => typeof v === "number" && v !== RunState.UNSPECIFIED);

// A start-time bound typed as YYYY-MM-DD HH:MM[:SS] in the zone times are
// shown in; empty means no bound, and text that is not a time none either
// (the field says so).
function TimeBound(props: { id: string; label: string; value: string; zone: string; onInput(v: string): void }) {
  const wrong = props.value.trim() !== "" && parseIn(props.zone, props.value) === undefined;
  return (
    <div class={`field ${wrong ? "invalid" : ""}`}>
      <label for={props.id}>{props.label}</label>
      <input id={props.id} value={props.value} aria-invalid={wrong} aria-describedby={`${props.id}-hint`} autoComplete="off" onInput={(e) => props.onInput(e.currentTarget.value)} />
      <small id={`${props.id}-hint`} class={wrong ? "field-error" : "hint"}>
        {wrong ? "Not a time: " : ""}YYYY-MM-DD HH:MM:SS, {zoneName(props.zone, Date.now())}
      </small>
    </div>
  );
}

export function Runs(props: { params: URLSearchParams }) {
  const [taskId, setTaskId] = useState(props.params.get("task_id") ?? "");
  const [state, setState] = useState(RunState.UNSPECIFIED);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [errorText, setErrorText] = useState(props.params.get("error") ?? "");
  const [tokens, setTokens] = useState<string[]>([]);
  const validTaskId = /^\d*$/.test(taskId.trim());
  const zone = useZone();
  const bound = (text: string) => {
    const at = text.trim() ? parseIn(zone, text) : undefined;
    return at === undefined ? undefined : timestampFromMs(at);
  };
  const runs = usePoll(
    () =>
      api.tasks.listTaskLogs({
        taskId: validTaskId && taskId.trim() ? BigInt(taskId.trim()) : 0n,
        state,
        startedFrom: bound(from),
        startedBefore: bound(to),
        errorContains: errorText.trim(),
        pageSize: PAGE_SIZE,
        pageToken: tokens.at(-1) ?? "",
      }),
    [taskId, state, from, to, zone, errorText, tokens.join()],
    // Only the first page moves as runs come in; a search of error texts
    // (which may read many runs) runs when asked.
    tokens.length === 0 && !errorText.trim() && POLL_MS,
  );
  const searchGoesOn = errorText.trim() !== "" && !!runs.data?.nextPageToken && runs.data.taskLogs.length < PAGE_SIZE;
  const filter = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setTokens([]);
  };
  return (
    <section>
      <h1>Runs</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Run filters">
        <div class="field">
          <label for="run-task">Task id</label>
          <input id="run-task" inputMode="numeric" value={taskId} aria-invalid={!validTaskId} onInput={(e) => filter(setTaskId)(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="run-state">State</label>
          <select id="run-state" value={state} onChange={(e) => filter(setState)(Number(e.currentTarget.value))}>
            <option value={RunState.UNSPECIFIED}>any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {runStateName(s)}
              </option>
            ))}
          </select>
        </div>
        <TimeBound id="run-from" label="Started from" value={from} zone={zone} onInput={filter(setFrom)} />
        <TimeBound id="run-to" label="Started before" value={to} zone={zone} onInput={filter(setTo)} />
        <div class="field">
          <label for="run-error">Error contains</label>
          <input id="run-error" type="search" value={errorText} aria-describedby="run-error-hint" onInput={(e) => filter(setErrorText)(e.currentTarget.value)} />
          <small id="run-error-hint" class="hint">
            Case ignored; not refreshed on its own
          </small>
        </div>
      </form>
      {!validTaskId && <p class="problem">The task id is a number.</p>}
      <ProblemBanner problem={runs.problem} />
      <RunsTable runs={runs.data?.taskLogs} showTask onChanged={runs.reload} />
      {searchGoesOn && <p class="muted">A search reads up to 50,000 runs a page, newest first: Next searches older ones.</p>}
      <Pager tokens={tokens} next={runs.data?.nextPageToken ?? ""} onChange={setTokens} />
    </section>
  );
}
