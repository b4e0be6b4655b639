import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { RunState } from "../../../gen/easytask/v1/task_pb.js";
import { api } from "../api.js";
import { Pager, ProblemBanner } from "../components.js";
import { runStateName } from "../format.js";
import { RunsTable } from "../runs.js";
import { POLL_MS, usePoll } from "../usePoll.js";

const PAGE_SIZE = 50;
const STATES = Object.values(RunState).filter((v): v is RunState => typeof v === "number" && v !== RunState.UNSPECIFIED);

// datetime-local (local time) to a Timestamp; empty means no bound.
const bound = (local: string) => (local ? timestampFromMs(new Date(local).getTime()) : undefined);

export function Runs(props: { params: URLSearchParams }) {
  const [taskId, setTaskId] = useState(props.params.get("task_id") ?? "");
  const [state, setState] = useState(RunState.UNSPECIFIED);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [tokens, setTokens] = useState<string[]>([]);
  const validTaskId = /^\d*$/.test(taskId.trim());
  const runs = usePoll(
    () =>
      api.tasks.listTaskLogs({
        taskId: validTaskId && taskId.trim() ? BigInt(taskId.trim()) : 0n,
        state,
        startedFrom: bound(from),
        startedBefore: bound(to),
        pageSize: PAGE_SIZE,
        pageToken: tokens.at(-1) ?? "",
      }),
    [taskId, state, from, to, tokens.join()],
    // Only the first page moves as runs come in.
    tokens.length === 0 && POLL_MS,
  );
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
        <div class="field">
          <label for="run-from">Started from</label>
          <input id="run-from" type="datetime-local" step="1" value={from} onInput={(e) => filter(setFrom)(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="run-to">Started before</label>
          <input id="run-to" type="datetime-local" step="1" value={to} onInput={(e) => filter(setTo)(e.currentTarget.value)} />
        </div>
      </form>
      {!validTaskId && <p class="problem">The task id is a number.</p>}
      <ProblemBanner problem={runs.problem} />
      <RunsTable runs={runs.data?.taskLogs ?? []} showTask onChanged={runs.reload} />
      <Pager tokens={tokens} next={runs.data?.nextPageToken ?? ""} onChange={setTokens} />
    </section>
  );
}
