// Database metrics, named after the OpenTelemetry database client conventions:
// query durations from Kysely's log hook, and the pool's connections read at
// scrape time (no timer, nothing to stop).
import type { LogEvent, RootOperationNode } from "kysely";
import { Gauge, Histogram, type Registry } from "prom-client";
import type { PoolStats } from "./database.js";

/** Queries take from a fraction of a millisecond to the statement timeout. */
export const QUERY_SECONDS_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const OPERATIONS: Readonly<Partial<Record<RootOperationNode["kind"], string>>> = {
  SelectQueryNode: "select",
  InsertQueryNode: "insert",
  UpdateQueryNode: "update",
  DeleteQueryNode: "delete",
  MergeQueryNode: "merge",
  RawNode: "raw",
};

export interface DatabaseMetrics {
  /** The Kysely log hook: observes every query's duration by operation and outcome. */
  readonly onQuery: (event: LogEvent) => void;
  /** Registers the pool gauges, read from `stats` at each scrape. Not called for PGlite, which has no pool. */
  observePool(stats: () => PoolStats | undefined): void;
}

export function createDatabaseMetrics(registry: Registry): DatabaseMetrics {
  const registers = [registry];
  const duration = new Histogram({
    name: "db_client_operation_duration_seconds",
    help: "Duration of database queries, by operation (select, insert, update, delete, raw) and outcome (ok, error).",
    labelNames: ["operation", "outcome"],
    buckets: [...QUERY_SECONDS_BUCKETS],
    registers,
  });
  // Label objects and children built once per (kind, outcome), not per query.
  const children = new Map<string, { observe(value: number): void }>();
  return {
    onQuery(event) {
      const outcome = event.level === "error" ? "error" : "ok";
      const key = `${event.query.query.kind}:${outcome}`;
      let child = children.get(key);
      if (child === undefined) {
        const operation = OPERATIONS[event.query.query.kind] ?? "other";
        children.set(key, (child = duration.labels({ operation, outcome })));
      }
      child.observe(event.queryDurationMillis / 1000);
    },
    observePool(stats) {
      new Gauge({
        name: "db_client_connections",
        help: "Connections of the database pool, by state (idle, used).",
        labelNames: ["state"],
        registers,
        collect() {
          const now = stats();
          if (now === undefined) return;
          this.set({ state: "idle" }, now.idle);
          this.set({ state: "used" }, now.total - now.idle);
        },
      });
      new Gauge({
        name: "db_client_connections_max",
        help: "The most connections the database pool may open.",
        registers,
        collect() {
          const now = stats();
          if (now !== undefined) this.set(now.max);
        },
      });
      new Gauge({
        name: "db_client_connections_pending_requests",
        help: "Callers waiting for a connection of the database pool.",
        registers,
        collect() {
          const now = stats();
          if (now !== undefined) this.set(now.waiting);
        },
      });
    },
  };
}
