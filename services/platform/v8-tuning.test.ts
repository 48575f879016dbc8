// collectAfterStart runs a real full collection and leaves no `gc` behind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { runInNewContext } from "node:vm";
import { collectAfterStart } from "./v8-tuning.js";

test("collectAfterStart collects what nothing holds, and exposes no gc function afterwards", async () => {
  const ref = new WeakRef({ payload: new Array(1_000).fill(0) });
  // A WeakRef's target is kept until the end of the job that made it.
  await nextTurn();
  collectAfterStart();
  assert.equal(ref.deref(), undefined, "the object was not collected: no full collection ran");
  assert.equal(runInNewContext("typeof gc"), "undefined");
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
});
