import assert from "node:assert/strict";
import { test } from "node:test";
import { Code } from "@connectrpc/connect";
import { Registry } from "prom-client";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { parseMetrics, samples, value } from "../testing/metrics-text.js";
import { createRpcMetrics, grpcCodeName, grpcType, HANDLING_SECONDS_BUCKETS } from "./rpc-metrics.js";

test("codes and types are labelled as go-grpc-prometheus labels them", () => {
  assert.deepEqual(
    [undefined, Code.Canceled, Code.InvalidArgument, Code.NotFound, Code.DeadlineExceeded, Code.Unavailable, Code.Unauthenticated].map(grpcCodeName),
    ["OK", "Canceled", "InvalidArgument", "NotFound", "DeadlineExceeded", "Unavailable", "Unauthenticated"],
  );
  assert.equal(grpcType(UserService.method.getUser), "unary");
  assert.equal(grpcType(Health.method.watch), "server_stream");
  assert.equal(grpcType(ServerReflection.method.serverReflectionInfo), "bidi_stream");
});

test("one method's calls: counts per code, message counts and the handling histogram with the default buckets", async () => {
  const registry = new Registry();
  const metrics = createRpcMetrics(registry, "server");
  const m = metrics.forMethod(UserService.method.getUser);
  assert.equal(metrics.forMethod(UserService.method.getUser), m, "bound once per method");
  for (const [code, seconds] of [[undefined, 0.003], [undefined, 0.04], [Code.NotFound, 0.2]] as const) {
    m.started();
    m.received();
    if (code === undefined) m.sent();
    m.handled(code, seconds);
  }
  const all = parseMetrics(await registry.metrics());
  const labels = { grpc_type: "unary", grpc_service: "mesh.user.v1.UserService", grpc_method: "GetUser" };
  assert.equal(value(all, "grpc_server_started_total", labels), 3);
  assert.equal(value(all, "grpc_server_msg_received_total", labels), 3);
  assert.equal(value(all, "grpc_server_msg_sent_total", labels), 2);
  assert.equal(value(all, "grpc_server_handled_total", { ...labels, grpc_code: "OK" }), 2);
  assert.equal(value(all, "grpc_server_handled_total", { ...labels, grpc_code: "NotFound" }), 1);
  const buckets = samples(all, "grpc_server_handling_seconds_bucket", labels);
  assert.deepEqual(
    buckets.map((b) => b.labels.le),
    [...HANDLING_SECONDS_BUCKETS.map(String), "+Inf"],
  );
  const cumulative = Object.fromEntries(buckets.map((b) => [b.labels.le, b.value]));
  assert.deepEqual([cumulative["0.005"], cumulative["0.025"], cumulative["0.05"], cumulative["0.1"], cumulative["0.25"], cumulative["+Inf"]], [1, 1, 2, 2, 3, 3]);
  assert.equal(value(all, "grpc_server_handling_seconds_count", labels), 3);
  assert.ok(Math.abs(value(all, "grpc_server_handling_seconds_sum", labels)! - 0.243) < 1e-9);
});

test("the client side uses the grpc_client_ names", async () => {
  const registry = new Registry();
  const m = createRpcMetrics(registry, "client").forMethod(UserService.method.getUser);
  m.started();
  m.handled(Code.Unavailable, 0.001);
  const all = parseMetrics(await registry.metrics());
  assert.equal(value(all, "grpc_client_started_total", { grpc_method: "GetUser" }), 1);
  assert.equal(value(all, "grpc_client_handled_total", { grpc_method: "GetUser", grpc_code: "Unavailable" }), 1);
  assert.equal(value(all, "grpc_client_handling_seconds_count", { grpc_method: "GetUser" }), 1);
  assert.equal(samples(all, "grpc_server_started_total").length, 0);
});
