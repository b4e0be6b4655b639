import type { Db } from "./database.js";
import { transaction } from "./transaction.js";

// Writes what concurrent callers ask for together: the callers of one turn
// of the event loop go in one batch, and while it is being written the next
// callers wait and go in the next, each batch one transaction of a few
// statements. A lone caller waits for no one but that turn; under load each
// caller pays a share of a batch's round trips and commit instead of its
// own. When a batch fails, its items are written one by one, so one
// caller's bad item fails that caller alone.
export class GroupCommit<I, O> {
  private waiting: { item: I; resolve(o: O): void; reject(e: unknown): void }[] = [];
  private writing = false;

  constructor(
    private readonly db: Db,
    private readonly write: (tx: Db, items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
  ) {}

  run(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // Callers whose requests were read in the same turn join the first
    // batch: SQLite writes without waiting on I/O, so without this turn
    // every batch would be a lone caller's.
    await new Promise((r) => setImmediate(r));
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        const out = await transaction(this.db, (tx) => this.write(tx, batch.map((b) => b.item)));
        batch.forEach((b, i) => b.resolve(out[i]));
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else for (const b of batch) await transaction(this.db, (tx) => this.write(tx, [b.item])).then(([o]) => b.resolve(o), b.reject);
      }
    }
    this.writing = false;
  }
}
