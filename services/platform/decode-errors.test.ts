// Requests the server cannot decode get INVALID_ARGUMENT on every protocol and
// always get an answer; an answer given before the body was read does not
// leave its HTTP/2 stream open. Raw node:http2 requests, so the bytes are exact.
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { PointService } from "../../gen/mesh/point/v1/point_pb.js";
import { startFakeServer, type FakeServer } from "../testing/fake-server.js";
import { answerCode, envelope, h2Request, type Protocol, type RawRequest } from "../testing/raw-rpc.js";

const UNARY = "/mesh.point.v1.PointService/GetUserPoints";
const LIST = "/mesh.point.v1.PointService/ListTopUsers";
const grpc = { "content-type": "application/grpc", te: "trailers" };

let fake: FakeServer;
let session: http2.ClientHttp2Session;

before(async () => {
  fake = await startFakeServer(
    PointService,
    { getUserPoints: (req) => ({ userId: req.userId, points: 1n }), listTopUsers: () => ({ users: [] }) },
    0,
    { readMaxBytes: 65_536 },
  );
  session = http2.connect(`http://127.0.0.1:${fake.port}`);
});

after(async () => {
  session.close();
  await fake.stop();
});

const send = async (protocol: Protocol, req: Omit<RawRequest, "timeoutMs">) => answerCode(protocol, await h2Request(session, { ...req, timeoutMs: 5_000 }));

describe("undecodable requests", () => {
  test("protobuf that does not parse is INVALID_ARGUMENT on gRPC, gRPC-Web and Connect", async () => {
    const bad = Uint8Array.from([0xff, 0xff, 0xff]);
    assert.equal(await send("grpc", { path: UNARY, headers: grpc, body: [envelope(bad)] }), "INVALID_ARGUMENT");
    assert.equal(await send("grpc-web", { path: UNARY, headers: { "content-type": "application/grpc-web+proto" }, body: [envelope(bad)] }), "INVALID_ARGUMENT");
    assert.equal(await send("connect", { path: UNARY, headers: { "content-type": "application/proto" }, body: [bad] }), "INVALID_ARGUMENT");
    // A string field (user_id) holding invalid UTF-8.
    assert.equal(await send("grpc", { path: UNARY, headers: grpc, body: [envelope(Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]))] }), "INVALID_ARGUMENT");
  });

  test("a compressed frame without grpc-encoding, and gzip cut short, are INVALID_ARGUMENT", async () => {
    assert.equal(await send("grpc", { path: UNARY, headers: grpc, body: [envelope(Uint8Array.from([1, 2, 3]), 1)] }), "INVALID_ARGUMENT");
    const cut = gzipSync(Buffer.from("some bytes to compress")).subarray(0, 15);
    assert.equal(await send("grpc", { path: UNARY, headers: { ...grpc, "grpc-encoding": "gzip" }, body: [envelope(cut, 1)] }), "INVALID_ARGUMENT");
    assert.equal(await send("connect", { path: UNARY, headers: { "content-type": "application/proto", "content-encoding": "gzip" }, body: [cut] }), "INVALID_ARGUMENT");
  });

  test("a Connect GET whose base64 is not base64 is INVALID_ARGUMENT", async () => {
    const path = `${LIST}?connect=v1&encoding=proto&base64=1&message=${encodeURIComponent("!!not base64!!")}`;
    assert.equal(await send("connect", { path, method: "GET", headers: {}, body: [] }), "INVALID_ARGUMENT");
    assert.equal(await send("connect", { path: `${LIST}?connect=v1&encoding=proto&base64=1&message=CAE`, method: "GET", headers: {}, body: [] }), "OK");
  });

  test("an error message quoting a lone surrogate is still answered over gRPC and gRPC-Web", async () => {
    // The JSON parser's error quotes the value given for the int32 field.
    for (const value of ["\\ud800", "a\\udc00b"]) {
      const body = Buffer.from(`{"limit": "${value}"}`);
      assert.equal(await send("grpc", { path: LIST, headers: { ...grpc, "content-type": "application/grpc+json" }, body: [envelope(body)] }), "INVALID_ARGUMENT");
      assert.equal(await send("grpc-web", { path: LIST, headers: { "content-type": "application/grpc-web+json" }, body: [envelope(body)] }), "INVALID_ARGUMENT");
    }
  });
});

describe("answers given before the body was read", () => {
  test("150 messages over READ_MAX_BYTES and the flow-control window on one connection: each answered, the connection still serves", async () => {
    // Before the fix each of these left its stream open, and after 100 (the
    // stream limit) the connection refused every stream with ENHANCE_YOUR_CALM.
    const codes = new Map<string, number>();
    for (let i = 0; i < 150; i++) {
      const code = await send("grpc", { path: UNARY, headers: grpc, body: [envelope(new Uint8Array(70_000))] });
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    assert.deepEqual([...codes], [["RESOURCE_EXHAUSTED", 150]]);
    assert.equal(await send("grpc", { path: UNARY, headers: grpc, body: [envelope(new Uint8Array())] }), "OK");
  });
});
