import assert from "node:assert/strict";
import { test } from "node:test";
import { HealthRegistry, ServingStatus } from "./health.js";
import { createLogger } from "./logger.js";
import { watchReadiness } from "./readiness.js";

test("watchers hear changes of their service only, once per change", () => {
  const registry = new HealthRegistry();
  registry.set("", ServingStatus.SERVING);
  registry.set("a", ServingStatus.SERVING);
  const heard: ServingStatus[] = [];
  const unsubscribe = registry.subscribe("a", (s) => heard.push(s));
  registry.set("a", ServingStatus.SERVING);
  registry.set("", ServingStatus.NOT_SERVING);
  registry.setAll(ServingStatus.NOT_SERVING);
  unsubscribe();
  registry.set("a", ServingStatus.SERVING);
  assert.deepEqual(heard, [ServingStatus.NOT_SERVING]);
});

test("readiness follows the dependency's ping, including one that hangs", async () => {
  const registry = new HealthRegistry();
  registry.set("", ServingStatus.NOT_SERVING);
  registry.set("svc", ServingStatus.NOT_SERVING);
  let mode: "ok" | "fail" | "hang" = "ok";
  const stop = await watchReadiness({
    health: registry,
    logger: createLogger({ service: "test", level: "silent" }),
    intervalMs: 20,
    timeoutMs: 50,
    ping: () => (mode === "ok" ? Promise.resolve() : mode === "fail" ? Promise.reject(new Error("down")) : new Promise(() => {})),
  });
  try {
    assert.equal(registry.get("svc"), ServingStatus.SERVING);
    mode = "hang";
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(registry.get("svc"), ServingStatus.NOT_SERVING);
    assert.equal(registry.get(""), ServingStatus.NOT_SERVING);
    mode = "ok";
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(registry.get("svc"), ServingStatus.SERVING);
    mode = "fail";
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(registry.get("svc"), ServingStatus.NOT_SERVING);
  } finally {
    stop();
  }
});
