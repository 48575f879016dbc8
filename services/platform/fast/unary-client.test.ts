// The channel's lean unary client against a real server (connect-node, so the
// client is checked against the reference implementation, not against our
// own fast path): deadlines, cancellation, metadata, errors with details,
// response size limits, unreachable replicas, and streams left to connect-node.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { PointService } from "../../../gen/mesh/point/v1/point_pb.js";
import { silentLogger, testConfig } from "../../testing/harness.js";
import { Channel } from "../channel/channel.js";
import { resolverFor } from "../channel/resolver.js";
import { wasNotSent } from "../channel/retry.js";
import { invalidArgument } from "../errors.js";
import { ServingStatus } from "../health.js";
import { createServer, type Server } from "../server.js";

const seen = new Map<string, unknown>();
let server: Server;
let channel: Channel;
let client: Client<typeof PointService>;

before(async () => {
  server = createServer({
    config: { ...testConfig("point").server, httpPort: -1, shutdownGraceMs: 500 },
    logger: silentLogger(),
    adapter: connectNodeAdapter,
  });
  server.register(PointService, {
    async getUserPoints(req, ctx) {
      const [command, key = ""] = req.userId.split(":");
      switch (command) {
        case "meta":
          seen.set(key, ctx.requestHeader.get("x-test"));
          ctx.responseHeader.set("x-answer", "42");
          ctx.responseTrailer.set("x-trailer", "done");
          return { userId: req.userId, points: 1n };
        case "agent":
          seen.set(key, [ctx.requestHeader.get("user-agent"), ctx.requestHeader.get("grpc-timeout"), ctx.requestHeader.get("te")]);
          return { userId: req.userId, points: 1n };
        case "details":
          throw invalidArgument([{ field: "user_id", description: "is not a user" }]);
        case "timeout":
          return { userId: req.userId, points: BigInt(ctx.timeoutMs() ?? -1) };
        case "wait":
          return await new Promise((_, reject) => {
            ctx.signal.addEventListener("abort", () => {
              seen.set(key, ConnectError.from(ctx.signal.reason).code);
              reject(ctx.signal.reason as Error);
            });
          });
        case "big":
          return { userId: "x".repeat(64 * 1024), points: 0n };
        default:
          return { userId: req.userId, points: 7n };
      }
    },
  });
  const { port } = await server.listen();
  server.health.setAll(ServingStatus.SERVING);
  channel = new Channel({ name: "point", resolver: resolverFor(`127.0.0.1:${port}`), readMaxBytes: 32 * 1024, retry: { maxAttempts: 1 }, leanUnary: true });
  client = createClient(PointService, channel);
});

after(async () => {
  channel.close();
  await server.stop();
});

test("answers, with request metadata in and response headers and trailers out", async () => {
  let header: Headers | undefined;
  let trailer: Headers | undefined;
  const res = await client.getUserPoints(
    { userId: "meta:m1" },
    { headers: { "x-test": "hello" }, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) },
  );
  assert.equal(res.points, 1n);
  assert.equal(seen.get("m1"), "hello");
  assert.equal(header?.get("x-answer"), "42");
  assert.equal(trailer?.get("x-trailer"), "done");
});

test("a header the caller sets replaces the client's own (user-agent, te), and the call's deadline replaces a grpc-timeout header", async () => {
  await client.getUserPoints({ userId: "agent:default" });
  assert.deepEqual(seen.get("default"), ["grpc-mesh-lean/1", null, "trailers"]);
  await client.getUserPoints({ userId: "agent:own" }, { headers: { "user-agent": "probe/2", te: "trailers" } });
  assert.deepEqual(seen.get("own"), ["probe/2", null, "trailers"]);
  await client.getUserPoints({ userId: "agent:header-timeout" }, { headers: { "grpc-timeout": "99S" } });
  assert.deepEqual(seen.get("header-timeout"), ["grpc-mesh-lean/1", "99S", "trailers"]);
  await client.getUserPoints({ userId: "agent:both" }, { headers: { "grpc-timeout": "99S" }, timeoutMs: 5_000 });
  const [, sent] = seen.get("both") as [string, string, string];
  assert.match(sent, /^\d+m$/, `one grpc-timeout, the call's own, in milliseconds: ${sent}`);
  assert.ok(Number(sent.slice(0, -1)) <= 5_000);
});

