// tuneV8's flags hold in a real V8: bytecode that has not run since the last
// full collection goes at the next one V8 runs on its own; collectAfterStart
// runs a real full collection and leaves no `gc` behind.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PerformanceObserver, constants } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import { getHeapSpaceStatistics } from "node:v8";
import { compileFunction, runInNewContext } from "node:vm";
import { collectAfterStart, tuneV8, v8TuningFlags } from "./v8-tuning.js";

test("v8TuningFlags: bytecode age 1 and no pretenuring unless asked otherwise", () => {
  assert.deepEqual(v8TuningFlags(), ["--bytecode-old-age=1", "--no-allocation-site-pretenuring"]);
  assert.deepEqual(v8TuningFlags({ pretenuring: true, bytecodeOldAge: 6 }), ["--bytecode-old-age=6"]);
});

/** Bytes in V8's trusted space, where bytecode lives (V8 12.x and later; Node 24 has V8 13). */
function trustedBytes(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === "trusted_space");
  if (space === undefined) throw new Error(`V8 ${process.versions.v8} has no trusted space to find bytecode in`);
  return space.space_used_size;
}

/** Allocates short-lived objects until V8 has run `count` full (mark-compact) collections of its own. */
async function untilFullCollections(count: number): Promise<void> {
  let seen = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) seen++;
  });
  observer.observe({ entryTypes: ["gc"] });
  try {
    let keep: object[] = [];
    for (let round = 0; seen < count; round++) {
      if (round > 5_000) throw new Error(`V8 ran ${seen} of ${count} full collections`);
      for (let i = 0; i < 20_000; i++) keep.push({ i, s: `x${i}` });
      if (keep.length > 200_000) keep = [];
      await nextTurn(); // GC entries are delivered between turns
    }
  } finally {
    observer.disconnect();
  }
}

test("tuneV8 lets V8's own full collection drop bytecode that has not run since the previous one", async () => {
  tuneV8();
  // A function with ~70 KiB of bytecode that, called with 1, runs almost none of it (so no compiler tiers it up).
  const statements = Array.from({ length: 8_000 }, (_, i) => `s += (x * ${i}) ^ (s >>> ${i % 31});`).join("\n");
  // An inner function: compiled lazily, when first called (compileFunction compiles its own body at once).
  const make = compileFunction(`return function big(x) { let s = 0; if (x === 0) {\n${statements}\n} return s; };`);
  const big = make() as (x: number) => number;
  const before = trustedBytes();
  big(1);
  const compiled = trustedBytes() - before;
  assert.ok(compiled > 50_000, `the function's bytecode took ${compiled} bytes`);
  await untilFullCollections(2);
  const dropped = before + compiled - trustedBytes();
  // With V8's default age (6) two collections keep it: fails without tuneV8 (checked).
  assert.ok(dropped >= compiled * 0.8, `${dropped} of ${compiled} bytes of bytecode were dropped`);
  assert.equal(big(1), 0, "the function runs again, compiled anew");
});

test("collectAfterStart collects what nothing holds, and exposes no gc function afterwards", async () => {
  const ref = new WeakRef({ payload: new Array(1_000).fill(0) });
  // A WeakRef's target is kept until the end of the job that made it.
  await nextTurn();
  collectAfterStart();
  assert.equal(ref.deref(), undefined, "the object was not collected: no full collection ran");
  assert.equal(runInNewContext("typeof gc"), "undefined");
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
});
