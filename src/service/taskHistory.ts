import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { GetTaskHistoryRequestSchema, GetTaskHistoryResponseSchema, HistoryBucketSchema, type GetTaskHistoryRequest } from "../../gen/easytask/v1/task_pb.js";
import { limitOf } from "./limits.js";
import type { Db } from "../store/database.js";
import { taskHistory } from "../store/stats.js";
import { getTask } from "../store/tasks.js";
import { invalidArgument, taskNotFound } from "./errors.js";
import { requiredId } from "./validate.js";

const MAX_BUCKET_SEC = limitOf(GetTaskHistoryRequestSchema, "bucket_sec", "maxValue");
const MAX_BUCKETS = limitOf(GetTaskHistoryRequestSchema, "buckets", "maxValue");
const DAY_SEC = 86_400;

// A task's attempts bucket by bucket, ending with the current bucket; empty
// buckets included, so a chart has no gaps.
export async function getTaskHistory(db: Db, req: GetTaskHistoryRequest, now: number) {
  const taskId = requiredId("task_id", req.taskId);
  const bucketSec = req.bucketSec || 3600;
  const buckets = req.buckets || 24;
  if (bucketSec < 60 || bucketSec > MAX_BUCKET_SEC) throw invalidArgument("bucket_sec", `bucket_sec must be 60 to ${MAX_BUCKET_SEC}`);
  if (buckets > MAX_BUCKETS) throw invalidArgument("buckets", `buckets must be at most ${MAX_BUCKETS}`);
  if (bucketSec * buckets > MAX_BUCKETS * DAY_SEC) throw invalidArgument("buckets", `bucket_sec × buckets must be at most ${MAX_BUCKETS} days`);
  if (!(await getTask(db, taskId))) throw taskNotFound(taskId);
  const bucketMs = bucketSec * 1000;
  const since = (Math.floor(now / bucketMs) - (buckets - 1)) * bucketMs;
  const { rows, truncated } = await taskHistory(db, taskId, since, bucketMs);
  const byBucket = new Map(rows.map((r) => [r.bucket, r]));
  return create(GetTaskHistoryResponseSchema, {
    truncated,
    buckets: Array.from({ length: buckets }, (_, i) => {
      const start = since + i * bucketMs;
      const r = byBucket.get(start);
      return create(HistoryBucketSchema, {
        start: timestampFromMs(start),
        succeeded: r?.succeeded ?? 0,
        failed: r?.failed ?? 0,
        other: r ? r.total - r.succeeded - r.failed : 0,
        durationAvgMs: r?.durationAvg ?? 0,
        durationMaxMs: r?.durationMax ?? 0,
      });
    }),
  });
}
