// The observing interceptors on a real server and client over loopback, with
// tracing off: the grpc_server_* and grpc_client_* counts, codes and buckets a
// scrape would see, for unary calls and a server stream.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Registry } from "prom-client";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { captureLogger, testConfig } from "../testing/harness.js";
import { parseMetrics, samples, value, type Sample } from "../testing/metrics-text.js";
import { notFound } from "./errors.js";
import { interceptTransport } from "./intercept-transport.js";
import { createClientInterceptor } from "./observe-client.js";
import { createServerObserver } from "./observe-server.js";
import { createRpcMetrics, HANDLING_SECONDS_BUCKETS } from "./rpc-metrics.js";
import { createServer, type Server } from "./server.js";
import { ServingStatus } from "./health.js";

const registry = new Registry();
const log = captureLogger("point");
let server: Server;
let baseUrl: string;

before(async () => {
  const config = testConfig("point").server;
  server = createServer({
    config: { ...config, httpPort: -1, shutdownGraceMs: 500 },
    logger: log.logger,
    observer: createServerObserver({ metrics: createRpcMetrics(registry, "server") }),
  });
  server.register(PointService, {
    getUserPoints(req) {
      if (req.userId === "missing") throw notFound("user", req.userId);
      return { userId: req.userId, points: 7n };
    },
    async batchGetUserPoints() {
      await sleep(30);
      throw new Error("a bug: masked as INTERNAL by the error interceptor");
    },
  });
  const { port } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  baseUrl = `http://127.0.0.1:${port}`;
});

after(() => server.stop());

const clientInterceptor = createClientInterceptor({ metrics: createRpcMetrics(registry, "client") });
const point = (labels: Record<string, string>) => ({ grpc_service: "mesh.point.v1.PointService", ...labels });

async function scrapeUntil(done: (all: Sample[]) => boolean): Promise<Sample[]> {
  for (let i = 0; ; i++) {
    const all = parseMetrics(await registry.metrics());
    if (done(all) || i === 100) return all;
    await sleep(10);
  }
}

test("unary calls: started, handled per final code, messages and latency on both sides", async () => {
  // Both ways of plugging the client interceptor: around a transport, and as a transport option.
  const wrapped = createClient(PointService, interceptTransport(createGrpcTransport({ baseUrl }), [clientInterceptor], baseUrl));
  const option = createClient(PointService, createGrpcTransport({ baseUrl, interceptors: [clientInterceptor] }));
  assert.equal((await wrapped.getUserPoints({ userId: "u1" })).points, 7n);
  assert.equal((await option.getUserPoints({ userId: "u2" })).points, 7n);
  await assert.rejects(wrapped.getUserPoints({ userId: "missing" }), (e: unknown) => ConnectError.from(e).code === Code.NotFound);
  await assert.rejects(wrapped.batchGetUserPoints({ userIds: ["u1"] }), (e: unknown) => ConnectError.from(e).code === Code.Internal);

  const all = parseMetrics(await registry.metrics());
  const get = point({ grpc_type: "unary", grpc_method: "GetUserPoints" });
  const batch = point({ grpc_type: "unary", grpc_method: "BatchGetUserPoints" });
  for (const side of ["server", "client"]) {
    assert.equal(value(all, `grpc_${side}_started_total`, get), 3, side);
    assert.equal(value(all, `grpc_${side}_handled_total`, { ...get, grpc_code: "OK" }), 2, side);
    assert.equal(value(all, `grpc_${side}_handled_total`, { ...get, grpc_code: "NotFound" }), 1, side);
    // The code the client saw, after the error interceptor masked the bug.
    assert.equal(value(all, `grpc_${side}_handled_total`, { ...batch, grpc_code: "Internal" }), 1, side);
    assert.equal(value(all, `grpc_${side}_handling_seconds_count`, get), 3, side);
    assert.equal(value(all, `grpc_${side}_handling_seconds_bucket`, { ...batch, le: "0.025" }), 0, side);
    assert.equal(value(all, `grpc_${side}_handling_seconds_bucket`, { ...batch, le: "+Inf" }), 1, side);
    assert.equal(samples(all, `grpc_${side}_handling_seconds_bucket`, get).length, HANDLING_SECONDS_BUCKETS.length + 1);
  }
  // A unary call is one message each way; a failed call sends no response.
  assert.equal(value(all, "grpc_server_msg_received_total", get), 3);
  assert.equal(value(all, "grpc_server_msg_sent_total", get), 2);
  assert.equal(value(all, "grpc_server_msg_sent_total", batch), 0);
  assert.equal(value(all, "grpc_client_msg_sent_total", get), 3);
  assert.equal(value(all, "grpc_client_msg_received_total", get), 2);
});

