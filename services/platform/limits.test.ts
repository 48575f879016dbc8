// The server's limits on a real server on loopback: request size, the default
// and the largest deadline, the cap on concurrent RPCs, and the HTTP/2 and
// HTTP/1.1 listener limits.
import assert from "node:assert/strict";
import * as http from "node:http";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError, createClient, type HandlerContext, type ServiceImpl, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { BeerService } from "../../gen/mesh/beer/v1/beer_pb.js";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { listServices } from "../testing/reflection-client.js";
import { captureLogger, silentLogger, testConfig } from "../testing/harness.js";
import { ServingStatus } from "./health.js";
import { createServer, type Server } from "./server.js";
import { ConfigError } from "./config.js";
import { DEFAULT_SERVER_LIMITS, resolveLimits } from "./limits.js";
import { loadConfig, readServiceConfig, type ServerConfig } from "./service-config.js";
import { upstreamCallOptions } from "./upstream.js";

interface Started {
  readonly server: Server;
  readonly port: number;
  readonly httpPort: number;
  /** The clients of every protocol, on both listeners. */
  readonly transports: Record<"grpc" | "grpcWeb" | "connect" | "connectHttp1" | "grpcWebHttp1", Transport>;
}

async function start(
  impl: Partial<ServiceImpl<typeof PointService>>,
  limits: Partial<ServerConfig>,
  mount?: (server: Server) => void,
  logger = silentLogger(),
): Promise<Started> {
  const server = createServer({
    config: { ...testConfig("point").server, httpPort: 0, shutdownGraceMs: 200, ...limits },
    logger,
  });
  server.register(PointService, impl);
  mount?.(server);
  const { port, httpPort } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  const h2 = `http://127.0.0.1:${port}`;
  const h1 = `http://127.0.0.1:${httpPort}`;
  return {
    server,
    port,
    httpPort: httpPort!,
    transports: {
      grpc: createGrpcTransport({ baseUrl: h2 }),
      grpcWeb: createGrpcWebTransport({ baseUrl: h2, httpVersion: "2" }),
      connect: createConnectTransport({ baseUrl: h2, httpVersion: "2" }),
      connectHttp1: createConnectTransport({ baseUrl: h1, httpVersion: "1.1" }),
      grpcWebHttp1: createGrpcWebTransport({ baseUrl: h1, httpVersion: "1.1" }),
    },
  };
}

const codeOf = async (call: Promise<unknown>): Promise<Code | "OK"> => {
  try {
    await call;
    return "OK";
  } catch (err) {
    return ConnectError.from(err).code;
  }
};

describe("request size", () => {
  let s: Started;
  before(async () => (s = await start({ batchGetUserPoints: (req) => ({ points: Object.fromEntries(req.userIds.map((id) => [id, 1n])) }) }, { readMaxBytes: 1024 })));
  after(() => s.server.stop());

  test("a message over READ_MAX_BYTES is RESOURCE_EXHAUSTED on every protocol; one under it passes", async () => {
    const big = { userIds: Array.from({ length: 100 }, (_, i) => `user-${i}-${"x".repeat(30)}`) };
    const small = { userIds: ["a", "b"] };
    for (const [name, transport] of Object.entries(s.transports)) {
      const client = createClient(PointService, transport);
      assert.equal(await codeOf(client.batchGetUserPoints(big)), Code.ResourceExhausted, name);
      assert.equal((await client.batchGetUserPoints(small)).points["a"], 1n, name);
    }
  });
});

