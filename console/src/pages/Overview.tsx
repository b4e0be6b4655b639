import type { GetStatsResponse } from "../../../gen/easytask/v1/task_pb.js";
import { api } from "../api.js";
import { ProblemBanner, Table } from "../components.js";
import { dateTime, shardRanges } from "../format.js";
import { usePoll } from "../usePoll.js";

const STATS_POLL_MS = 10_000;

// Fires per minute as bars, lateness p99 as a line, over the last hour.
function HourChart(props: { stats: GetStatsResponse }) {
  const minutes = props.stats.minutes;
  const w = 600;
  const h = 140;
  const barW = w / Math.max(1, minutes.length);
  const maxFires = Math.max(1, ...minutes.map((m) => m.fires));
  const maxLate = Math.max(1, ...minutes.map((m) => m.latenessP99Ms));
  const line = minutes.map((m, i) => `${(i + 0.5) * barW},${h - (m.latenessP99Ms / maxLate) * (h - 10)}`).join(" ");
  const summary = `Last hour: ${props.stats.firesLastHour} runs, at most ${maxFires} in a minute; lateness p99 ${props.stats.latenessP99MsLastHour} ms.`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={summary} preserveAspectRatio="none">
        {minutes.map((m, i) => {
          const bh = (m.fires / maxFires) * (h - 10);
          return (
            <rect key={i} x={i * barW + 1} y={h - bh} width={Math.max(1, barW - 2)} height={bh} class={m.failures ? "bar failing" : "bar"}>
              <title>{`${dateTime(m.minute)}: ${m.fires} runs, ${m.failures} failed, p99 ${m.latenessP99Ms} ms late`}</title>
            </rect>
          );
        })}
        <polyline points={line} class="p99" />
      </svg>
      <figcaption>
        <span class="key bars">runs per minute (max {maxFires})</span> <span class="key line">lateness p99 (max {maxLate} ms)</span>
      </figcaption>
    </figure>
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
              <Table label="Failing tasks">
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
                      <td>
                        <a href={`#/tasks/${f.taskId}`}>{f.name}</a>
                      </td>
                      <td>{f.srvName}</td>
                      <td>{f.failures}</td>
                      <td>{dateTime(f.lastFailureAt)}</td>
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
                    <a href="#/servers">{srv.name}</a> {r.schema}://{r.host}:{r.port}, evicted {dateTime(r.evictedAt)}
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
            Election: {cluster.data.electDriver}; {cluster.data.shardCount} shards; this node {cluster.data.nodeId}
            {cluster.data.ready ? " is ready" : ` is not ready: ${cluster.data.notReadyReason}`}
            {!cluster.data.leadershipKnown && `; it cannot tell which shards it may lead (nobody may be scheduling): ${cluster.data.leadershipUnknownReason}`}.
          </p>
          <Table label="Members">
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
                  <td>{m.nodeId}</td>
                  <td>{m.address}</td>
                  <td>{dateTime(m.startedAt)}</td>
                  <td>
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
