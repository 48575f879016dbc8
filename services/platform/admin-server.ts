// The admin HTTP/1.1 server of a service process, for tools that do not speak
// gRPC: /metrics for Prometheus, /healthz (the process runs) and /readyz (the
// gRPC health status of the whole server is SERVING).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { ServingStatus, type HealthRegistry } from "./health.js";
import type { Logger } from "./logger.js";

export interface AdminServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  readonly health: HealthRegistry;
  readonly logger: Logger;
}

export interface AdminServer {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { registry, health, logger } = options;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
    switch (path) {
      case "/metrics":
        registry.metrics().then(
          (text) => reply(res, 200, text, { "content-type": registry.contentType }),
          (err: unknown) => {
            logger.error({ err }, "collecting metrics failed");
            reply(res, 500, "collecting metrics failed\n");
          },
        );
        return;
      case "/healthz":
        // Liveness: answering at all is the signal. It never consults the
        // database, so a database outage does not restart every pod.
        return reply(res, 200, "ok\n");
      case "/readyz": {
        const serving = health.get("") === ServingStatus.SERVING;
        return reply(res, serving ? 200 : 503, serving ? "SERVING\n" : `${ServingStatus[health.get("") ?? ServingStatus.UNKNOWN]}\n`);
      }
      default:
        return reply(res, 404, "not found: try /metrics, /healthz or /readyz\n");
    }
  });
  // Scrapes are short; do not let an idle keep-alive connection delay stop().
  server.keepAliveTimeout = 5_000;
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function reply(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
