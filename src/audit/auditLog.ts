import type { Logger } from "../log/log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../store/database.js";
import { insertAuditEntries, type NewAuditRow } from "../store/auditLog.js";
import { GroupCommit } from "../store/groupCommit.js";
import type { CallRecord } from "./describeCall.js";

export interface AuditEntry extends CallRecord {
  actor: string;
  // "easytask.v1.TaskService/PauseTask".
  method: string;
  protocol: string;
  traceId: string;
}

const MAX_BATCH = 200;

// Writes audit entries in batches (calls that end together share one
// insert); each call's answer waits for its entry to be written.
export class AuditLog {
  private readonly writes: GroupCommit<NewAuditRow, void>;

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.writes = new GroupCommit(
      db,
      async (tx, rows) => {
        await insertAuditEntries(tx, rows);
        return rows.map(() => undefined);
      },
      MAX_BATCH,
    );
  }

  // Resolves once the entry is written, or once its failure is logged.
  async record(entry: AuditEntry): Promise<void> {
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
    try {
      await this.writes.run(row);
    } catch (err) {
      // The change is made: say in the log what the audit log misses.
      this.log.error("writing the audit log failed; this change is not in it", { err, missed: { actor: row.actor, method: row.method, targets: row.targets, trace_id: row.trace_id } });
    }
  }
}
