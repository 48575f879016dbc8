// The fast path on a real server (createServer with its interceptors) over
// loopback, called as gRPC and as Connect (proto and JSON): deadlines,
// cancellation, metadata, errors with details, masking, size limits, and
// what it leaves to connect-node (compression, HTTP/1.1, streams).
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { GetUserPointsRequestSchema, GetUserPointsResponseSchema, PointService } from "../../../gen/mesh/point/v1/point_pb.js";
import { captureLogger, testConfig } from "../../testing/harness.js";
import { invalidArgument } from "../errors.js";
import { ServingStatus } from "../health.js";
import { createServer, type Server } from "../server.js";
import { fastNodeAdapter, type FastPathStats } from "./adapter.js";

const READ_MAX = 2_048;
const WRITE_MAX = 4_096;
const stats: FastPathStats = { fast: 0, fallback: 0 };
const log = captureLogger("point");
/** What handlers saw, by test key. */
const seen = new Map<string, unknown>();
let server: Server;
let port: number;
let httpPort: number;

before(async () => {
  const config = testConfig("point").server;
  server = createServer({
    config: { ...config, readMaxBytes: READ_MAX, writeMaxBytes: WRITE_MAX, shutdownGraceMs: 500 },
    logger: log.logger,
    adapter: (options) => fastNodeAdapter(options, stats),
    // Interceptors may pass on copies of the request and the response ({ ...req }): with x-copy set, this one does.
    interceptors: [
      (next) => async (req) => {
        if (req.header.get("x-copy") === null) return next(req);
        return { ...(await next({ ...req })) };
      },
    ],
  });
  server.register(PointService, {
    async getUserPoints(req, ctx) {
      const [command, key = ""] = req.userId.split(":");
      switch (command) {
        case "meta":
          seen.set(key, { header: ctx.requestHeader.get("x-test"), protocol: ctx.protocolName, url: ctx.url });
          ctx.responseHeader.set("x-answer", "42");
          ctx.responseTrailer.set("x-trailer", "done");
          return { userId: req.userId, points: 1n };
        case "details":
          throw invalidArgument([{ field: "user_id", description: "is not a user" }]);
        case "boom":
          throw new Error("database password is hunter2");
        case "timeout":
          return { userId: req.userId, points: BigInt(ctx.timeoutMs() ?? -1) };
        case "wait":
          return await new Promise((_, reject) => {
            ctx.signal.addEventListener("abort", () => {
              seen.set(key, ConnectError.from(ctx.signal.reason).code);
              reject(ctx.signal.reason as Error);
            });
          });
        case "connection-headers":
          // Names HTTP/2 forbids: dropped, as Node's compatibility response dropped them, not a call left unanswered.
          ctx.responseHeader.set("connection", "close");
          ctx.responseHeader.set("x-kept", "yes");
          ctx.responseTrailer.set("keep-alive", "timeout=5");
          return { userId: req.userId, points: 2n };
        case "big":
          return { userId: "x".repeat(WRITE_MAX + 1), points: 0n };
        default:
          return { userId: req.userId, points: 7n };
      }
    },
  });
  ({ port, httpPort } = (await server.listen()) as { port: number; httpPort: number });
  server.health.setAll(ServingStatus.SERVING);
});

after(() => server.stop());

const url = () => `http://127.0.0.1:${port}`;
const clients: Record<string, () => Client<typeof PointService>> = {
  grpc: () => createClient(PointService, createGrpcTransport({ baseUrl: url() })),
  "connect proto": () => createClient(PointService, createConnectTransport({ baseUrl: url(), httpVersion: "2", useBinaryFormat: true })),
  "connect json": () => createClient(PointService, createConnectTransport({ baseUrl: url(), httpVersion: "2", useBinaryFormat: false })),
};

/** Runs `fn` and returns how many calls the fast path and the fallback took meanwhile. */
async function counted(fn: () => Promise<unknown>): Promise<FastPathStats> {
  const before = { ...stats };
  await fn();
  return { fast: stats.fast - before.fast, fallback: stats.fallback - before.fallback };
}

