import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { fanOut } from "./fan-out.js";
import { createLogger } from "./logger.js";

const logger = createLogger({ service: "test", level: "silent" });

test("branches run concurrently; failures are named, successes kept", async () => {
  const started = performance.now();
  const result = await fanOut(
    new AbortController().signal,
    {
      a: async () => (await sleep(100), 1),
      b: async () => {
        await sleep(100);
        throw new Error("b failed");
      },
      c: async () => (await sleep(100), "c"),
    },
    logger,
  );
  assert.ok(performance.now() - started < 190, "concurrent, not sequential");
  assert.deepEqual(result.values, { a: 1, c: "c" });
  assert.deepEqual(result.missing, ["b"]);
});

test("the caller's abort rejects at once with its reason", async () => {
  const controller = new AbortController();
  const reason = new ConnectError("deadline", Code.DeadlineExceeded);
  setTimeout(() => controller.abort(reason), 20);
  const started = performance.now();
  await assert.rejects(fanOut(controller.signal, { slow: () => sleep(5_000) }, logger), (e) => e === reason);
  assert.ok(performance.now() - started < 1_000);
});
