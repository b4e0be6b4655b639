import { AlertDelivery, AlertKind, type Alert } from "../../../gen/easytask/v1/cluster_pb.js";
import type { GetStatsResponse } from "../../../gen/easytask/v1/task_pb.js";
import { api } from "../api.js";
import { TimeChart } from "../chart.js";
import { Badge, ProblemBanner, Table } from "../components.js";
import { plural, shardRanges } from "../format.js";
import { usePoll } from "../usePoll.js";
import { msOf, Time } from "../zone.js";

const STATS_POLL_MS = 10_000;

// Runs per minute (succeeded and failed, stacked) and lateness p99 over the
// last hour.
function HourChart(props: { stats: GetStatsResponse }) {
  const points = props.stats.minutes.map((m) => ({ at: msOf(m.minute)!, values: [m.fires - m.failures, m.failures], line: m.fires ? m.latenessP99Ms : undefined }));
  return (
    <TimeChart
      title="Runs per minute, last hour"
      points={points}
      stepMs={60_000}
      series={[
        { name: "runs", className: "ok" },
        { name: "failed or timed out", className: "failed" },
      ]}
      line={{ name: "lateness p99", unit: "ms" }}
      describe={(p) => `${plural(p.values[0] + p.values[1], "run")}, ${p.values[1]} failed or timed out; lateness p99 ${p.line ?? 0} ms`}
      empty="No runs in the last hour."
    />
  );
}

const ALERTS_SHOWN = 10;

function deliveryBadge(a: Alert): [string, string] {
  switch (a.delivery) {
    case AlertDelivery.SENT:
      return ["ok", "sent"];
    case AlertDelivery.FAILED:
      return ["bad", "not delivered"];
    case AlertDelivery.PENDING:
      return ["busy", "sending"];
    default:
      return ["", "listed only"];
  }
}

// The latest alerts, where they go, and what raises one.
function Alerts() {
  const alerts = usePoll(() => api.cluster.listAlerts({ pageSize: ALERTS_SHOWN }), [], STATS_POLL_MS);
  const d = alerts.data;
  if (!d) return <ProblemBanner problem={alerts.problem} />;
  const s = d.settings!;
  const when = [s.failingRunsInARow > 0 && `a task fails ${plural(s.failingRunsInARow, "run")} in a row`, "a route is evicted"].filter(Boolean).join(" or ");
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <p class="muted">
        Raised when {when};{" "}
        {s.webhookConfigured ? `posted to the webhook at ${s.webhookHost}.` : "listed here only: no webhook is configured (alerts.webhook_url)."}
      </p>
      {d.alerts.length === 0 ? (
        <p>No alerts.</p>
      ) : (
        <ul class="alerts">
          {d.alerts.map((a) => {
            const [tone, word] = deliveryBadge(a);
            return (
              <li key={String(a.alertId)}>
                <Time at={a.at} ago /> <Badge tone={tone}>{word}</Badge>{" "}
                {a.kind === AlertKind.TASK_FAILING ? <a href={`#/tasks/${a.taskId}`}>{a.text}</a> : <a href="#/servers">{a.text}</a>}
                {a.deliveryError && <small class="field-error"> {a.deliveryError}</small>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

export function Overview() {
  const cluster = usePoll(() => api.cluster.getCluster({}), []);
  // An hour of runs is a heavier read than a page of them.
  const stats = usePoll(() => api.tasks.getStats({}), [], STATS_POLL_MS);
  const servers = usePoll(() => api.registry.listTaskServers({}), []);
  const s = stats.data;
  const evicted = (servers.data?.taskServers ?? []).flatMap((srv) => srv.evictedRoutes.map((r) => ({ srv, r })));
  return (
    <section>
      <h1>Overview</h1>
      <ProblemBanner problem={stats.problem ?? cluster.problem} />
      {s && (s.failingTasks.length > 0 || evicted.length > 0) && (
        <div class="attention">
          {s.failingTasks.length > 0 && (
            <>
              <h2>Failing tasks (last hour)</h2>
              <Table label="Failing tasks" cards>
                <thead>
                  <tr>
                    <th>Task</th>
                    <th>Task server</th>
                    <th>Failures</th>
                    <th>Last failure</th>
                  </tr>
                </thead>
                <tbody>
                  {s.failingTasks.map((f) => (
                    <tr key={String(f.taskId)}>
                      <td data-label="Task">
                        <a href={`#/tasks/${f.taskId}`}>{f.name}</a>
                      </td>
                      <td data-label="Task server">{f.srvName}</td>
                      <td data-label="Failures">{f.failures}</td>
                      <td data-label="Last failure">
                        <Time at={f.lastFailureAt} ago />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </>
          )}
          {evicted.length > 0 && (
            <>
              <h2>Evicted routes</h2>
              <ul>
                {evicted.map(({ srv, r }) => (
                  <li key={`${srv.name}-${r.routeId}`}>
                    <a href="#/servers">{srv.name}</a> {r.schema}://{r.host}:{r.port}, evicted <Time at={r.evictedAt} ago />
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {s && (
        <dl class="tiles">
          <div>
            <dt>Scheduled tasks</dt>
            <dd>{s.tasksScheduled}</dd>
          </div>
          <div>
            <dt>Paused / stopped / finished</dt>
            <dd>
              {s.tasksPaused} / {s.tasksStopped} / {s.tasksFinished}
            </dd>
          </div>
          <div>
            <dt>Task servers / routes</dt>
            <dd>
              {s.taskServers} / {s.routes}
            </dd>
          </div>
          <div>
            <dt>Unhealthy / evicted routes</dt>
            <dd>
              {s.routesUnhealthy} / {s.routesEvicted}
            </dd>
          </div>
          <div>
            <dt>Runs last hour</dt>
            <dd>{s.firesLastHour}</dd>
          </div>
          <div>
            <dt>Lateness p99</dt>
            <dd>{s.latenessP99MsLastHour} ms</dd>
          </div>
        </dl>
      )}
      {s && <HourChart stats={s} />}
      <Alerts />
      {cluster.data && (
        <>
          <h2>Cluster {cluster.data.clusterName}</h2>
          <p>
            Election: {cluster.data.electDriver}; {cluster.data.shardCount} shards; this node {cluster.data.nodeId}
            {cluster.data.ready ? " is ready" : ` is not ready: ${cluster.data.notReadyReason}`}
            {!cluster.data.leadershipKnown && `; it cannot tell which shards it may lead (nobody may be scheduling): ${cluster.data.leadershipUnknownReason}`}.
          </p>
          <Table label="Members" cards>
            <thead>
              <tr>
                <th>Node</th>
                <th>Address</th>
                <th>Started</th>
                <th>Shards led</th>
              </tr>
            </thead>
            <tbody>
              {cluster.data.members.map((m) => (
                <tr key={m.nodeId}>
                  <td data-label="Node">{m.nodeId}</td>
                  <td data-label="Address">{m.address}</td>
                  <td data-label="Started">
                    <Time at={m.startedAt} ago />
                  </td>
                  <td data-label="Shards">
                    {m.shards.length} ({shardRanges(m.shards)})
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}
    </section>
  );
}