for (const [name, make] of Object.entries(clients)) {
  describe(`fast path, ${name}`, () => {
    test("answers, and the call is logged once with its code", async () => {
      const client = make();
      const taken = await counted(async () => assert.equal((await client.getUserPoints({ userId: "u1" })).points, 7n));
      assert.deepEqual(taken, { fast: 1, fallback: 0 });
      const line = log.lines.findLast((l) => l.rpc === "mesh.point.v1.PointService/GetUserPoints");
      assert.equal(line?.code, "OK");
      // The context values (the caller's address) come from the stream, without Node's request object.
      assert.equal(line?.peer, "127.0.0.1");
    });

    test("request metadata reaches the handler; response headers and trailers reach the caller", async () => {
      const client = make();
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      const key = `${name}-meta`;
      await client.getUserPoints(
        { userId: `meta:${key}` },
        { headers: { "x-test": "hello" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      );
      const protocol = name === "grpc" ? "grpc" : "connect";
      assert.deepEqual(seen.get(key), { header: "hello", protocol, url: `${url()}/mesh.point.v1.PointService/GetUserPoints` });
      assert.equal(header?.get("x-answer"), "42");
      assert.equal(trailer?.get("x-trailer"), "done");
    });

    test("through an interceptor that copies the request and the response: metadata both ways, and the signal at the deadline", async () => {
      const client = make();
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      const key = `${name}-copied`;
      await client.getUserPoints(
        { userId: `meta:${key}` },
        { headers: { "x-test": "copied", "x-copy": "1" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
      );
      assert.equal((seen.get(key) as { header: string }).header, "copied");
      assert.equal(header?.get("x-answer"), "42");
      assert.equal(trailer?.get("x-trailer"), "done");
      const waitKey = `${name}-copied-wait`;
      const err = await client.getUserPoints({ userId: `wait:${waitKey}` }, { timeoutMs: 50, headers: { "x-copy": "1" } }).then(
        () => assert.fail("expected DEADLINE_EXCEEDED"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.DeadlineExceeded);
      await until(() => seen.has(waitKey));
      // The handler's signal aborted: at the server's deadline, or at the client's cancellation (whichever came first).
      assert.ok([Code.DeadlineExceeded, Code.Canceled].includes(seen.get(waitKey) as Code), `the handler saw ${String(seen.get(waitKey))}`);
    });

    test("errors keep their code, message and google.rpc details", async () => {
      const client = make();
      const err = await client.getUserPoints({ userId: "details" }).then(
        () => assert.fail("expected an error"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument);
      assert.equal(err.rawMessage, "user_id: is not a user");
      assert.deepEqual(
        err.findDetails(BadRequestSchema).map((d) => d.fieldViolations.map((v) => v.field)),
        [["user_id"]],
      );
      assert.equal(err.findDetails(ErrorInfoSchema)[0]?.reason, "INVALID_ARGUMENT");
    });

    test("an unexpected error is INTERNAL with a generic message", async () => {
      const err = await make()
        .getUserPoints({ userId: "boom" })
        .then(
          () => assert.fail("expected an error"),
          (e: unknown) => ConnectError.from(e),
        );
      assert.equal(err.code, Code.Internal);
      assert.equal(err.rawMessage, "internal error");
    });

    test("the deadline reaches the handler, whose signal aborts when it passes", async () => {
      const client = make();
      const res = await client.getUserPoints({ userId: "timeout" }, { timeoutMs: 5_000 });
      assert.ok(res.points > 0n && res.points <= 5_000n, `timeoutMs() was ${res.points}`);
      const key = `${name}-deadline`;
      const err = await client.getUserPoints({ userId: `wait:${key}` }, { timeoutMs: 100 }).catch((e: unknown) => ConnectError.from(e));
      assert.equal((err as ConnectError).code, Code.DeadlineExceeded);
      await until(() => seen.has(key));
      // The server's own timer, or the client's cancellation at its deadline (whichever fires first).
      assert.ok([Code.DeadlineExceeded, Code.Canceled].includes(seen.get(key) as Code), `the handler saw ${String(seen.get(key))}`);
    });

    test("a caller that cancels aborts the handler's signal with CANCELED", async () => {
      const key = `${name}-cancel`;
      const controller = new AbortController();
      const call = make().getUserPoints({ userId: `wait:${key}` }, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(call, (e: ConnectError) => e.code === Code.Canceled);
      await until(() => seen.has(key));
      assert.equal(seen.get(key), Code.Canceled);
    });

    test("a request above READ_MAX_BYTES is RESOURCE_EXHAUSTED; so is a response above WRITE_MAX_BYTES", async () => {
      const client = make();
      await assert.rejects(client.getUserPoints({ userId: "y".repeat(READ_MAX + 10) }), (e: ConnectError) => e.code === Code.ResourceExhausted);
      await assert.rejects(client.getUserPoints({ userId: "big" }), (e: ConnectError) => e.code === Code.ResourceExhausted);
    });
  });
}

describe("fast path, raw gRPC requests", () => {
  test("a timeout in microseconds is seen in whole milliseconds; the server's own deadline aborts the handler", async () => {
    const session = http2.connect(url());
    try {
      const timeout = await rawCall(session, "timeout", "1999958u");
      assert.equal(timeout.status, "0");
      const ms = fromBinary(GetUserPointsResponseSchema, timeout.body.subarray(5)).points;
      assert.ok(ms > 1_900n && ms <= 1_999n, `timeoutMs() was ${ms}`);
      // The client here never cancels: only the server's timer can end the call.
      const expired = await rawCall(session, "wait:raw-deadline", "50m");
      assert.equal(expired.status, String(Code.DeadlineExceeded));
      assert.equal(seen.get("raw-deadline"), Code.DeadlineExceeded);
    } finally {
      session.close();
    }
  });
});

function rawCall(session: http2.ClientHttp2Session, userId: string, grpcTimeout: string): Promise<{ status: string; body: Buffer }> {
  const message = toBinary(GetUserPointsRequestSchema, create(GetUserPointsRequestSchema, { userId }));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": "/mesh.point.v1.PointService/GetUserPoints",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": grpcTimeout,
    });
    const chunks: Buffer[] = [];
    let status = "";
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("trailers", (t) => (status = String(t["grpc-status"])));
    stream.on("error", reject);
    stream.on("close", () => resolve({ status, body: Buffer.concat(chunks) }));
    stream.end(frame);
  });
}

describe("left to connect-node", () => {
  test("compressed requests, gRPC-Web, HTTP/1.1 and streams are served by the fallback", async () => {
    const gzip = createClient(PointService, createGrpcTransport({ baseUrl: url(), sendCompression: compressionGzip, compressMinBytes: 1 }));
    const grpcWeb = createClient(PointService, createGrpcWebTransport({ baseUrl: url(), httpVersion: "2" }));
    const http1 = createClient(PointService, createConnectTransport({ baseUrl: `http://127.0.0.1:${httpPort}`, httpVersion: "1.1" }));
    const health = createClient(Health, createGrpcTransport({ baseUrl: url() }));
    const taken = await counted(async () => {
      assert.equal((await gzip.getUserPoints({ userId: "u" })).points, 7n);
      assert.equal((await grpcWeb.getUserPoints({ userId: "u" })).points, 7n);
      assert.equal((await http1.getUserPoints({ userId: "u" })).points, 7n);
      // A server stream: the first status of a health watch.
      const controller = new AbortController();
      try {
        for await (const res of health.watch({ service: "" }, { signal: controller.signal })) {
          assert.equal(res.status, ServingStatus.SERVING);
          controller.abort();
        }
      } catch (e) {
        if (ConnectError.from(e).code !== Code.Canceled) throw e;
      }
    });
    assert.deepEqual(taken, { fast: 0, fallback: 4 });
  });

  test("health is served through the same adapter", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: url() }));
    assert.equal((await health.check({ service: "" })).status, ServingStatus.SERVING);
  });

  test("an unknown method is UNIMPLEMENTED", async () => {
    const transport: Transport = createGrpcTransport({ baseUrl: url() });
    const unknown = { ...PointService.method.getUserPoints, name: "NoSuchMethod" };
    await assert.rejects(
      transport.unary(unknown, undefined, undefined, undefined, { userId: "u" }),
      (e: ConnectError) => e.code === Code.Unimplemented,
    );
  });
});

