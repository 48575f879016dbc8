// Node keeps a server stream for a while after its call is answered (until
// the session reports it closed). An answered call must not live on through
// it: a stream alive when V8 collects its young generation would carry the
// call's objects into the old generation, which only a full collection frees
// (the GC time measured in docs/benchmarks/README.md). Here the streams are
// held on purpose, the garbage collector is run, and each call's handler
// context must be gone.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { after, before, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { PointService } from "../../../gen/mesh/point/v1/point_pb.js";
import { fastNodeAdapter, type FastPathStats } from "./adapter.js";

// A gc() for this test only, without starting Node with --expose-gc.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const stats: FastPathStats = { fast: 0, fallback: 0 };
/** Every server stream, held until the end of the file. */
const streams: http2.ServerHttp2Stream[] = [];
/** A weak reference to the context of every call a handler saw. */
const contexts: Array<WeakRef<object>> = [];
let server: http2.Http2Server;
let baseUrl: string;

before(async () => {
  const handler = fastNodeAdapter(
    {
      routes: (router) =>
        router.service(PointService, {
          getUserPoints(req, ctx) {
            contexts.push(new WeakRef(ctx));
            ctx.responseHeader.set("x-answer", "42");
            ctx.responseTrailer.set("x-trailer", "done");
            if (req.userId === "fail") throw new ConnectError("no such user", Code.NotFound);
            return { userId: req.userId, points: 1n };
          },
        }),
    },
    stats,
  );
  server = http2.createServer();
  server.on("stream", (stream, headers) => {
    streams.push(stream);
    assert.ok(handler.serveStream(stream, headers), `not served by the fast path: ${headers[":path"]}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

after(async () => {
  for (const stream of streams) stream.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function collected(): Promise<number> {
  // Finalizers and weak references settle across turns of the event loop.
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return contexts.filter((ref) => ref.deref() === undefined).length;
}

for (const [protocol, transport] of [
  ["gRPC", (url: string) => createGrpcTransport({ baseUrl: url })],
  ["Connect", (url: string) => createConnectTransport({ baseUrl: url, httpVersion: "2" })],
] as const) {
  test(`${protocol}: answered calls are freed while their streams are still held`, async () => {
    contexts.length = 0;
    const before = stats.fast;
    const client: Client<typeof PointService> = createClient(PointService, transport(baseUrl) as Transport);
    const ok = await client.getUserPoints({ userId: "u1" });
    assert.equal(ok.points, 1n);
    await assert.rejects(client.getUserPoints({ userId: "fail" }), (err: unknown) => ConnectError.from(err).code === Code.NotFound);
    assert.equal(stats.fast - before, 2);
    assert.equal(contexts.length, 2);
    assert.ok(streams.length >= 2);
    assert.equal(await collected(), 2, "a held stream kept its answered call alive");
  });
}
