// Domain counters of the point service, in the process's registry.
import type { Observability } from "../platform/observability.js";

export interface PointMetrics {
  /** AddPoints wrote a ledger entry of `delta` points (not an idempotent replay). */
  entryAdded(delta: bigint): void;
}

export function createPointMetrics(observability: Pick<Observability, "counter">): PointMetrics {
  const entries = observability.counter(
    "mesh_point_entries_total",
    "Ledger entries written by AddPoints (idempotent replays excluded), by direction (credit, debit).",
    ["direction"],
  );
  const points = observability.counter(
    "mesh_points_added_total",
    "Points moved by AddPoints entries, by direction: credit adds to a balance, debit takes from it.",
    ["direction"],
  );
  return {
    entryAdded(delta) {
      const direction = delta > 0n ? "credit" : "debit";
      entries.inc({ direction });
      points.inc({ direction }, Number(delta > 0n ? delta : -delta));
    },
  };
}