describe("deadlines", () => {
  const seen: Array<{ timeoutMs: number | undefined; upstreamTimeoutMs: number | undefined; abortedAfterMs?: number }> = [];
  const logs = captureLogger("point");
  let ignoreSignal = false;
  let s: Started;
  before(
    async () =>
      (s = await start(
        {
          async getUserPoints(req, ctx: HandlerContext) {
            const started = performance.now();
            const record: (typeof seen)[number] = { timeoutMs: ctx.timeoutMs(), upstreamTimeoutMs: upstreamCallOptions(ctx, 5_000).timeoutMs };
            seen.push(record);
            ctx.signal.addEventListener("abort", () => (record.abortedAfterMs = performance.now() - started));
            const delay = Number(req.userId);
            if (ignoreSignal) await sleep(delay);
            else await sleep(delay, undefined, { signal: ctx.signal });
            return { userId: req.userId, points: 1n };
          },
        },
        { defaultDeadlineMs: 200, maxDeadlineMs: 60_000 },
        (server) =>
          server.register(BeerService, {
            async *watchBeerEvents() {
              // Not a unary call: a stream may outlive the default deadline.
              for (let i = 0; i < 4; i++) {
                await sleep(100);
                yield { event: { cursor: String(i) } };
              }
            },
          }),
        logs.logger,
      )),
  );
  after(() => s.server.stop());

  test("a slow handler called without a deadline ends with DEADLINE_EXCEEDED at the server's default", async () => {
    for (const [name, transport] of Object.entries(s.transports)) {
      seen.length = 0;
      const started = performance.now();
      assert.equal(await codeOf(createClient(PointService, transport).getUserPoints({ userId: "5000" })), Code.DeadlineExceeded, name);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 150 && elapsed < 1_500, `${name}: answered after ${elapsed} ms`);
      const call = seen[0]!;
      assert.ok(call.timeoutMs !== undefined && call.timeoutMs > 0 && call.timeoutMs <= 200, `${name}: ctx.timeoutMs() was ${call.timeoutMs}`);
      assert.ok(call.upstreamTimeoutMs !== undefined && call.upstreamTimeoutMs <= 200, `${name}: an upstream call would get ${call.upstreamTimeoutMs} ms`);
      assert.ok(call.abortedAfterMs !== undefined && call.abortedAfterMs >= 150, `${name}: ctx.signal aborted after ${call.abortedAfterMs} ms`);
    }
  });

  test("a handler that ignores its signal is still answered at the default deadline", async () => {
    ignoreSignal = true;
    try {
      for (const [name, transport] of Object.entries(s.transports)) {
        logs.lines.length = 0;
        const started = performance.now();
        assert.equal(await codeOf(createClient(PointService, transport).getUserPoints({ userId: "2000" })), Code.DeadlineExceeded, name);
        assert.ok(performance.now() - started < 1_500, name);
        // The log line (and the metrics beside it) say what the caller got, not what the handler did later.
        const line = logs.lines.find((l) => l.msg === "rpc" && l.rpc === "mesh.point.v1.PointService/GetUserPoints");
        assert.equal(line?.code, "DeadlineExceeded", name);
      }
    } finally {
      ignoreSignal = false;
    }
  });

  test("a client's own deadline wins over the default, longer or shorter", async () => {
    seen.length = 0;
    const client = createClient(PointService, s.transports.grpc);
    assert.equal((await client.getUserPoints({ userId: "400" }, { timeoutMs: 2_000 })).points, 1n);
    assert.ok(seen[0]!.timeoutMs! > 1_000, `ctx.timeoutMs() was ${seen[0]!.timeoutMs}`);
    assert.equal(await codeOf(client.getUserPoints({ userId: "5000" }, { timeoutMs: 50 })), Code.DeadlineExceeded);
    assert.ok(seen[1]!.timeoutMs! <= 50);
  });

  test("a fast call without a deadline is unaffected, and a stream runs past the default", async () => {
    const client = createClient(PointService, s.transports.grpc);
    assert.equal((await client.getUserPoints({ userId: "0" })).points, 1n);
    const streamed: string[] = [];
    for await (const res of createClient(BeerService, s.transports.grpc).watchBeerEvents({})) streamed.push(res.event!.cursor);
    assert.deepEqual(streamed, ["0", "1", "2", "3"]);
  });

  test("a deadline over MAX_DEADLINE_MS is INVALID_ARGUMENT", async () => {
    for (const [name, transport] of Object.entries(s.transports)) {
      const client = createClient(PointService, transport);
      assert.equal(await codeOf(client.getUserPoints({ userId: "0" }, { timeoutMs: 120_000 })), Code.InvalidArgument, name);
      assert.equal((await client.getUserPoints({ userId: "0" }, { timeoutMs: 59_000 })).points, 1n, name);
    }
  });
});

