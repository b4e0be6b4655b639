import type { GetStatsResponse } from "../../../gen/easytask/v1/task_pb.js";
import { api } from "../api.js";
import { TimeChart } from "../chart.js";
import { ProblemBanner, Table } from "../components.js";
import { plural } from "../format.js";
import { usePoll } from "../usePoll.js";
import { msOf, Time } from "../zone.js";

const STATS_POLL_MS = 10_000;

// Runs per minute (succeeded and failed, stacked) and lateness p99 over the
// last hour.
function HourChart(props: { stats: GetStatsResponse }) {
  const points = props.stats.minutes.map((m) => ({ at: msOf(m.minute)!, values: [m.fires - m.failures, m.failures], line: m.latenessP99Ms }));
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
      describe={(p) => `${plural(p.values[0] + p.values[1], "run")}, ${p.values[1]} failed or timed out; lateness p99 ${p.line} ms`}
      empty="No runs in the last hour."
    />
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
      {cluster.data && (
        <>
          <h2>Cluster {cluster.data.clusterName}</h2>
          <p>
            Election: {cluster.data.electDriver}; leader <strong>{cluster.data.leaderId || "none"}</strong>; this node {cluster.data.nodeId}
            {cluster.data.ready ? " is ready" : ` is not ready: ${cluster.data.notReadyReason}`}.
          </p>
          <Table label="Members" cards>
            <thead>
              <tr>
                <th>Node</th>
                <th>Address</th>
                <th>Started</th>
                <th>Role</th>
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
                  <td data-label="Role">{m.nodeId === cluster.data!.leaderId ? "leader" : "follower"}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </>
      )}
    </section>
  );
}
