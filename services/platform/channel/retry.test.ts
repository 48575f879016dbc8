import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { PointService } from "../../../gen/mesh/point/v1/point_pb.js";
import { backoffMs, DEFAULT_RETRY_OPTIONS, isRetryable, RetryBudget, wasNotSent } from "./retry.js";
import { NotSentError } from "./session.js";

const read = PointService.method.getUserPoints; // NO_SIDE_EFFECTS
const write = PointService.method.addPoints;

function local(code: Code, cause?: unknown) {
  const err = new ConnectError("local", code);
  err.cause = cause;
  return err;
}

function wire(code: Code) {
  const err = new ConnectError("from the server", code);
  (err as { isWireError: boolean }).isWireError = true;
  return err;
}

test("calls that never reached a server are retried whatever the method", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  const refusedStream = new Error("Stream closed with error code NGHTTP2_REFUSED_STREAM");
  for (const cause of [refused, refusedStream, new NotSentError("closed")]) {
    const err = local(cause === refusedStream ? Code.Internal : Code.Unavailable, cause);
    assert.equal(wasNotSent(err), true);
    assert.equal(isRetryable(write, err), true);
  }
});

test("reads are retried after transport failures; writes are not; answers of the server are final", () => {
  assert.equal(isRetryable(read, local(Code.Aborted)), true); // connection reset mid-call
  assert.equal(isRetryable(read, local(Code.Canceled)), true); // the connection died and cancelled the stream
  assert.equal(isRetryable(write, local(Code.Aborted)), false);
  assert.equal(isRetryable(read, wire(Code.Unavailable)), true);
  assert.equal(isRetryable(read, wire(Code.Internal)), false);
  assert.equal(isRetryable(read, wire(Code.NotFound)), false);
  assert.equal(isRetryable(read, local(Code.DeadlineExceeded)), false);
});

test("backoff grows exponentially with full jitter, capped", () => {
  const max = () => 1;
  assert.equal(backoffMs(1, DEFAULT_RETRY_OPTIONS, max), DEFAULT_RETRY_OPTIONS.initialBackoffMs);
  assert.equal(backoffMs(2, DEFAULT_RETRY_OPTIONS, max), DEFAULT_RETRY_OPTIONS.initialBackoffMs * 2);
  assert.equal(backoffMs(30, DEFAULT_RETRY_OPTIONS, max), DEFAULT_RETRY_OPTIONS.maxBackoffMs);
  assert.equal(backoffMs(3, DEFAULT_RETRY_OPTIONS, () => 0), 0);
});

test("the budget refuses retries at half its tokens and refills with successes", () => {
  const budget = new RetryBudget({ budgetTokens: 10, budgetTokenRatio: 0.5 });
  for (let i = 0; i < 4; i++) budget.onFailure();
  assert.equal(budget.allowRetry(), true); // 6 > 5
  budget.onFailure();
  assert.equal(budget.allowRetry(), false); // 5 is not above half
  assert.equal(budget.exhausted, 1);
  budget.onSuccess();
  assert.equal(budget.allowRetry(), true);
  for (let i = 0; i < 100; i++) budget.onSuccess();
  assert.equal(budget.tokens, 10);
});