test("a header HTTP/2 forbids fails that call with INTERNAL, without a retry, and leaves the connection to the next call", async () => {
  await client.getUserPoints({ userId: "before" });
  const before = channel.stats().endpoints[0]?.openSessions;
  const err = await client.getUserPoints({ userId: "bad" }, { headers: { connection: "keep-alive" } }).then(
    () => assert.fail("expected an error"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.Internal);
  assert.match(err.rawMessage, /connection/i);
  assert.equal(wasNotSent(err), false);
  assert.equal((await client.getUserPoints({ userId: "after" })).points, 7n);
  assert.equal(channel.stats().endpoints[0]?.openSessions, before);
});

test("errors arrive with their code, message and details", async () => {
  const err = await client.getUserPoints({ userId: "details" }).then(
    () => assert.fail("expected an error"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument);
  assert.equal(err.rawMessage, "user_id: is not a user");
  assert.equal(err.isWireError, true);
  assert.deepEqual(err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field), ["user_id"]);
});

test("the deadline travels as grpc-timeout and ends the call with DEADLINE_EXCEEDED", async () => {
  const res = await client.getUserPoints({ userId: "timeout" }, { timeoutMs: 3_000 });
  assert.ok(res.points > 0n && res.points <= 3_000n, `the server saw ${res.points} ms`);
  await assert.rejects(client.getUserPoints({ userId: "wait:d1" }, { timeoutMs: 80 }), (e: ConnectError) => e.code === Code.DeadlineExceeded);
  await until(() => seen.has("d1"));
  // The server gives up at its own deadline, or sees the stream cancelled: either way the handler stops.
  assert.ok([Code.DeadlineExceeded, Code.Canceled].includes(seen.get("d1") as Code));
});

test("cancelling the call resets the stream: the handler sees CANCELED", async () => {
  const controller = new AbortController();
  const call = client.getUserPoints({ userId: "wait:c1" }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(call, (e: ConnectError) => e.code === Code.Canceled);
  await until(() => seen.has("c1"));
  assert.equal(seen.get("c1"), Code.Canceled);
});

test("a response above readMaxBytes is RESOURCE_EXHAUSTED", async () => {
  await assert.rejects(client.getUserPoints({ userId: "big" }), (e: ConnectError) => e.code === Code.ResourceExhausted);
});

test("a replica nobody listens on fails with UNAVAILABLE, marked as never sent", async () => {
  const dead = new Channel({ name: "dead", resolver: resolverFor("127.0.0.1:1"), retry: { maxAttempts: 1 }, leanUnary: true });
  try {
    const err = await failureOf(dead);
    assert.equal(err.code, Code.Unavailable);
    assert.equal(wasNotSent(err), true);
  } finally {
    dead.close();
  }
});

// A server that takes the call and loses its connection under the open stream: reset (RST), or
// ended cleanly (FIN, as when a process dies with nothing unread: Node reports no error at all).
const CONNECTION_LOSSES: Array<[string, (socket: Socket) => void]> = [
  ["reset", (socket) => socket.resetAndDestroy()],
  ["closed without a reset", (socket) => socket.destroy()],
];

for (const [how, lose] of CONNECTION_LOSSES) {
  test(`a connection ${how} while the call is in flight is UNAVAILABLE, and not marked as never sent`, async () => {
    const dying = http2.createServer();
    dying.on("stream", (stream) => lose(stream.session!.socket as Socket));
    await new Promise<void>((resolve) => dying.listen(0, "127.0.0.1", resolve));
    const address = dying.address() as AddressInfo;
    const lost = new Channel({ name: "lost", resolver: resolverFor(`127.0.0.1:${address.port}`), retry: { maxAttempts: 1 }, leanUnary: true });
    try {
      const err = await failureOf(lost);
      assert.equal(err.code, Code.Unavailable, err.message);
      assert.equal(wasNotSent(err), false);
    } finally {
      lost.close();
      dying.close();
    }
  });
}

test("streams go through connect-node's transport on the same channel", async () => {
  const health = createClient(Health, channel);
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

/** The error of a GetUserPoints call on `channel`, which must fail. */
function failureOf(channel: Channel): Promise<ConnectError> {
  return createClient(PointService, channel)
    .getUserPoints({ userId: "u" })
    .then(
      () => assert.fail("expected an error"),
      (e: unknown) => ConnectError.from(e),
    );
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
