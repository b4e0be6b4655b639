import type { Clock } from "../clock.js";
import type { Logger } from "../log/log.js";
import { withoutLogFields } from "../log/context.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Updateable } from "kysely";
import type { Db, TaskLogTable } from "../store/database.js";
import { finishAttempt, recordLateAnswer, type AttemptRef, type Outcome } from "../store/taskLogs.js";
import type { TaskRow } from "../store/tasks.js";
import { transaction } from "../store/transaction.js";
import { RunState } from "../../gen/easytask/v1/task_pb.js";

export interface Answer {
  ref: AttemptRef;
  task: TaskRow;
  outcome: Outcome;
  // What to keep of the answer when the attempt was closed meanwhile.
  late: Updateable<TaskLogTable>;
  at: number;
}

// Told of every attempt that ended here (alerts), after it is written.
export type RunEndedHook = (taskId: number, state: RunState) => void;

const MAX_BATCH = 200;
const RETRY_MS = 1000;

// Writes callback answers in batches, one transaction each, so a busy
// scheduler commits (and syncs to disk) once per batch instead of once per
// run. A batch that fails is kept and written again: answers are lost only
// with the process.
export class ResultWriter {
  private queue: Answer[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly onEnded?: RunEndedHook,
  ) {}

  push(answer: Answer): void {
    this.queue.push(answer);
    // The flush writes everyone's answers: its lines are about no one run.
    if (!this.closed) this.flushing ??= withoutLogFields(() => this.flush());
  }

  // Stops writing (the store is about to close). What is still queued is
  // left to the sweeper of the next leader, which times those runs out.
  close(): void {
    this.closed = true;
    if (this.queue.length > 0) this.log.warn("run results not written at shutdown", { runs: this.queue.length });
  }

  // Resolves when everything queued so far is written, or after timeoutMs.
  async drain(timeoutMs: number): Promise<void> {
    const gaveUp = new AbortController();
    const deadline = this.clock.sleep(timeoutMs, gaveUp.signal).then(() => true);
    while (this.flushing && !(await Promise.race([this.flushing.then(() => false), deadline])));
    gaveUp.abort();
  }

  private async flush(): Promise<void> {
    // Let answers that arrive in the same turn join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const ended = await transaction(this.db, async (tx) => {
          const recorded: Answer[] = [];
          for (const a of batch) {
            const moved = await finishAttempt(tx, a.ref, a.outcome, [RunState.RUNNING], a.at, a.task);
            if (!moved) await recordLateAnswer(tx, a.ref, a.late);
            else if (a.outcome.state !== RunState.ASYNC_WAITING) recorded.push(a);
          }
          return recorded;
        });
        for (const a of ended) {
          this.metrics.runFinished(a.task.task_server_id, a.outcome.state);
          this.onEnded?.(a.ref.taskId, a.outcome.state);
        }
      } catch (err) {
        this.log.error("writing run results failed; retrying", { err, runs: batch.length });
        this.queue.unshift(...batch);
        await this.clock.sleep(RETRY_MS);
      }
    }
    this.flushing = undefined;
  }
}