describe("concurrent RPCs", () => {
  let release: () => void = () => {};
  let gate = Promise.resolve();
  let entered = 0;
  let s: Started;
  const max = 4;
  before(
    async () =>
      (s = await start(
        {
          async getUserPoints(req) {
            entered++;
            await gate;
            return { userId: req.userId, points: 1n };
          },
        },
        { maxConcurrentRpcs: max },
      )),
  );
  after(() => s.server.stop());

  test("calls beyond MAX_CONCURRENT_RPCS are refused at once with RESOURCE_EXHAUSTED and retry advice; probes still answer", async () => {
    gate = new Promise((resolve) => (release = resolve));
    entered = 0;
    const client = createClient(PointService, s.transports.grpc);
    const held = Array.from({ length: max }, (_, i) => client.getUserPoints({ userId: `held-${i}` }));
    while (entered < max) await sleep(5);
    assert.equal(s.server.load().inFlight, max);

    for (const [name, transport] of Object.entries(s.transports)) {
      const started = performance.now();
      const err = await createClient(PointService, transport)
        .getUserPoints({ userId: "extra" })
        .then(() => assert.fail(`${name}: the call over the cap was served`), (e: unknown) => ConnectError.from(e));
      assert.equal(err.code, Code.ResourceExhausted, name);
      assert.ok(performance.now() - started < 500, `${name}: refused after ${performance.now() - started} ms`);
      const info = err.findDetails(ErrorInfoSchema)[0];
      assert.equal(info?.reason, "SERVER_OVERLOADED", name);
      assert.equal(info?.metadata["max_concurrent_rpcs"], String(max), name);
      assert.ok(Number(info?.metadata["retry_after_ms"]) > 0, name);
      assert.ok(err.findDetails(RetryInfoSchema)[0]?.retryDelay !== undefined, name);
    }
    assert.equal(entered, max, "no refused call reached the handler");
    assert.equal(s.server.load().shed, Object.keys(s.transports).length);

    // Health and reflection are exempt.
    assert.equal((await createClient(Health, s.transports.grpc).check({ service: "" })).status, Status.SERVING);
    assert.ok((await listServices(s.transports.grpc, "v1")).includes("mesh.point.v1.PointService"));

    release();
    for (const res of await Promise.all(held)) assert.equal(res.points, 1n);
    await sleep(20);
    assert.equal(s.server.load().inFlight, 0, "every slot was given back");
    assert.equal((await client.getUserPoints({ userId: "after" })).userId, "after");
  });

  test("slots come back however calls end: errors, cancellations, expired deadlines", async () => {
    gate = new Promise((resolve) => (release = resolve));
    const client = createClient(PointService, s.transports.grpc);
    for (let round = 0; round < 3; round++) {
      const controller = new AbortController();
      const calls = Promise.allSettled([
        client.getUserPoints({ userId: "c" }, { signal: controller.signal }),
        client.getUserPoints({ userId: "d" }, { timeoutMs: 30 }),
        createClient(PointService, s.transports.connectHttp1).getUserPoints({ userId: "e" }, { signal: controller.signal }),
        client.addPoints({ userId: "x" }), // unimplemented here
      ]);
      await sleep(50);
      controller.abort();
      const codes = (await calls).map((r) => (r.status === "fulfilled" ? "OK" : ConnectError.from(r.reason).code));
      assert.deepEqual(codes, [Code.Canceled, Code.DeadlineExceeded, Code.Canceled, Code.Unimplemented]);
    }
    release();
    await sleep(50);
    assert.equal(s.server.load().inFlight, 0);
  });
});

