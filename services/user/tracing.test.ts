// One trace for a GetUserStatistics call across real user, point and
// department services on loopback, exported to memory: the user server span
// is the parent of the client spans to point and department, each the parent
// of that service's server span; PostgreSQL spans hang under the server spans
// (on PostgreSQL: PGlite has no pg driver to instrument, so there the test
// checks that none appear); the log lines of the calls carry the trace id.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { Registry } from "prom-client";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { interceptTransport } from "../platform/intercept-transport.js";
import { createLogger } from "../platform/logger.js";
import { createClientInterceptor } from "../platform/observe-client.js";
import { createRpcMetrics } from "../platform/rpc-metrics.js";
import type { ServiceHost } from "../platform/service-host.js";
import { startTelemetry } from "../platform/telemetry.js";
import { rpcTracer } from "../platform/tracing.js";
import { captureLogger, grpcTransport, stopAndDrop, testConfig, usingPostgres, type CapturedLogger } from "../testing/harness.js";
import { listServices } from "../testing/reflection-client.js";

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor({ exporter });
// Before any module that loads pg, as main.ts does.
const telemetry = await startTelemetry({ service: "mesh-test", enabled: true, spanProcessors: [processor] });
const { startPointService } = await import("../point/server.js");
const { startDepartmentService } = await import("../department/server.js");
const { startUserService } = await import("./server.js");

const logs: Record<"user" | "point" | "department", CapturedLogger> = {
  user: captureLogger("user"),
  point: captureLogger("point"),
  department: captureLogger("department"),
};
const hosts: Array<ServiceHost<unknown>> = [];
let userPort: number;
let pointPort: number;

before(async () => {
  const point = await startPointService({ ...testConfig("point", { SEED: "true" }), tracing: true }, logs.point.logger);
  const department = await startDepartmentService(
    { ...testConfig("department", { SEED: "true" }), tracing: true, userServiceAddr: "127.0.0.1:1", pointServiceAddr: `127.0.0.1:${point.port}` },
    logs.department.logger,
  );
  const user = await startUserService(
    {
      ...testConfig("user", { SEED: "true" }),
      tracing: true,
      pointServiceAddr: `127.0.0.1:${point.port}`,
      departmentServiceAddr: `127.0.0.1:${department.port}`,
    },
    logs.user.logger,
  );
  hosts.push(user as ServiceHost<unknown>, department as ServiceHost<unknown>, point as ServiceHost<unknown>);
  [userPort, pointPort] = [user.port, point.port];
});

after(async () => {
  for (const host of hosts) await stopAndDrop(host);
  await telemetry.shutdown();
});

beforeEach(() => exporter.reset());

async function finishedSpans(): Promise<ReadableSpan[]> {
  await processor.forceFlush();
  return exporter.getFinishedSpans();
}

