import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Clock } from "../clock.js";
import { withoutLogFields } from "../log/context.js";
import type { Logger } from "../log/log.js";
import type { RunOutcome } from "../policy/runOutcome.js";
import type { Db } from "../store/database.js";
import { callbackOutcome, finishAttempts, recordLateAnswer, type AttemptRef } from "../store/taskLogs.js";
import type { TaskRow } from "../store/tasks.js";
import { transaction } from "../store/transaction.js";

export interface Answer {
  ref: AttemptRef;
  task: TaskRow;
  outcome: RunOutcome;
  at: number;
}

const MAX_BATCH = 500;
// The answers' text travels in the batch's one UPDATE: kept well under
// MySQL's max_allowed_packet (16 MiB by default).
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const RETRY_MS = 1000;

// How many answers from the head of the queue make one batch.
function batchSize(queue: Answer[]): number {
  let bytes = 0;
  for (let n = 0; n < Math.min(queue.length, MAX_BATCH); n++) {
    const { answer, error, extra } = queue[n].outcome;
    bytes += answer.response.length + answer.route.length + error.length + extra.length;
    if (bytes > MAX_BATCH_BYTES && n > 0) return n;
  }
  return Math.min(queue.length, MAX_BATCH);
}

// Writes callback answers in batches, one transaction of a few statements
// each (finishAttempts), so a busy scheduler pays a few round trips and one
// commit per batch instead of per run. A batch that fails is kept and
// written again: answers are lost only with the process.
export class ResultWriter {
  private queue: Answer[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private writing = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  // Answers not written yet, the batch being written included.
  get queued(): number {
    return this.queue.length + this.writing;
  }

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
      const batch = this.queue.splice(0, batchSize(this.queue));
      this.writing = batch.length;
      try {
        await transaction(this.db, async (tx) => {
          const finishes = batch.map((a) => ({ ref: a.ref, outcome: callbackOutcome(a.outcome, a.at), task: a.task, at: a.at }));
          const moved = await finishAttempts(tx, finishes, [RunState.RUNNING], this.clock.now());
          for (const [i, a] of batch.entries()) if (!moved[i]) await recordLateAnswer(tx, a.ref, a.outcome.answer);
        });
      } catch (err) {
        this.log.error("writing run results failed; retrying", { err, runs: batch.length });
        this.queue.unshift(...batch);
        await this.clock.sleep(RETRY_MS);
      } finally {
        this.writing = 0;
      }
    }
    this.flushing = undefined;
  }
}
