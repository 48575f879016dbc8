// The metrics a process registers, against what the dashboard queries.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createObservability } from "./observability.js";

/** Counters the services register through observability.counter(). */
const DOMAIN = ["mesh_users_created_total", "mesh_point_entries_total", "mesh_points_added_total", "mesh_beers_added_total", "mesh_beers_removed_total"];

function dashboardMetrics(): Set<string> {
  const dashboard = JSON.parse(readFileSync(new URL("../../observability/grafana/mesh-dashboard.json", import.meta.url), "utf8")) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
  };
  const names = new Set<string>();
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets ?? []) {
      for (const [, name] of expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)) names.add(name!.replace(/_(bucket|sum|count)$/, ""));
    }
  }
  return names;
}

test("every metric the dashboard queries is registered by the platform or is a documented domain counter", () => {
  const observability = createObservability({ tracing: false });
  observability.database.observePool(() => ({ total: 1, idle: 1, waiting: 0, max: 10 }));
  const registered = new Set(observability.registry.getMetricsAsArray().map((m) => m.name));
  const queried = dashboardMetrics();
  assert.equal(queried.size, 24);
  const unknown = [...queried].filter((name) => !registered.has(name) && !DOMAIN.includes(name));
  assert.deepEqual(unknown, []);
  for (const name of ["grpc_server_handled_total", "grpc_client_handling_seconds", "grpc_client_pool_sessions", "fanout_branches_total", "db_client_connections"]) {
    assert.ok(queried.has(name), name);
  }
});

test("each process has its own registry: two hosts in one process do not share counts", async () => {
  const a = createObservability({ tracing: false, processMetrics: false });
  const b = createObservability({ tracing: false, processMetrics: false });
  a.counter("mesh_users_created_total", "test").inc(2);
  b.counter("mesh_users_created_total", "test");
  assert.match(await a.registry.metrics(), /^mesh_users_created_total 2$/m);
  assert.match(await b.registry.metrics(), /^mesh_users_created_total 0$/m);
});