const one = (spans: ReadableSpan[], name: string, kind: SpanKind): ReadableSpan => {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  assert.equal(found.length, 1, `${found.length} ${SpanKind[kind]} spans named ${name}`);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

test("GetUserStatistics: one trace through user, point and department, with PostgreSQL spans and correlated logs", async () => {
  const res = await createClient(UserService, grpcTransport(userPort)).getUserStatistics({ pageSize: 9 });
  assert.deepEqual(res.degraded, []);
  const spans = await finishedSpans();

  const userServer = one(spans, "mesh.user.v1.UserService/GetUserStatistics", SpanKind.SERVER);
  const traceId = userServer.spanContext().traceId;
  assert.equal(parentOf(userServer), undefined, "the caller sent no traceparent: a new trace");
  assert.deepEqual([...new Set(spans.map((s) => s.spanContext().traceId))], [traceId], "every span in one trace");

  const pointClient = one(spans, "mesh.point.v1.PointService/BatchGetUserPoints", SpanKind.CLIENT);
  const pointServer = one(spans, "mesh.point.v1.PointService/BatchGetUserPoints", SpanKind.SERVER);
  const departmentClient = one(spans, "mesh.department.v1.DepartmentService/BatchGetDepartments", SpanKind.CLIENT);
  const departmentServer = one(spans, "mesh.department.v1.DepartmentService/BatchGetDepartments", SpanKind.SERVER);
  assert.deepEqual(
    [parentOf(pointClient), parentOf(departmentClient), parentOf(pointServer), parentOf(departmentServer)],
    [idOf(userServer), idOf(userServer), idOf(pointClient), idOf(departmentClient)],
  );

  assert.deepEqual(userServer.attributes["rpc.system"], "grpc");
  assert.deepEqual(
    [pointClient, pointServer].map((s) => [s.attributes["rpc.service"], s.attributes["rpc.method"], s.attributes["rpc.grpc.status_code"]]),
    [
      ["mesh.point.v1.PointService", "BatchGetUserPoints", 0],
      ["mesh.point.v1.PointService", "BatchGetUserPoints", 0],
    ],
  );
  assert.deepEqual([pointClient.attributes["server.address"], pointClient.attributes["server.port"]], ["127.0.0.1", pointPort]);
  assert.equal(userServer.attributes["server.port"], userPort);
  assert.equal(userServer.attributes["network.peer.address"], "127.0.0.1");
  const rpcSpans = spans.filter((s) => s.attributes["rpc.system"] === "grpc");
  assert.equal(rpcSpans.length, 5);
  assert.ok(rpcSpans.every((s) => s.status.code === SpanStatusCode.UNSET));

  const pgQueries = spans.filter((s) => s.name.startsWith("pg.query"));
  if (usingPostgres) {
    // The user service's page and summary queries, the point and department services' batch reads.
    const underUser = pgQueries.filter((s) => parentOf(s) === idOf(userServer));
    assert.ok(underUser.length >= 2, `${underUser.length} queries under the user server span`);
    assert.ok(pgQueries.some((s) => parentOf(s) === idOf(pointServer)), "a query under the point server span");
    assert.ok(pgQueries.some((s) => parentOf(s) === idOf(departmentServer)), "a query under the department server span");
    assert.ok(pgQueries.every((q) => q.attributes["db.system.name"] === "postgresql"));
    assert.ok(underUser.every((q) => String(q.attributes["db.query.text"]).includes('from "users"')));
  } else {
    assert.equal(pgQueries.length, 0, "PGlite runs in process: no driver spans");
  }

  // Each service's RPC log line carries the trace id and its own server span's id.
  const rpcLine = (service: keyof typeof logs, rpc: string) => {
    const lines = logs[service].lines.filter((l) => l.msg === "rpc" && l.rpc === rpc && l.trace_id === traceId);
    assert.equal(lines.length, 1, `${service} ${rpc}`);
    return lines[0]!;
  };
  assert.equal(rpcLine("user", "mesh.user.v1.UserService/GetUserStatistics").span_id, idOf(userServer));
  assert.equal(rpcLine("point", "mesh.point.v1.PointService/BatchGetUserPoints").span_id, idOf(pointServer));
  assert.equal(rpcLine("department", "mesh.department.v1.DepartmentService/BatchGetDepartments").span_id, idOf(departmentServer));
  assert.equal(rpcLine("user", "mesh.user.v1.UserService/GetUserStatistics").peer, "127.0.0.1");
});

test("an incoming traceparent continues the caller's trace, and tracestate travels with it", async () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const parentId = "00f067aa0ba902b7";
  await createClient(UserService, grpcTransport(userPort)).getUserStatistics(
    { pageSize: 1 },
    { headers: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: "mesh=t61rcWkgMzE" } },
  );
  const spans = await finishedSpans();
  const userServer = one(spans, "mesh.user.v1.UserService/GetUserStatistics", SpanKind.SERVER);
  const pointServer = one(spans, "mesh.point.v1.PointService/BatchGetUserPoints", SpanKind.SERVER);
  assert.deepEqual([userServer.spanContext().traceId, parentOf(userServer)], [traceId, parentId]);
  assert.equal(pointServer.spanContext().traceId, traceId);
  assert.equal(pointServer.spanContext().traceState?.get("mesh"), "t61rcWkgMzE");
});

test("failed calls: status code on both spans; ERROR on the client span, and on the server span only for server faults", async () => {
  const tracer = rpcTracer(true);
  const interceptor = createClientInterceptor({ metrics: createRpcMetrics(new Registry(), "client"), tracer });
  const baseUrl = `http://127.0.0.1:${pointPort}`;
  const points = createClient(PointService, interceptTransport(grpcTransport(pointPort), [interceptor], baseUrl));
  await assert.rejects(points.getUserPoints({ userId: "nope" }), (e: unknown) => ConnectError.from(e).code === Code.InvalidArgument);
  await assert.rejects(createClient(UserService, grpcTransport(userPort)).getUser({ id: "01900000-0000-7000-8000-0000000000ff" }));
  const spans = await finishedSpans();
  const client = one(spans, "mesh.point.v1.PointService/GetUserPoints", SpanKind.CLIENT);
  const server = one(spans, "mesh.point.v1.PointService/GetUserPoints", SpanKind.SERVER);
  const notFound = one(spans, "mesh.user.v1.UserService/GetUser", SpanKind.SERVER);
  assert.deepEqual(
    [client, server, notFound].map((s) => [s.attributes["rpc.grpc.status_code"], s.status.code]),
    [
      [Code.InvalidArgument, SpanStatusCode.ERROR],
      [Code.InvalidArgument, SpanStatusCode.UNSET],
      [Code.NotFound, SpanStatusCode.UNSET],
    ],
  );
  assert.equal(parentOf(server), idOf(client));
});

test("health and reflection calls make no span, and neither does the readiness ping's query", async () => {
  const transport = grpcTransport(userPort);
  await createClient(Health, transport).check({ service: "" });
  assert.ok((await listServices(transport, "v1")).includes("mesh.user.v1.UserService"));
  // The readiness watch pings the database every second.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const spans = await finishedSpans();
  assert.deepEqual(spans.map((s) => s.name), []);
});

test("inside a span, lines carry its ids; a logger made with traceIds: false (tracing off in its config) adds none", () => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  const withIds = createLogger({ service: "test", destination });
  const without = createLogger({ service: "test", destination, traceIds: false });
  trace.getTracer("logger-test").startActiveSpan("logging", (span) => {
    withIds.info("with");
    without.info("without");
    span.end();
  });
  assert.match(String(lines[0]?.trace_id), /^[0-9a-f]{32}$/);
  assert.equal(lines[1]?.trace_id, undefined);
  assert.equal(lines[1]?.span_id, undefined);
});
