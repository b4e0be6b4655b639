import type { Logger } from "../log/log.js";
import { withoutLogFields } from "../log/context.js";
import type { Clock } from "../clock.js";
import type { Db } from "../store/database.js";
import { insertAuditEntries, type NewAuditRow } from "../store/auditLog.js";
import type { CallRecord } from "./describeCall.js";

export interface AuditEntry extends CallRecord {
  actor: string;
  // "easytask.v1.TaskService/PauseTask".
  method: string;
  protocol: string;
  traceId: string;
}

const MAX_BATCH = 200;

// Writes audit entries in batches: calls that end together share one
// insert, and each call's answer waits for its entry to be written.
export class AuditLog {
  private queue: { row: NewAuditRow; written(): void }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  // Resolves once the entry is written, or once its failure is logged.
  record(entry: AuditEntry): Promise<void> {
    const row: NewAuditRow = {
      at: this.clock.now(),
      actor: entry.actor,
      method: entry.method,
      protocol: entry.protocol,
      targets: entry.targets.length > 0 ? `,${entry.targets.join(",")},` : "",
      request: entry.request,
      result: entry.result,
      trace_id: entry.traceId,
    };
    return new Promise((written) => {
      this.queue.push({ row, written });
      // The flush writes everyone's entries: its lines are about no one call.
      this.flushing ??= withoutLogFields(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    // Let entries of calls ending in the same turn join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await insertAuditEntries(this.db, batch.map((b) => b.row));
      } catch (err) {
        // The changes are made: say in the log what the audit log misses.
        const missed = batch.map((b) => ({ actor: b.row.actor, method: b.row.method, targets: b.row.targets, trace_id: b.row.trace_id }));
        this.log.error("writing the audit log failed; these changes are not in it", { err, missed });
      }
      for (const b of batch) b.written();
    }
    this.flushing = undefined;
  }
}
