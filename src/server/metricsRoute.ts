import type { Logger } from "../log/log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { HttpResponse } from "./http.js";

// GET /metrics: this node's metrics in the Prometheus text format.
export function serveMetrics(metrics: Metrics, res: HttpResponse, log: Logger): void {
  metrics.registry.metrics().then(
    (body) => {
      res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" });
      res.end(body);
    },
    (err) => {
      log.error("collecting metrics failed", { err });
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("collecting metrics failed\n");
    },
  );
}
