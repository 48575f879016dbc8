// Metrics of real services on loopback, read back from their admin servers'
// /metrics after known calls: server and client RPC counts and codes,
// histogram buckets, domain counters, database and process metrics.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import type { DepartmentDatabase } from "../department/schema.js";
import { startDepartmentService } from "../department/server.js";
import { REFERENCE_USERS } from "../platform/reference-data.js";
import { HANDLING_SECONDS_BUCKETS } from "../platform/rpc-metrics.js";
import type { ServiceHost } from "../platform/service-host.js";
import type { PointDatabase } from "../point/schema.js";
import { startPointService } from "../point/server.js";
import { grpcTransport, silentLogger, stopAndDrop, testConfig, usingPostgres } from "../testing/harness.js";
import { samples, scrape, value } from "../testing/metrics-text.js";
import type { UserDatabase } from "./schema.js";
import { startUserService } from "./server.js";

let point: ServiceHost<PointDatabase>;
let department: ServiceHost<DepartmentDatabase>;
let user: ServiceHost<UserDatabase>;

before(async () => {
  point = await startPointService(testConfig("point", { SEED: "true" }), silentLogger());
  department = await startDepartmentService(
    { ...testConfig("department", { SEED: "true" }), userServiceAddr: "127.0.0.1:1", pointServiceAddr: `127.0.0.1:${point.port}` },
    silentLogger(),
  );
  user = await startUserService(
    {
      ...testConfig("user", { SEED: "true" }),
      pointServiceAddr: `127.0.0.1:${point.port}`,
      departmentServiceAddr: `127.0.0.1:${department.port}`,
    },
    silentLogger(),
  );
});

after(async () => {
  await stopAndDrop(user);
  await stopAndDrop(department);
  await stopAndDrop(point);
});

const alice = REFERENCE_USERS[0]!;
const users = (method: string) => ({ grpc_type: "unary", grpc_service: "mesh.user.v1.UserService", grpc_method: method });
const batchPoints = { grpc_type: "unary", grpc_service: "mesh.point.v1.PointService", grpc_method: "BatchGetUserPoints" };
const batchDepartments = { grpc_type: "unary", grpc_service: "mesh.department.v1.DepartmentService", grpc_method: "BatchGetDepartments" };

test("after known calls each service's /metrics has the counts, codes and buckets of its server and client side", async () => {
  const client = createClient(UserService, grpcTransport(user.port));
  const code = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => Code[ConnectError.from(e).code]);
  const codes = [
    await code(client.getUser({ id: alice.id })),
    await code(client.getUser({ id: alice.id })),
    await code(client.getUser({ id: "01900000-0000-7000-8000-0000000000ff" })),
    await code(client.getUser({ id: "not-an-id" })),
    await code(client.createUser({ name: "Metric Person", email: "metric.person@example.com", age: 33, salary: 1000 })),
    await code(client.createUser({ name: "Metric Person", email: "metric.person@example.com", age: 33, salary: 1000 })),
    await code(client.getUserStatistics({ pageSize: 9 })),
  ];
  assert.deepEqual(codes, ["OK", "OK", "NotFound", "InvalidArgument", "OK", "AlreadyExists", "OK"]);

  const u = await scrape(user.adminPort!);
  assert.equal(value(u, "grpc_server_started_total", users("GetUser")), 4);
  assert.deepEqual(
    ["OK", "NotFound", "InvalidArgument"].map((c) => value(u, "grpc_server_handled_total", { ...users("GetUser"), grpc_code: c })),
    [2, 1, 1],
  );
  assert.equal(value(u, "grpc_server_handled_total", { ...users("CreateUser"), grpc_code: "AlreadyExists" }), 1);
  assert.equal(value(u, "grpc_server_msg_received_total", users("GetUser")), 4);
  assert.equal(value(u, "grpc_server_msg_sent_total", users("GetUser")), 2);
  const buckets = samples(u, "grpc_server_handling_seconds_bucket", users("GetUser"));
  assert.deepEqual(buckets.map((b) => b.labels.le), [...HANDLING_SECONDS_BUCKETS.map(String), "+Inf"]);
  assert.equal(buckets.at(-1)!.value, 4);
  assert.ok(buckets.every((b, i) => i === 0 || b.value >= buckets[i - 1]!.value), "cumulative");
  // The statistics call's two outbound calls, from the user service's side.
  for (const labels of [batchPoints, batchDepartments]) {
    assert.equal(value(u, "grpc_client_started_total", labels), 1, labels.grpc_service);
    assert.equal(value(u, "grpc_client_handled_total", { ...labels, grpc_code: "OK" }), 1, labels.grpc_service);
    assert.equal(value(u, "grpc_client_handling_seconds_count", labels), 1, labels.grpc_service);
  }
  assert.equal(value(u, "mesh_users_created_total"), 1);

  // ... and from the servers' side.
  const p = await scrape(point.adminPort!);
  assert.equal(value(p, "grpc_server_handled_total", { ...batchPoints, grpc_code: "OK" }), 1);
  const d = await scrape(department.adminPort!);
  assert.equal(value(d, "grpc_server_handled_total", { ...batchDepartments, grpc_code: "OK" }), 1);
  assert.equal(samples(d, "grpc_server_handled_total", { grpc_service: "mesh.user.v1.UserService" }).length, 0);
});