describe("fast path, edges", () => {
  test("headers HTTP/2 forbids, set by a handler, are dropped and the call is answered", async () => {
    let header: Headers | undefined;
    const res = await clients.grpc!().getUserPoints({ userId: "connection-headers" }, { timeoutMs: 2_000, onHeader: (h) => (header = h) });
    assert.equal(res.points, 2n);
    assert.equal(header?.get("x-kept"), "yes");
    assert.equal(header?.get("connection"), null);
  });

  test("a call answered before its body was read (a message over the limit) is reset once answered, not left open", { timeout: 10_000 }, async () => {
    const session = http2.connect(url());
    try {
      const outcome = await new Promise<{ status: string | undefined; rstCode: number | undefined }>((resolve) => {
        const stream = session.request({ ":method": "POST", ":path": "/mesh.point.v1.PointService/GetUserPoints", "content-type": "application/grpc", te: "trailers" });
        let status: string | undefined;
        stream.on("trailers", (t) => (status = String(t["grpc-status"])));
        stream.on("response", (h) => (status ??= h["grpc-status"] === undefined ? undefined : String(h["grpc-status"])));
        stream.on("data", () => undefined);
        stream.on("error", () => undefined);
        stream.on("close", () => resolve({ status, rstCode: stream.rstCode }));
        // An envelope announcing 70,000 bytes, 1,000 of them sent, and no END_STREAM: the client is still "sending".
        const head = Buffer.alloc(5);
        head.writeUInt32BE(70_000, 1);
        stream.write(Buffer.concat([head, Buffer.alloc(1_000)]));
      });
      assert.equal(outcome.status, String(Code.ResourceExhausted));
      assert.equal(outcome.rstCode, http2.constants.NGHTTP2_NO_ERROR);
    } finally {
      session.destroy();
    }
  });

  test("used as a plain request handler (Node's compatibility objects), answers and errors keep their status", async () => {
    const h2 = http2.createServer(
      fastNodeAdapter({
        routes: (router) =>
          router.service(PointService, {
            getUserPoints(req) {
              if (req.userId === "missing") throw new ConnectError("no such user", Code.NotFound);
              return { userId: req.userId, points: 3n };
            },
          }),
      }),
    );
    await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
    try {
      const client = createClient(PointService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${(h2.address() as { port: number }).port}` }));
      assert.equal((await client.getUserPoints({ userId: "u" })).points, 3n);
      await assert.rejects(client.getUserPoints({ userId: "missing" }), (e: ConnectError) => e.code === Code.NotFound && e.rawMessage === "no such user");
    } finally {
      await new Promise((resolve) => h2.close(resolve));
    }
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
