// The API's messages name its fields (srv_name, time_interval_sec) for
// programs and logs; the console shows them with the labels of its own
// fields and in plain words. The API keeps its messages.

const LABELS: Record<string, string> = {
  name: "Name",
  srv_name: "Task server",
  callback_path: "Callback path",
  sched_mode: "Schedule",
  time_cron: "Cron expression",
  time_zone: "Time zone",
  time_interval_sec: "Interval",
  time_spec_at: "Fire at",
  arg: "Argument",
  misfire_policy: "Missed slots",
  overlap_policy: "Overlap",
  route_strategy: "Route strategy",
  max_retries: "Retries",
  max_run_time_sec: "Max run time",
  max_run_times: "Max runs",
  start_at: "Start",
  end_at: "End",
  schema: "Scheme",
  host: "Host",
  port: "Port",
  callback_timeout_sec: "Callback timeout",
  task_id: "Task",
  run_times: "Run",
  page_size: "Page size",
};

// Technical asides that mean nothing in a form: which sched_mode number,
// which unit the API takes.
const ASIDES = [/ for sched_mode \d+( \([^)]*\))?/g, / \(unix seconds\)/g];

// `field` and `label`: the field the message is about and its label on the
// page, so the message speaks of what the user sees.
export function inPlainWords(message: string, field = "", label = ""): string {
  let text = ASIDES.reduce((t, aside) => t.replace(aside, ""), message);
  const labels = field && label ? { ...LABELS, [field]: label } : LABELS;
  // Names with an underscore are the API's wherever they appear; one-word
  // names (name, host, port) only as the message's subject, at its start.
  for (const [name, shown] of Object.entries(labels)) {
    const where = name.includes("_") ? new RegExp(`\\b${name}\\b`, "g") : new RegExp(`^${name}\\b`);
    text = text.replace(where, shown);
  }
  text = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?)]$/.test(text) ? text : `${text}.`;
}

// Run errors the scheduler records in its own terms, as an operator reads them.
const RUN_ERRORS: [RegExp, string][] = [
  [/^killed through KillRun$/, "Killed from the console or the API (Kill run)."],
  [/^task stopped$/, "The task was stopped while this run was open."],
  [/^canceled by the next run$/, "Canceled by the next run (overlap policy: cancel previous)."],
  [/^task server has no routes$/, "The task server has no routes to call: add one on the Task servers page."],
  [/^callback aborted$/, "The callback was cut off: the task was stopped, the run killed, or the scheduler shut down."],
];

export function runErrorInWords(error: string): string {
  return RUN_ERRORS.find(([pattern]) => pattern.test(error))?.[1] ?? error;
}