describe("HTTP/2 and HTTP/1.1 listener limits", () => {
  let s: Started;
  before(
    async () =>
      (s = await start(
        { getUserPoints: (req) => ({ userId: req.userId, points: 1n }) },
        { http2MaxConcurrentStreams: 7, maxHeaderBytes: 4096, http2MaxSessionMemoryMb: 5 },
      )),
  );
  after(() => s.server.stop());

  const connect = (port: number) =>
    new Promise<http2.ClientHttp2Session>((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.once("remoteSettings", () => resolve(session));
      session.once("error", reject);
      session.once("close", () => reject(new Error("closed before its settings arrived")));
    });

  test("every HTTP/2 connection announces the stream and header limits", async () => {
    const session = await connect(s.port);
    try {
      assert.equal(session.remoteSettings.maxConcurrentStreams, 7);
      assert.equal(session.remoteSettings.maxHeaderListSize, 4096);
    } finally {
      session.close();
    }
  });

  test("a header block over MAX_HEADER_BYTES is refused on both listeners, and the server still answers", async () => {
    const session = await connect(s.port);
    try {
      const status = await new Promise<number | string>((resolve) => {
        const stream = session.request({
          ":method": "POST",
          ":path": "/mesh.point.v1.PointService/GetUserPoints",
          "content-type": "application/grpc",
          te: "trailers",
          "x-padding": "p".repeat(8_000),
        });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
        stream.on("close", () => resolve(`closed ${stream.rstCode}`));
        stream.end();
      });
      assert.notEqual(status, 200, `an oversized header block was served (${status})`);
    } finally {
      session.destroy();
    }
    const h1Status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: s.httpPort, method: "POST", path: "/mesh.point.v1.PointService/GetUserPoints", headers: { "content-type": "application/json", "x-padding": "p".repeat(8_000) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    assert.equal(h1Status, 431);
    assert.equal((await createClient(PointService, s.transports.grpc).getUserPoints({ userId: "ok" })).userId, "ok");
  });

  test("connections over MAX_CONNECTIONS are closed on accept; they are taken again once others close", async () => {
    // A server of its own: no client of the other tests holds a connection to it.
    const own = await start({}, { maxConnections: 3 });
    const open: http2.ClientHttp2Session[] = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await connect(own.port));
      await assert.rejects(connect(own.port));
      open.pop()!.destroy();
      await sleep(50);
      open.push(await connect(own.port));
    } finally {
      for (const session of open) session.destroy();
      await own.server.stop();
    }
  });
});

describe("configuration", () => {
  test("the limits come from the environment with their defaults, and a bad value names its variable", () => {
    const read = (env: Record<string, string>) => loadConfig(env, (r) => readServiceConfig("point", r)).server;
    const defaults = read({});
    assert.deepEqual(resolveLimits(defaults), DEFAULT_SERVER_LIMITS);
    const set = read({
      DEFAULT_DEADLINE_MS: "0",
      MAX_DEADLINE_MS: "60000",
      MAX_CONCURRENT_RPCS: "32",
      HTTP2_MAX_CONCURRENT_STREAMS: "50",
      HTTP2_MAX_SESSION_MEMORY_MB: "20",
      MAX_CONNECTIONS: "0",
      MAX_HEADER_BYTES: "8192",
    });
    assert.deepEqual(resolveLimits(set), {
      defaultDeadlineMs: 0,
      maxDeadlineMs: 60_000,
      maxConcurrentRpcs: 32,
      http2MaxConcurrentStreams: 50,
      http2MaxSessionMemoryMb: 20,
      maxConnections: 0,
      maxHeaderBytes: 8192,
    });
    assert.throws(
      () => read({ MAX_CONCURRENT_RPCS: "-1", MAX_HEADER_BYTES: "10" }),
      (e: ConfigError) => e.variables.join() === "MAX_CONCURRENT_RPCS,MAX_HEADER_BYTES",
    );
    // A config built by hand without limits gets the defaults.
    assert.deepEqual(resolveLimits({ maxConcurrentRpcs: 8 }), { ...DEFAULT_SERVER_LIMITS, maxConcurrentRpcs: 8 });
  });
});