test("a server stream counts each message sent, and a stream the client abandons ends as Canceled", async () => {
  const health = createClient(Health, interceptTransport(createGrpcTransport({ baseUrl }), [clientInterceptor], baseUrl));
  const abort = new AbortController();
  const seen: Status[] = [];
  const watching = (async () => {
    for await (const res of health.watch({ service: "mesh.point.v1.PointService" }, { signal: abort.signal })) {
      seen.push(res.status);
      if (seen.length === 2) abort.abort();
    }
  })();
  while (seen.length === 0) await sleep(5);
  server.health.set("mesh.point.v1.PointService", ServingStatus.NOT_SERVING);
  await assert.rejects(watching, (e: unknown) => ConnectError.from(e).code === Code.Canceled);
  assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);

  const watch = { grpc_type: "server_stream", grpc_service: "grpc.health.v1.Health", grpc_method: "Watch" };
  const all = await scrapeUntil((s) => value(s, "grpc_server_handled_total", { ...watch, grpc_code: "Canceled" }) === 1);
  assert.equal(value(all, "grpc_server_started_total", watch), 1);
  assert.equal(value(all, "grpc_server_msg_received_total", watch), 1);
  assert.equal(value(all, "grpc_server_msg_sent_total", watch), 2);
  assert.equal(value(all, "grpc_server_handled_total", { ...watch, grpc_code: "Canceled" }), 1);
  assert.equal(value(all, "grpc_client_msg_received_total", watch), 2);
  assert.equal(value(all, "grpc_client_handled_total", { ...watch, grpc_code: "Canceled" }), 1);
});

test("with tracing off, the per-RPC log line keeps peer and request id and carries no trace ids", async () => {
  const client = createClient(PointService, createGrpcTransport({ baseUrl }));
  await client.getUserPoints({ userId: "u9" }, { headers: { "x-request-id": "req-42" } });
  const line = log.lines.find((l) => l.msg === "rpc" && l.request_id === "req-42");
  assert.equal(line?.peer, "127.0.0.1");
  assert.equal(line?.code, "OK");
  assert.equal(line?.trace_id, undefined);
  assert.equal(line?.span_id, undefined);
});

test("a handler's bug is logged with its rpc and cause, and its line records the INTERNAL the caller got", async () => {
  const client = createClient(PointService, createGrpcTransport({ baseUrl }));
  await assert.rejects(client.batchGetUserPoints({ userIds: ["u1"] }, { headers: { "x-request-id": "req-bug" } }), (err: ConnectError) => {
    assert.equal(err.code, Code.Internal);
    assert.equal(err.rawMessage, "internal error");
    return true;
  });
  const rpc = "mesh.point.v1.PointService/BatchGetUserPoints";
  const cause = log.lines.find((l) => l.msg === "internal error" && l.rpc === rpc);
  assert.match(String((cause?.err as { message?: string } | undefined)?.message), /a bug: masked as INTERNAL/);
  const line = log.lines.find((l) => l.msg === "rpc" && l.request_id === "req-bug");
  assert.equal(line?.rpc, rpc);
  assert.equal(line?.code, "Internal");
  assert.equal(line?.error, "internal error");
});
