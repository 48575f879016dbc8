// What a service process observes itself with, made once by the service host
// and passed down: one metric registry (served on the admin port), the RPC
// interceptors, the channel-layer metrics, and counters for domain events.
import type { Interceptor } from "@connectrpc/connect";
import { collectDefaultMetrics, Counter, Registry } from "prom-client";
import { createDatabaseMetrics, type DatabaseMetrics } from "./database-metrics.js";
import { createMeshMetrics, type MeshMetrics } from "./metrics.js";
import { createClientInterceptor } from "./observe-client.js";
import { createServerObserver } from "./observe-server.js";
import { createRpcMetrics } from "./rpc-metrics.js";
import { rpcTracer } from "./tracing.js";

export interface ObservabilityOptions {
  /** Make spans (the OpenTelemetry SDK must have been started for them to go anywhere). */
  readonly tracing: boolean;
  /** Collect the process and Node.js metrics (CPU, memory, event loop, GC). Default true. */
  readonly processMetrics?: boolean;
}

export interface Observability {
  /** This process's metrics: the admin server's /metrics. */
  readonly registry: Registry;
  /** The outermost server interceptor: grpc_server_* metrics and server spans. */
  readonly serverInterceptor: Interceptor;
  /**
   * The interceptor for outbound calls: grpc_client_* metrics and client spans
   * carrying traceparent. One for every upstream; put it on the transport a
   * handler's client uses (see interceptTransport), once per logical call.
   */
  readonly clientInterceptor: Interceptor;
  /** Pool, retry and fan-out metrics, for the channel layer to update. */
  readonly mesh: MeshMetrics;
  readonly database: DatabaseMetrics;
  /** A counter of domain events (mesh_users_created_total, ...) in this process's registry. */
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
}

export function createObservability(options: ObservabilityOptions): Observability {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const tracer = rpcTracer(options.tracing);
  return {
    registry,
    serverInterceptor: createServerObserver({ metrics: createRpcMetrics(registry, "server"), tracer }),
    clientInterceptor: createClientInterceptor({ metrics: createRpcMetrics(registry, "client"), tracer }),
    mesh: createMeshMetrics(registry),
    database: createDatabaseMetrics(registry),
    counter: (name, help, labelNames = []) => new Counter({ name, help, labelNames: [...labelNames], registers: [registry] }),
  };
}
