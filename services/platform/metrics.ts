// Metrics of the channel layer (pools, balancing, retries) and of fan-outs:
// defined here, in one registry per process, and updated by the code that
// sees the events. Label names are part of the contract: dashboards use them.
import { Counter, Gauge, type Registry } from "prom-client";

export interface MeshMetrics {
  /**
   * HTTP/2 sessions a client pool holds, per upstream target (as configured,
   * e.g. dns:///point-headless:50052) and state ("ready", "connecting", "idle").
   * Set it whenever a session changes state: `poolSessions.set({ upstream, state }, n)`.
   */
  readonly poolSessions: Gauge<"upstream" | "state">;
  /** Endpoints (resolved addresses) a pool balances over, per upstream: `poolEndpoints.set({ upstream }, n)`. */
  readonly poolEndpoints: Gauge<"upstream">;
  /**
   * Attempts made again after a failed attempt, per upstream and method, with
   * the code of the attempt that failed: `retries.inc({ upstream, grpc_service, grpc_method, grpc_code })`.
   * grpc_code uses grpcCodeName() (rpc-metrics.ts).
   */
  readonly retries: Counter<"upstream" | "grpc_service" | "grpc_method" | "grpc_code">;
  /** Retries not made because the upstream's retry budget was spent: `retryBudgetExhausted.inc({ upstream })`. */
  readonly retryBudgetExhausted: Counter<"upstream">;
  /**
   * Branches of fan-outs, by branch name ("points", "departments") and outcome
   * ("ok", "failed"): `fanOutBranches.inc({ branch, outcome })`. A fan-out
   * abandoned because its caller went away counts nothing.
   */
  readonly fanOutBranches: Counter<"branch" | "outcome">;
}

export function createMeshMetrics(registry: Registry): MeshMetrics {
  const registers = [registry];
  return {
    poolSessions: new Gauge({
      name: "grpc_client_pool_sessions",
      help: "HTTP/2 sessions held by the client pool of an upstream, by state.",
      labelNames: ["upstream", "state"],
      registers,
    }),
    poolEndpoints: new Gauge({
      name: "grpc_client_pool_endpoints",
      help: "Resolved endpoints the client pool of an upstream balances over.",
      labelNames: ["upstream"],
      registers,
    }),
    retries: new Counter({
      name: "grpc_client_retries_total",
      help: "Attempts of outbound calls made again after a failed attempt, by the failed attempt's code.",
      labelNames: ["upstream", "grpc_service", "grpc_method", "grpc_code"],
      registers,
    }),
    retryBudgetExhausted: new Counter({
      name: "grpc_client_retry_budget_exhausted_total",
      help: "Retries not made because the upstream's retry budget was spent.",
      labelNames: ["upstream"],
      registers,
    }),
    fanOutBranches: new Counter({
      name: "fanout_branches_total",
      help: "Branches of fan-out calls, by branch and outcome (ok, failed).",
      labelNames: ["branch", "outcome"],
      registers,
    }),
  };
}