test("domain counters of the point service count entries and points by direction, not replays", async () => {
  const points = createClient(PointService, grpcTransport(point.port));
  await points.addPoints({ userId: alice.id, delta: 5n, requestId: "01900000-0000-7000-8000-00000000aaa1" });
  await points.addPoints({ userId: alice.id, delta: 5n, requestId: "01900000-0000-7000-8000-00000000aaa1" });
  await points.addPoints({ userId: alice.id, delta: -3n });
  const p = await scrape(point.adminPort!);
  assert.deepEqual(
    ["credit", "debit"].map((direction) => [value(p, "mesh_point_entries_total", { direction }), value(p, "mesh_points_added_total", { direction })]),
    [[1, 5], [1, 3]],
  );
});

test("database and process metrics", async () => {
  const u = await scrape(user.adminPort!);
  assert.ok(value(u, "db_client_operation_duration_seconds_count", { operation: "select", outcome: "ok" })! > 0);
  assert.ok(value(u, "db_client_operation_duration_seconds_count", { operation: "insert", outcome: "ok" })! >= 1);
  // The duplicate email: the insert's unique violation is an error outcome, not a lost sample.
  assert.equal(value(u, "db_client_operation_duration_seconds_count", { operation: "insert", outcome: "error" }), 1);
  if (usingPostgres) {
    assert.equal(value(u, "db_client_connections_max"), 10);
    const idle = value(u, "db_client_connections", { state: "idle" })!;
    const used = value(u, "db_client_connections", { state: "used" })!;
    assert.ok(idle + used >= 1 && idle + used <= 10, `${idle} idle + ${used} used`);
    assert.equal(value(u, "db_client_connections_pending_requests"), 0);
  } else {
    // PGlite: one in-process connection, no pool to report.
    assert.equal(samples(u, "db_client_connections").length, 0);
  }
  assert.ok(value(u, "process_cpu_user_seconds_total")! > 0);
  assert.ok(value(u, "process_resident_memory_bytes")! > 0);
  assert.ok(samples(u, "nodejs_eventloop_lag_p99_seconds").length === 1);
  assert.ok(samples(u, "nodejs_heap_size_used_bytes").length === 1);
});

test("/readyz and /healthz of a serving service", async () => {
  const [ready, live] = await Promise.all([
    fetch(`http://127.0.0.1:${user.adminPort}/readyz`),
    fetch(`http://127.0.0.1:${user.adminPort}/healthz`),
  ]);
  assert.deepEqual([ready.status, await ready.text(), live.status], [200, "SERVING\n", 200]);
});
