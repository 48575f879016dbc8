import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import { UserService } from "../../gen/mesh/user/v1/user_pb.js";
import { upstreamCallOptions } from "./upstream.js";

function context(timeoutMs: number | undefined, headers: Record<string, string> = {}) {
  return createHandlerContext({
    service: UserService,
    method: UserService.method.getUser,
    protocolName: "grpc",
    requestMethod: "POST",
    url: "http://localhost/mesh.user.v1.UserService/GetUser",
    timeoutMs,
    requestHeader: headers,
  });
}

test("without an inbound deadline, the per-call default applies", () => {
  const options = upstreamCallOptions(context(undefined), 2000);
  assert.equal(options.timeoutMs, 2000);
  assert.ok(options.signal);
});

test("the remaining inbound time shortens the default, never lengthens it", () => {
  const short = upstreamCallOptions(context(150), 2000);
  assert.ok(short.timeoutMs !== undefined && short.timeoutMs <= 150 && short.timeoutMs > 0);
  assert.equal(upstreamCallOptions(context(60_000), 2000).timeoutMs, 2000);
});

test("a spent budget fails fast with DEADLINE_EXCEEDED instead of sending", async () => {
  const ctx = context(1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.throws(() => upstreamCallOptions(ctx, 2000), (e: ConnectError) => e.code === Code.DeadlineExceeded);
});

test("the request id travels to the upstream", () => {
  const options = upstreamCallOptions(context(undefined, { "x-request-id": "abc" }), 2000);
  assert.equal(new Headers(options.headers).get("x-request-id"), "abc");
});

test("the caller's authorization header travels to the upstream with the request id", () => {
  const options = upstreamCallOptions(context(undefined, { authorization: "Bearer abc.def.ghi", "x-request-id": "r1" }), 2000);
  const headers = new Headers(options.headers);
  assert.deepEqual([headers.get("authorization"), headers.get("x-request-id")], ["Bearer abc.def.ghi", "r1"]);
  assert.equal(new Headers(upstreamCallOptions(context(undefined), 2000).headers).get("authorization"), null, "none when the caller sent none");
});
